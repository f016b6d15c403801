"""Write a report (PDF / HTML) or its tables (CSV / Parquet) and log each file's SHA-256."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audits.errors import AssayError
from audits.logged_files import commit_logged
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q

FORMATS = ("pdf", "html", "csv", "parquet")


def infer_format(output: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise AssayError(f"unknown report format '{fmt}'", f"use one of: {', '.join(FORMATS)}")
        return fmt
    suffix = output.suffix.lower().lstrip(".")
    if suffix in ("pdf", "html"):
        return suffix
    if suffix == "htm":
        return "html"
    if not suffix or str(output).endswith(("/", "\\")) or output.is_dir():
        raise AssayError(f"output {output} is a directory but no --format was given",
                         "pass --format csv or --format parquet to export the report's tables there")
    raise AssayError(f"cannot tell the report format from '{output.name}'",
                     "use -o FILE.pdf, -o FILE.html, or -o DIR/ --format csv|parquet")


def counts_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its count columns (``n``, ``n_…``) as nullable integers: a column with an empty
    cell is float in pandas, so checklist.csv wrote n and n_needed as ``300.0``."""
    counts = [c for c in frame.columns if (str(c) == "n" or str(c).startswith("n_"))
              and pd.api.types.is_float_dtype(frame[c]) and bool((frame[c].dropna() % 1 == 0).all())]
    return frame.astype({c: "Int64" for c in counts}) if counts else frame


def with_packs(cat: Catalog, run_id: str, extra: list[str] | None) -> list[str] | None:
    """The run's own packs plus ``extra`` (``--policy``), or None (the run's packs) without extra."""
    if not extra:
        return None
    from audits.store.queries import runs as runs_q
    from reports.verdicts import packs_for

    own = packs_for(runs_q.get_results(cat, run_id))
    return own + [p for p in extra if p not in own]


def save_report(cat: Catalog, run_id: str, output: str | Path, fmt: str | None = None, compare: str | None = None,
                actor: str = "cli", packs: list[str] | None = None) -> list[tuple[Path, str]]:
    """Write the report (or one file per table) with a `report.generated` audit entry per file and its
    SHA-256; a file appears only after its entry is in the log (none when the log refuses the entry). ``packs``: policy packs to add to the run's own. Returns [(path, sha256)]."""
    from reports.data import collect
    from reports.document import build_document

    output = Path(output).expanduser()
    kind = infer_format(output, fmt)
    data = collect(cat, run_id, compare, with_packs(cat, run_id, packs))
    files: list[tuple[Path, bytes]] = []
    if kind == "pdf":
        from reports.pdf import render_pdf
        files.append((output, render_pdf(build_document(data))))
    elif kind == "html":
        from reports.html import render_html
        files.append((output, render_html(build_document(data)).encode("utf-8")))
    else:
        if output.exists() and not output.is_dir():
            raise AssayError(f"{output} is a file", f"pass a directory for --format {kind}, e.g. -o reports/{run_id}/")
        import io
        for name, frame in data.tables.items():
            frame = counts_as_integers(frame)
            if kind == "csv":
                payload = frame.to_csv(index=False).encode("utf-8")
            else:
                buf = io.BytesIO()
                frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(buf, index=False)
                payload = buf.getvalue()
            files.append((output / f"{name}.{kind}", payload))

    def log(path: Path, sha: str) -> None:
        policies_q.record_report(cat, run_id, actor, str(path.resolve()), sha, kind, data.compare_id)

    return commit_logged(files, log)  # a file exists only once its audit-log entry does

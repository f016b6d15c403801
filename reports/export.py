"""Write a report (PDF / HTML) or its tables (CSV / Parquet) and log each file's SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from audits.errors import AssayError
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


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()


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
    """Write the report (or one file per table) and append a `report.generated` audit entry
    per file with its SHA-256. ``packs``: policy packs to add to the run's own. Returns [(path, sha256)]."""
    from reports.data import collect
    from reports.document import build_document

    output = Path(output).expanduser()
    kind = infer_format(output, fmt)
    data = collect(cat, run_id, compare, with_packs(cat, run_id, packs))
    written: list[tuple[Path, str]] = []
    if kind == "pdf":
        from reports.pdf import render_pdf
        written.append((output, _write(output, render_pdf(build_document(data)))))
    elif kind == "html":
        from reports.html import render_html
        written.append((output, _write(output, render_html(build_document(data)).encode("utf-8"))))
    else:
        if output.exists() and not output.is_dir():
            raise AssayError(f"{output} is a file", f"pass a directory for --format {kind}, e.g. -o reports/{run_id}/")
        import io
        for name, frame in data.tables.items():
            path = output / f"{name}.{kind}"
            if kind == "csv":
                payload = frame.to_csv(index=False).encode("utf-8")
            else:
                buf = io.BytesIO()
                frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(buf, index=False)
                payload = buf.getvalue()
            written.append((path, _write(path, payload)))
    for path, sha in written:
        policies_q.record_report(cat, run_id, actor, str(path.resolve()), sha, kind, data.compare_id)
    return written

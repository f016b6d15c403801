"""The bad-input rounds' two checks: run `assay ...` in this process (argparse exits included), and read its
stderr as the one line every refusal must be ("assay: error: problem — fix", no traceback)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from audits.cli import main


def cli(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``assay ARGS`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse
            code = int(stop.code or 0)
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    """The refusal's text after 'assay: error: ', asserting it is the only line (progress lines aside)."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("[assay] ")]  # progress
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("assay: error: ") and " — " in lines[0], lines[0]  # problem — fix
    return lines[0].removeprefix("assay: error: ")


def catalog_with_runs(root: Path, configs: dict[str, str]) -> list[str]:
    """Write each period's config as ``root/<period>.yaml`` and run it into ``root/c.duckdb`` under the key
    dir ``root/keys``, in order; the run ids (also written to ``root/ids``)."""
    ids = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSAY_KEY_DIR", str(root / "keys"))
        for period, text in configs.items():
            (root / f"{period}.yaml").write_text(text, encoding="utf-8")
            code, out, err = cli("--catalog", str(root / "c.duckdb"), "run", str(root / f"{period}.yaml"))
            assert code == 0, err
            ids.append(out.split()[-1])
    (root / "ids").write_text(" ".join(ids))
    return ids


# twelve support questions in two segments, each with a policy line: the data of bad-input rounds 5 and 6
ROWS = [{"id": str(i), "question": f"q{i} about billing", "answer": f"a{i}", "segment": "web" if i % 2 else "app",
         "policy": f"Refunds take {i} days."} for i in range(12)]


def jsonl(rows: list[dict]) -> str:
    """``rows`` as JSON lines (non-ASCII kept as it is)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write_rows_and_predictions(root: Path) -> None:
    """``root/data.jsonl`` (``ROWS``) and ``root/preds.jsonl``: every third answer wrong ('no')."""
    (root / "data.jsonl").write_text(jsonl(ROWS), encoding="utf-8")
    (root / "preds.jsonl").write_text(jsonl([{"sample_id": r["id"], "prediction": r["answer"] if int(r["id"]) % 3
                                              else "no"} for r in ROWS]), encoding="utf-8")


def config_text(period: str = "2026-Q4", task_extra: str = "", extra: str = "", data: str = "data.jsonl",
                preds: str = "preds.jsonl", name: str = "r6") -> str:
    """A one-task audit config over ``data`` answered by the predictions file ``preds`` (exact match)."""
    return (f"name: {name}\nperiod: {period}\nseed: 1\nbootstrap: 50\nmodel: {{backend: predictions, path: {preds}}}\n"
            f"tasks:\n  - name: t\n    type: generate\n    dataset: {{path: {data}}}\n"
            "    fields: {id: id, reference: answer}\n    prompt: \"{question}\"\n    metrics: [exact_match]\n"
            f"{task_extra}{extra}")

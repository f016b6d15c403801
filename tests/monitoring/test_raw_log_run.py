"""`assay run` on a raw log (the task's dataset is the predictions file, not imported with
`assay logs import`) applies the same rules as `logs import`: blank outputs ("" and "   ", null,
absent) are skipped and counted, rows out of timestamp order are counted, a UTF-8 byte-order mark is
read, a UTF-16 file is one line; `assay results` prints the counts (and the feedback block's
unknown and blank counts) in its text, not only in --json."""

from __future__ import annotations

import json

from audits.cli import main
from audits.datasets.production_log import read_log
from tests.monitoring.conftest import log_config, run_config, write_log


def _rows(log):
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _write(log, rows, prefix: bytes = b""):
    log.write_bytes(prefix + "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8"))


def _results_text(catalog, run_id, capsys) -> str:
    capsys.readouterr()
    assert main(["results", run_id, "--catalog", str(catalog.path)]) == 0
    return capsys.readouterr().out


def test_blank_outputs_skipped_and_counted_like_logs_import(tmp_path, catalog, capsys):
    log = write_log(tmp_path / "q.jsonl", 30, 1.0, seed=1)
    rows = _rows(log)
    rows[2]["output"], rows[7]["output"], rows[9]["output"] = None, "", "   "
    del rows[5]["output"]
    rows[11]["input"] = "  "
    _write(log, rows)
    _, report = read_log(log)
    assert report.skipped == {"no input": 1, "no output": 4}
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q4"))
    results = json.loads((catalog.path.parent / f"{catalog.path.stem}.runs" / run_id / "results.json").read_text())
    task = results["tasks"][0]
    assert task["n"] == 25  # "" and "   " were scored as (wrong) answers before; null made the run fail
    assert task["extra"]["data"]["skipped"] == {"no input": 1, "no output": 4}
    assert task["metrics"]["exact_match"]["value"] == 1.0
    assert "data: 1 skipped (no input); 4 skipped (no output)" in _results_text(catalog, run_id, capsys)


def test_out_of_order_counted_and_said(tmp_path, catalog, capsys):
    log = write_log(tmp_path / "q.jsonl", 30, 0.8, seed=2)
    rows = _rows(log)
    rows[4]["timestamp"], rows[20]["timestamp"] = rows[20]["timestamp"], rows[4]["timestamp"]
    _write(log, rows)
    _, report = read_log(log)
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q4"))
    block = json.loads((catalog.path.parent / f"{catalog.path.stem}.runs" / run_id / "results.json")
                       .read_text())["tasks"][0]["extra"]["data"]
    assert block["out_of_order"] == report.out_of_order == 16  # rows 5..19 and row 20 came after 00:00:20
    assert "16 out of timestamp order" in _results_text(catalog, run_id, capsys)


def test_utf8_bom_log_runs_and_utf16_is_one_line(tmp_path, catalog, capsys):
    log = write_log(tmp_path / "q.jsonl", 20, 1.0, seed=3)
    _write(log, _rows(log), prefix=b"\xef\xbb\xbf")
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q4"))
    results = json.loads((catalog.path.parent / f"{catalog.path.stem}.runs" / run_id / "results.json").read_text())
    assert results["tasks"][0]["n"] == 20 and results["tasks"][0]["metrics"]["exact_match"]["value"] == 1.0
    assert read_log(log)[1].rows_kept == 20  # logs import reads it too
    bad = tmp_path / "w.jsonl"
    bad.write_bytes(log.read_bytes()[3:].decode("utf-8").encode("utf-16"))
    config = log_config(tmp_path, bad, period="2026-Q3", name="w")
    capsys.readouterr()
    assert main(["run", str(config), "--catalog", str(catalog.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"assay: error: task 'support': dataset {bad} is UTF-16, not UTF-8 — "
                       "re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8")


def test_results_text_shows_unknown_and_blank_feedback(tmp_path, catalog, capsys):
    log = write_log(tmp_path / "q.jsonl", 30, 0.7, seed=4)
    rows = _rows(log)
    rows[1]["thumbs"], rows[2]["thumbs"], rows[3]["thumbs"], rows[4]["thumbs"] = "meh", "call 555-123-4567", None, 1
    _write(log, rows)
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q4"))
    text = _results_text(catalog, run_id, capsys)
    line = next(x for x in text.splitlines() if x.strip().startswith("feedback:"))
    assert "3 skipped as neither positive nor negative" in line and "1 with no feedback" in line
    assert "'meh'" in line and "555-123-4567" not in line
    assert "26 scored" in line


def test_unreadable_timestamp_is_the_same_one_line(tmp_path, catalog, capsys):
    log = write_log(tmp_path / "q.jsonl", 10, 1.0, seed=6)
    rows = _rows(log)
    rows[3]["timestamp"] = "yesterday"
    _write(log, rows)
    capsys.readouterr()
    assert main(["run", str(log_config(tmp_path, log, period="2026-Q4")), "--catalog", str(catalog.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (f"assay: error: task 'support': log {log}: 1 timestamp(s) cannot be read, e.g. 'yesterday' — "
                   "write timestamps as ISO 8601 (2026-10-01T12:00:00Z) or Unix nanoseconds")

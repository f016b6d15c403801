"""Langfuse score entries: a categorical score's value is its stringValue, and every entry that gives
no value (null, blank, no name, not an object, a second one of a name) is counted in the import
line and its JSON, never dropped silently."""

from __future__ import annotations

import json

from audits.datasets.production_log import read_log
from tests.conftest import run_cli


def _traces() -> list[dict]:
    base = {"input": "where is my parcel?", "output": "it ships tomorrow", "timestamp": "2026-10-01T10:00:00Z"}
    return [
        {**base, "id": "t0", "scores": [{"name": "user-feedback", "value": 1}]},
        {**base, "id": "t1", "scores": [{"name": "user-feedback", "value": None}]},          # no value
        {**base, "id": "t2", "scores": [{"name": "user-feedback"}]},                         # no value key
        {**base, "id": "t3", "scores": [{"name": "thumbs", "dataType": "CATEGORICAL", "value": None,
                                         "stringValue": "down"}]},                           # categorical
        {**base, "id": "t4", "scores": [{"value": 1}, "up"]},                                # no name; not an object
        {**base, "id": "t5", "scores": [{"name": "user-feedback", "value": 0},
                                        {"name": "user-feedback", "value": 1}]},             # twice: last kept
        {**base, "id": "t6", "scores": [{"name": "user-feedback", "value": "  "}]},          # blank
    ]


def test_langfuse_scores_without_a_value_are_counted(tmp_path):
    log = tmp_path / "langfuse.jsonl"
    log.write_text("".join(json.dumps(t) + "\n" for t in _traces()), encoding="utf-8")
    frame, report = read_log(log, "langfuse")
    fb = dict(zip(frame["sample_id"], frame["score.user-feedback"]))
    assert fb["t0"] == 1 and fb["t5"] == 1
    assert all(fb[t] is None or fb[t] != fb[t] for t in ("t1", "t2", "t6"))  # absent: no feedback
    assert frame.set_index("sample_id").loc["t3", "score.thumbs"] == "down"
    assert report.skipped_scores == {"'user-feedback' without a value": 3, "no name": 1, "not an object": 1,
                                     "'user-feedback' given twice on one trace, the last kept": 1}
    assert report.rows_kept == 7  # the traces themselves are kept

    out = tmp_path / "flat.parquet"
    proc = run_cli("logs", "import", str(log), "--format", "langfuse", "--out", str(out), check=True)
    line = proc.stdout.strip()
    assert len(line.splitlines()) == 1
    assert "7 rows read, 7 kept; 3 score entries skipped ('user-feedback' without a value); " \
           "1 score entry skipped (no name); 1 score entry skipped (not an object); " \
           "1 score entry skipped ('user-feedback' given twice on one trace, the last kept)" in line
    data = json.loads(run_cli("logs", "import", str(log), "--format", "langfuse", "--out", str(out), "--json",
                              "--force", check=True).stdout)
    assert data["skipped_scores"]["'user-feedback' without a value"] == 3

"""A log whose feedback column mixes text and numbers (thumbs "up" and 1, as two app versions logged
it) was a pyarrow traceback in `assay logs import --out x.parquet`; it is kept as text and said so in
the import's one line, and the number is then an unknown feedback value, counted, never scored."""

from __future__ import annotations

import json

import pandas as pd

from tests.conftest import run_cli


def test_a_feedback_column_of_text_and_numbers_imports_as_text(tmp_path):
    rows = [{"id": f"r{i}", "input": f"question {i}", "output": f"answer {i}", "thumbs": "up" if i % 2 else "down",
             "meta": {"app": "v2"} if i == 3 else "v1"} for i in range(6)]
    rows[4]["thumbs"] = 1
    rows[5]["thumbs"] = None
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = run_cli("logs", "import", str(log), "--out", str(tmp_path / "log.parquet"))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "6 rows read, 6 kept; thumbs, meta: values of mixed types (e.g. text and numbers), kept as text" in proc.stdout
    frame = pd.read_parquet(tmp_path / "log.parquet")
    assert frame["thumbs"].tolist()[:5] == ["down", "up", "down", "up", "1"] and frame["thumbs"].isna().iloc[5]
    assert json.loads(frame["meta"].iloc[3]) == {"app": "v2"}

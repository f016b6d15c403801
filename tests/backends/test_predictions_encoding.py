"""A predictions file with a line in another encoding is one line naming the lines, as `assay logs import` says."""
from __future__ import annotations

import json

import pytest

from audits.backends.predictions import read_predictions
from audits.errors import AssayError


def test_mixed_encodings_name_the_first_bad_line(tmp_path):
    path = tmp_path / "preds.jsonl"
    good = [json.dumps({"sample_id": str(i), "prediction": "ok"}).encode() for i in range(6)]
    bad = '{"sample_id": "6", "prediction": "caf\u00e9"}'.encode("latin-1")
    path.write_bytes(b"\n".join(good + [bad]) + b"\n")
    with pytest.raises(AssayError) as err:
        read_predictions(path)
    text = str(err.value)
    assert "1 of 7 lines are not UTF-8 (mixed encodings; first at line 7)" in text
    assert "iconv -f latin1 -t utf-8" in text
    assert "codec can't decode" not in text


def test_a_utf8_file_with_a_bom_still_reads(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"sample_id": "1", "prediction": "caf\u00e9"}).encode() + b"\n")
    frame = read_predictions(path)
    assert frame["prediction"].tolist() == ["caf\u00e9"]

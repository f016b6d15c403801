"""A raw-path production log (the task's dataset is the log itself) that mixes encodings gets the same
specific, line-naming message as `assay logs import`, not a bare "is not UTF-8 text"."""

from __future__ import annotations

import pytest

from audits.cli import main
from audits.datasets.loader import _read_file
from audits.datasets.production_log import read_log
from audits.errors import AssayError
from tests.monitoring.conftest import log_config, write_log

FIX = "re-save the whole file as UTF-8, e.g. iconv -f latin1 -t utf-8"


def _mixed(tmp_path):
    log = write_log(tmp_path / "q.jsonl", 6, 1.0, seed=5)
    log.write_bytes(log.read_bytes() + '{"input": "caf\xe9", "output": "x"}\n'.encode("latin-1"))
    return log


def test_raw_log_run_names_the_mixed_lines_like_logs_import(tmp_path, catalog, capsys):
    log = _mixed(tmp_path)
    with pytest.raises(AssayError) as imported:
        read_log(log)
    assert imported.value.problem == f"log {log}: 1 of 7 lines are not UTF-8 (mixed encodings; first at line 7)"
    config = log_config(tmp_path, log, period="2026-Q4")
    capsys.readouterr()
    assert main(["run", str(config), "--catalog", str(catalog.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"assay: error: task 'support': dataset {log}: 1 of 7 lines are not UTF-8 "
                       f"(mixed encodings; first at line 7) — {FIX}")


def test_wholly_latin1_dataset_keeps_its_message_with_the_fix(tmp_path):
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"q": "caf\xe9"}\n{"q": "na\xefve"}\n'.encode("latin-1"))
    with pytest.raises(AssayError) as err:
        _read_file(latin, "auto", "t")
    assert str(err.value) == (f"task 't': dataset {latin} is not UTF-8 text — "
                              "re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8")

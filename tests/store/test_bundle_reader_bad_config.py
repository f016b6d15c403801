"""A bundle whose config.yaml is not a mapping: reading its config (and its results, which read the
config for the four-fifths threshold of a schema-1 file) is one line naming the file, not a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audits.errors import AssayError
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "results_v1"


@pytest.fixture
def catalog_with_v1_run(tmp_path) -> tuple[Catalog, Path]:
    cat = Catalog(tmp_path / "c.duckdb")
    bundle = cat.runs_dir / "r1"
    shutil.copytree(V1, bundle)
    runs_q.register_run(cat, "r1", "v1-fixture", "2026-Q2", "cfg", "m", actor="t")
    runs_q.complete_run(cat, "r1", bundle, "0" * 64, actor="t", device="cpu")
    return cat, bundle


def test_the_v1_bundle_reads_with_its_config(catalog_with_v1_run):
    cat, _ = catalog_with_v1_run
    res = bundle_reader.results(cat, "r1")
    raw = json.loads((V1 / "results.json").read_text())
    assert res.tasks[0].metrics["token_f1"].value == raw["tasks"][0]["metrics"]["token_f1"]["value"]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "42\n"])
def test_a_config_that_is_not_a_mapping_is_one_line(catalog_with_v1_run, text):
    cat, bundle = catalog_with_v1_run
    (bundle / "config.yaml").write_text(text)
    with pytest.raises(AssayError, match=r"config\.yaml: the config is a (list|str|int), not a mapping of keys"):
        bundle_reader.run_config(cat, "r1")
    res = bundle_reader.results(cat, "r1")  # results still open: the threshold falls back to the default
    assert res.tasks[0].fairness["gender"].four_fifths_threshold == 0.8

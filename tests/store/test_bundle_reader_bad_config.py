"""A bundle whose config.yaml is not a mapping: reading its config (and its results, which read the
config for the four-fifths threshold of a schema-1 file) is one line naming the file, not a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audits.errors import AssayError
from audits.hashing import sha256_path
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "results_v1"


def _v1_run(tmp_path, config_text: str | None = None) -> tuple[Catalog, Path]:
    """The schema-1 results fixture as a complete run (its config.yaml replaced by ``config_text``), with a
    manifest hashing its files as written and the catalog holding the manifest's hash, as the writer leaves
    them: the reader checks every file it opens against them."""
    cat = Catalog(tmp_path / "c.duckdb")
    bundle = cat.runs_dir / "r1"
    shutil.copytree(V1, bundle)
    if config_text is not None:
        (bundle / "config.yaml").write_text(config_text)
    files = {p.name: sha256_path(p) for p in sorted(bundle.iterdir())}
    (bundle / "manifest.json").write_text(json.dumps({"run_id": "r1", "files": files}), encoding="utf-8")
    runs_q.register_run(cat, "r1", "v1-fixture", "2026-Q2", "cfg", "m", actor="t")
    runs_q.complete_run(cat, "r1", bundle, sha256_path(bundle / "manifest.json"), actor="t", device="cpu")
    return cat, bundle


@pytest.fixture
def catalog_with_v1_run(tmp_path) -> tuple[Catalog, Path]:
    return _v1_run(tmp_path)


def test_the_v1_bundle_reads_with_its_config(catalog_with_v1_run):
    cat, _ = catalog_with_v1_run
    res = bundle_reader.results(cat, "r1")
    raw = json.loads((V1 / "results.json").read_text())
    assert res.tasks[0].metrics["token_f1"].value == raw["tasks"][0]["metrics"]["token_f1"]["value"]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "42\n"])
def test_a_config_that_is_not_a_mapping_is_one_line(tmp_path, text):
    cat, _ = _v1_run(tmp_path, text)
    with pytest.raises(AssayError, match=r"config\.yaml: the config is a (list|str|int), not a mapping of keys"):
        bundle_reader.run_config(cat, "r1")
    res = bundle_reader.results(cat, "r1")  # results still open: the threshold falls back to the default
    assert res.tasks[0].fairness["gender"].four_fifths_threshold == 0.8

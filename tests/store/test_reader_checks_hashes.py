"""The bundle reader never shows a figure the run did not write: a results.json, config.yaml, manifest or
evidence table edited in the bundle (an insider with write access, between verifies) is a one-line error
naming the run and the file on every read path (results, manifest, tables, `assay results`, `assay check`),
not a forged number on a page or a passed control. Untouched bundles read as before."""

from __future__ import annotations

import json
import os

import pytest

from audits.cli import main
from audits.config import parse_config
from audits.errors import AssayError
from audits.hashing import sha256_path
from audits.runner import run_audit
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from tests.monitoring.conftest import write_log


@pytest.fixture
def run(tmp_path, monkeypatch) -> tuple[Catalog, str]:
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    log = write_log(tmp_path / "q.jsonl", 20, 0.5, seed=5)
    config = {"name": "support-log", "period": "2026-Q4", "bootstrap": 50,
              "model": {"backend": "predictions", "path": str(log)},
              "tasks": [{"name": "support", "type": "generate", "dataset": {"path": str(log)},
                         "fields": {"id": "id", "reference": "answer"}, "prompt": "{input}",
                         "metrics": ["exact_match"]}]}
    return cat, run_audit(parse_config(config), cat, actor="tester")


def _edit(path, old: str, new: str) -> None:
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _value(cat, run_id) -> float:
    return bundle_reader.results(cat, run_id).task("support").metric("exact_match").value


def test_an_intact_bundle_reads_as_written(run):
    cat, run_id = run
    written = json.loads((cat.runs_dir / run_id / "results.json").read_text())
    assert _value(cat, run_id) == written["tasks"][0]["metrics"]["exact_match"]["value"]
    assert bundle_reader.manifest(cat, run_id).run_id == run_id
    assert len(bundle_reader.read_table(cat, run_id, "samples")) == 20


def test_an_edited_results_json_is_refused_not_shown(run, capsys):
    cat, run_id = run
    path = cat.runs_dir / run_id / "results.json"
    value = json.loads(path.read_text())["tasks"][0]["metrics"]["exact_match"]["value"]
    _edit(path, f'"value": {value}', '"value": 0.99')
    with pytest.raises(AssayError) as err:
        _value(cat, run_id)
    assert err.value.problem == (f"run '{run_id}': results.json was altered after the run wrote it (its SHA-256 "
                                 "differs from the manifest's)")
    capsys.readouterr()
    assert main(["results", run_id, "--catalog", str(cat.path)]) == 2
    out = capsys.readouterr()
    assert "0.99" not in out.out and "results.json was altered" in out.err.strip().splitlines()[-1]


def test_an_edited_table_is_refused(run):
    cat, run_id = run
    path = cat.runs_dir / run_id / "samples.parquet"
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)
    with path.open("r+b") as fh:  # one byte of the Parquet body, file size unchanged
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(AssayError, match="samples.parquet was altered after the run wrote it"):
        bundle_reader.read_table(cat, run_id, "samples")


def test_a_manifest_rewritten_to_match_is_refused_against_the_catalog(run):
    """Edit results.json and re-hash it into the manifest: the manifest no longer matches the catalog."""
    cat, run_id = run
    bundle = cat.runs_dir / run_id
    path = bundle / "results.json"
    _edit(path, '"period": "2026-Q4"', '"period": "2026-Q3"')
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["results.json"] = sha256_path(path)
    os.chmod(bundle / "manifest.json", 0o644)
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    with pytest.raises(AssayError) as err:
        bundle_reader.results(cat, run_id)
    assert err.value.problem == (f"run '{run_id}': manifest.json was altered after the run wrote it (its SHA-256 "
                                 "differs from the catalog's)")
    with pytest.raises(AssayError, match="manifest.json was altered"):
        bundle_reader.manifest(cat, run_id)


def test_a_file_added_to_the_bundle_is_not_read(run):
    cat, run_id = run
    bundle = cat.runs_dir / run_id
    os.chmod(bundle, 0o755)
    (bundle / "fairness.parquet").write_bytes((bundle / "metrics.parquet").read_bytes())
    with pytest.raises(AssayError, match="fairness.parquet is not a file the run wrote"):
        bundle_reader.read_table(cat, run_id, "fairness")


def test_a_forged_figure_does_not_pass_a_check(run, tmp_path, capsys):
    """`assay check` on an edited bundle exits 2 with the one line, never 0 on the forged value."""
    cat, run_id = run
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: gate\ncontrols:\n  - id: ACC-1\n    title: accurate enough\n    source: internal\n"
                    "    check: exact_match >= 0.9\n", encoding="utf-8")
    path = cat.runs_dir / run_id / "results.json"
    value = json.loads(path.read_text())["tasks"][0]["metrics"]["exact_match"]["value"]
    _edit(path, f'"value": {value}', '"value": 0.99')
    capsys.readouterr()
    assert main(["check", run_id, "--policy", str(pack), "--catalog", str(cat.path)]) == 2
    assert "results.json was altered" in capsys.readouterr().err

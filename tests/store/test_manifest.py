"""The typed manifest: written by write_bundle, read back as Manifest; old manifests migrate in memory;
a malformed one is one line naming the file and the key (verify keeps reporting it as a finding)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from audits.errors import AssayError
from audits.store.bundle import read_manifest, sha256_path, verify_bundle, write_bundle
from audits.store.manifest import MANIFEST_VERSION, Manifest, load_manifest, parse_manifest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifest_v1"


def _bundle(tmp_path: Path, manifest: dict) -> Path:
    tables = {"metrics": pd.DataFrame({"task": ["t"], "metric": ["accuracy"], "value": [0.5]})}
    bundle, _ = write_bundle(tmp_path / "runs", "r1", tables, {"run_id": "r1", "tasks": []}, {"name": "unit"}, manifest)
    return bundle


def test_an_old_untyped_manifest_still_opens(tmp_path):
    bundle = tmp_path / "old"
    shutil.copytree(FIXTURE, bundle)
    m = read_manifest(bundle)
    assert m.manifest_version == MANIFEST_VERSION          # migrated in memory ...
    assert "manifest_version" not in json.loads((bundle / "manifest.json").read_text())  # ... never rewritten
    assert m.model.model == "SmolLM2-135M-Instruct" and m.model.label == "SmolLM2-135M-Instruct"
    assert m.model.model_extra == {"name": "SmolLM2-135M-Instruct", "device": "cpu", "dtype": "float32"}
    assert m.scheme == 1 and m.personal_data.redacted is False   # written before redaction at rest
    assert m.execution is None
    assert m.datasets["qa"].rows_used == 20 and m.datasets["qa"].rows_skipped_missing is None
    assert m.seed == 1234 and m.bootstrap_resamples == 1000 and m.packages["torch"] == "2.5.1"
    assert sorted(m.files) == ["config.yaml", "results.json", "samples.parquet"]


def test_write_then_read_is_typed_and_hashes_every_file(tmp_path):
    bundle = _bundle(tmp_path, {"audit": "unit", "seed": 7, "model": {"backend": "hf", "model": "m", "device": "cpu",
                                                                      "weights_sha256": "ab" * 32},
                                "datasets": {"t": {"source": "x.jsonl", "sha256": "c" * 64, "rows_used": 3}},
                                "personal_data": {"redacted": True, "scheme": 2, "redactions": 4},
                                "execution": {"kind": "local", "workers": 1, "stages": [{"name": "infer", "rows": 3}],
                                              "device": "cpu", "wall_s": 1.5}})
    m = read_manifest(bundle)
    assert isinstance(m, Manifest) and m.run_id == "r1" and m.manifest_version == MANIFEST_VERSION
    assert m.model.label == f"m · weights {'ab' * 6}" and m.scheme == 2 and m.personal_data.redactions == 4
    assert m.execution.stages[0].rows == 3 and m.execution.device == "cpu"
    assert set(m.files) == {"metrics.parquet", "results.json", "config.yaml"}
    written = json.loads((bundle / "manifest.json").read_text())
    assert written["model"] == {"backend": "hf", "model": "m", "device": "cpu", "weights_sha256": "ab" * 32}
    assert verify_bundle(bundle, sha256_path(bundle / "manifest.json")) == []


@pytest.mark.parametrize("body,message", [
    ({"files": {}, "seed": "abc"}, "invalid manifest at 'seed': Input should be a valid integer"),
    ({"files": {}, "datasets": {"qa": {"rows_used": "many"}}}, "invalid manifest at 'datasets.qa.rows_used'"),
    ({"files": {}, "personal_data": {"scheme": "two"}}, "invalid manifest at 'personal_data.scheme'"),
    ({"files": {}, "manifest_version": 9}, "unknown manifest_version 9"),
    ({"files": {"a": 1}}, "has no valid 'files' map"),
    ({"files": {"../x": "00"}}, "names a file outside the bundle"),
    ([1, 2], "holds a JSON list, not an object"),
])
def test_a_malformed_manifest_is_one_line_naming_the_file_and_the_key(tmp_path, body, message):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(body))
    with pytest.raises(AssayError) as err:
        load_manifest(path)
    assert err.value.problem.startswith(str(path)) and message in err.value.problem, err.value.problem
    assert "\n" not in str(err.value) and err.value.fix


def test_verify_reports_a_manifest_that_breaks_the_schema_as_a_finding(tmp_path):
    bundle = _bundle(tmp_path, {"audit": "unit"})
    path = bundle / "manifest.json"
    path.chmod(0o644)
    path.write_text(json.dumps({**json.loads(path.read_text()), "seed": "abc"}))
    assert verify_bundle(bundle, None) == [f"run r1: manifest.json is malformed: {path}: invalid manifest at 'seed': "
                                           "Input should be a valid integer, unable to parse string as an integer "
                                           "(got 'abc')"]


def test_parse_accepts_a_bare_model_string_and_a_null_section():
    m = parse_manifest({"model": "my-model", "datasets": None, "files": {}}, "x/manifest.json")
    assert m.model.model == "my-model" and m.datasets == {}

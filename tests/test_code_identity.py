"""The manifest's code identity (``audits.identity.code_sha256``) covers every file the code reads at run
time, not only Python: the groundedness detector's coefficients (``detector.json``), the detectors'
measured quality files, the PII evaluation source text and the report template. Otherwise two runs
whose detectors differ would claim the same code (issue 19: every run records model, data and code)."""

from __future__ import annotations

import shutil

import pytest

from audits import identity

DATA_FILES = ["audits/grounding/data/detector.json", "audits/grounding/data/quality.json",
              "audits/redteam/quality.json", "audits/scanners/data/pii_eval/handwritten.src.txt",
              "reports/templates/report.html.j2"]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A copy of the code packages' files that the code hash reads, in tmp_path (the repo is never touched)."""
    for rel in [*DATA_FILES, "audits/runner.py", "policies/packs/internal-llm.yaml"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(identity._ROOT / rel, tmp_path / rel)
    monkeypatch.setattr(identity, "_ROOT", tmp_path)
    return tmp_path


@pytest.mark.parametrize("rel", DATA_FILES)
def test_a_changed_data_file_changes_the_code_identity(tree, rel):
    before = identity.code_sha256()
    path = tree / rel
    path.write_bytes(path.read_bytes() + b"\n")
    assert identity.code_sha256() != before


def test_caches_do_not_change_the_code_identity(tree):
    before = identity.code_sha256()
    (tree / "audits" / "__pycache__").mkdir()
    (tree / "audits" / "__pycache__" / "runner.cpython-312.pyc").write_bytes(b"\0compiled")
    assert identity.code_sha256() == before


def test_a_changed_detector_json_changes_the_groundedness_signature(tmp_path):
    """The groundedness metrics' signature names the coefficients file's hash: one changed weight is
    another recipe (besides changing the code identity above)."""
    import json

    from audits.grounding.classifier import DETECTOR_FILE, load_detector

    spec = json.loads(DETECTOR_FILE.read_text(encoding="utf-8"))
    spec["coef"][0] += 0.01
    changed = tmp_path / "detector.json"
    changed.write_text(json.dumps(spec), encoding="utf-8")
    shipped, edited = load_detector().signature(), load_detector(str(changed)).signature()
    assert shipped != edited and shipped.split("|coef:")[0] == edited.split("|coef:")[0]

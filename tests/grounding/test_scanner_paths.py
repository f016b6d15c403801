"""Scanner path options (``SCANNER_PATH_OPTIONS``) written relative resolve against the config file's
folder, like dataset paths, whatever the working directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from audits.config import load_config, parse_config
from audits.grounding.scorers import build_scorer
from audits.runner import prepare
from audits.scanners._pii_profile import DEFAULT_PROFILE, load_profile
from tests.grounding.test_scorers import ENTAIL, POLICY, make_nli


def _write_config(folder: Path, scanners: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.jsonl").write_text(json.dumps({"id": "g1", "policy": POLICY, "question": "Refunds?",
                                                   "answer": "Within 30 days."}) + "\n", encoding="utf-8")
    (folder / "preds.jsonl").write_text(json.dumps({"task": "support", "sample_id": "g1",
                                                    "prediction": "Refunds are available within 30 days."}) + "\n",
                                        encoding="utf-8")
    config = {"name": "ground", "period": "2026-Q4", "bootstrap": 0,
              "model": {"backend": "predictions", "path": "preds.jsonl"},
              "tasks": [{"name": "support", "type": "generate", "dataset": {"path": "data.jsonl"},
                         "prompt": "{question}", "fields": {"id": "id", "reference": "answer"},
                         "metrics": ["token_f1"], "context": "policy"}],
              "scanners": scanners}
    path = folder / "audit.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_relative_nli_path_is_found_beside_the_config_from_another_cwd(tmp_path, monkeypatch):
    audit = tmp_path / "audit"
    make_nli(audit / "nli-model", ENTAIL)
    path = _write_config(audit, {"groundedness": {"scorer": "nli", "nli": {"path": "nli-model"}}})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(path)
    written = config.scanners["groundedness"].as_written()
    assert written["nli"] == {"path": str((audit / "nli-model").resolve())}
    assert written["scorer"] == "nli"
    prepared = prepare(config)  # validate checks the directory (config.json, weights, tokenizer) before inference
    verdict = build_scorer(prepared.config.scanners["groundedness"]).score(
        [("Refunds are available within 30 days of purchase.", POLICY, "")])[0]
    assert verdict.claims[0].verdict == "supported"


def test_absolute_and_home_paths_stay_and_the_callers_data_is_not_changed(tmp_path):
    data = {"name": "x", "period": "2026-Q4",
            "tasks": [{"name": "t", "type": "generate", "dataset": {"path": "d.jsonl"}, "prompt": "{q}"}],
            "scanners": {"groundedness": {"scorer": "nli", "nli": {"path": "models/nli"}},
                         "pii": {"profile": "~/profiles/mine.yaml"}}}
    config = parse_config(data, base_dir=tmp_path)
    assert config.scanners["groundedness"].as_written()["nli"]["path"] == str(tmp_path.resolve() / "models" / "nli")
    assert config.scanners["pii"].as_written()["profile"] == "~/profiles/mine.yaml"
    assert data["scanners"]["groundedness"]["nli"]["path"] == "models/nli"
    data["scanners"]["groundedness"]["nli"]["path"] = str(tmp_path / "abs")
    again = parse_config(data, base_dir=tmp_path / "other")
    assert again.scanners["groundedness"].as_written()["nli"]["path"] == str(tmp_path / "abs")
    # without a config file (base_dir None) nothing is resolved
    assert parse_config(data).scanners["pii"].as_written()["profile"] == "~/profiles/mine.yaml"


def test_a_relative_pii_profile_is_read_beside_the_config(tmp_path, monkeypatch):
    audit = tmp_path / "audit"
    audit.mkdir()
    shutil.copy(DEFAULT_PROFILE, audit / "my_profile.yaml")
    path = _write_config(audit, {"pii": {"profile": "my_profile.yaml"}})
    monkeypatch.chdir(tmp_path)
    profile = load_config(path).scanners["pii"].as_written()["profile"]
    assert profile == str((audit / "my_profile.yaml").resolve())
    assert load_profile(profile) == load_profile(DEFAULT_PROFILE)

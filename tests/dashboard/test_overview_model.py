"""The Overview and the report's first page show the model a backend's ``identity()`` wrote
(``model`` plus a short weights hash), read through :class:`audits.identity.ModelIdentity`."""

from __future__ import annotations

from audits.identity import ModelIdentity, model_label
from audits.store.catalog import Catalog
from audits.store.queries import runs as rq
from tests.dashboard._synth import make_run_tables
from tests.dashboard.conftest import page_app
from tests.results_factory import write_typed_bundle

WEIGHTS = "0123456789ab" + "c" * 52
HF = {"backend": "hf", "model": "/models/SmolLM2-135M-Instruct", "weights_sha256": WEIGHTS, "revision": None,
      "device": "cpu", "dtype": "float32"}


def test_each_backends_identity_reads_as_one_label():
    assert model_label(HF) == "/models/SmolLM2-135M-Instruct · weights 0123456789ab"
    predictions = {"backend": "predictions", "model": "/data/vendor.jsonl", "file_sha256": "f" * 64, "rows": 3}
    assert model_label(predictions) == "/data/vendor.jsonl · file ffffffffffff"
    served = {"backend": "openai", "base_url": "http://localhost:8000/v1", "model": "llama", "served_model": "llama-3"}
    assert model_label(served) == "llama"
    assert ModelIdentity.read(HF).device == "cpu"                  # extra keys are kept
    assert model_label({"path": "/old/model"}) == "/old/model"      # legacy spelling
    assert model_label("bare-name") == "bare-name" and model_label(None) is None and model_label({}) is None


def _catalog_with_model(path):
    cat = Catalog(path)
    run_id = "2026-Q4-00-model"
    rq.register_run(cat, run_id, "model-audit", "2026-Q4", "0" * 64, HF["model"], actor="bench", device="cpu")
    tables, results = make_run_tables(20, seed=0, quality=0.7)
    results = {"run_id": run_id, "audit": "model-audit", "period": "2026-Q4", **results, "model": HF}
    config = {"audit": "model-audit", "period": "2026-Q4", "policies": []}
    bundle, sha = write_typed_bundle(cat, run_id, tables, results, config, {"config": config, "model": HF})
    rq.complete_run(cat, run_id, bundle, sha, actor="bench", device="cpu")
    return cat, run_id


def test_the_overview_and_the_report_name_the_model_and_its_weights(tmp_path, use_catalog):
    from reports.data import collect

    cat, run_id = _catalog_with_model(tmp_path / "c.duckdb")
    use_catalog(cat.path)
    at = page_app("overview").run()
    captions = [c.value for c in at.caption]
    assert any("model /models/SmolLM2-135M-Instruct · weights 0123456789ab" in c for c in captions), captions
    assert collect(cat, run_id).model_name == "/models/SmolLM2-135M-Instruct · weights 0123456789ab"

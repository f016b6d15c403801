"""SHAP explanations: the maths on a known function, sample selection, and the real model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audits.backends.base import Request, load_backend
from audits.config import ModelConfig, TaskConfig
from audits.errors import AssayError
from audits.scanners.base import TaskContext
from audits.scanners.explain import SKIPPED, ExplainScanner, explain_prompt, parse_options, select_samples


def _known(texts: list[str]) -> np.ndarray:
    """A value that depends on two words only: 'woman' adds 2, 'nurse' adds 1."""
    return np.array([2.0 * ("woman" in t) + 1.0 * ("nurse" in t) for t in texts])


def test_attributions_recover_a_known_function():
    words, values, base = explain_prompt(_known, "Should a woman applicant, a trained nurse, be hired?", 64)
    assert words[2].strip() == "woman" and words[6].strip() == "nurse,"
    assert values[2] == pytest.approx(2.0) and values[6] == pytest.approx(1.0)
    assert np.abs(np.delete(values, [2, 6])).max() == pytest.approx(0.0, abs=1e-9)
    assert base == pytest.approx(0.0)
    assert base + values.sum() == pytest.approx(3.0)  # additivity: base + attributions = full value


def test_selection_prefers_flags_then_random_seeded():
    samples = pd.DataFrame({"sample_id": [str(i) for i in range(20)], "correct": [True] * 18 + [False, True]})
    flags = {"cf_flip": np.isin(np.arange(20), [3, 7]), "toxic": np.isin(np.arange(20), [7])}
    chosen = select_samples(samples, flags, 5, seed=4)
    assert chosen[:3] == [(3, "cf_flip"), (7, "cf_flip,toxic"), (18, "wrong_answer")]
    assert [r for _, r in chosen[3:]] == ["random", "random"]
    assert chosen == select_samples(samples, flags, 5, seed=4)
    assert select_samples(samples, flags, 2, seed=4)[0][1] != "random"
    assert [i for i, _ in select_samples(samples, flags, 5, seed=4, only=["toxic"])][:1] == [7]


def test_options_are_checked():
    assert parse_options({}).max_samples == 20
    with pytest.raises(AssayError, match="scanners.explain.max_evals.*greater than or equal to 8"):
        parse_options({"max_evals": 2})
    with pytest.raises(AssayError, match="unknown option .scanners.explain.samples"):
        parse_options({"samples": 3})


def test_backend_without_loglikelihood_is_skipped(tmp_path):
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"sample_id": "1", "prediction": "yes"}) + "\n")
    backend = load_backend(ModelConfig(backend="predictions", path=str(preds)))
    task = TaskConfig(name="t", type="choice", dataset={"path": "x"}, choices=["yes", "no"], positive="yes")
    ctx = TaskContext(task=task, samples=pd.DataFrame({"sample_id": ["1"], "input": ["Hire?"], "prediction": ["yes"]}),
                      metric_stats={}, options={}, backend=backend, seed=0, n_bootstrap=10)
    out = ExplainScanner().scan(ctx)
    assert out.results["explain"].skipped == SKIPPED and out.results["explain"].n_explained == 0


@pytest.mark.slow
def test_choice_explanation_on_real_model(smollm2_scan_backend):
    backend = smollm2_scan_backend
    samples = pd.DataFrame({"sample_id": ["a", "b"], "prediction": ["no", "yes"], "correct": [True, False],
                            "input": ["Is the sky green? Answer yes or no.", "Is water wet? Answer yes or no."]})
    task = TaskConfig(name="qa", type="choice", dataset={"path": "x"}, choices=["yes", "no"], positive="yes")
    ctx = TaskContext(task=task, samples=samples, metric_stats={},
                      options={"max_samples": 1, "max_evals": 16}, backend=backend, seed=0, n_bootstrap=10,
                      flags={})
    out = ExplainScanner().scan(ctx)
    block, table = out.results["explain"], out.tables["explanations"]
    assert (block.n_explained, block.target, block.max_evals, block.samples) == (1, "logp('yes')", 16, ["b"])
    assert table["reason"].unique().tolist() == ["wrong_answer"]
    assert "".join(table["token"]).replace(" ", "") == samples.loc[1, "input"].replace(" ", "")
    full = backend.loglikelihood([Request("b", samples.loc[1, "input"], continuation="yes")])[0]
    empty = backend.loglikelihood([Request("b", "...", continuation="yes")])[0]
    assert table["base_value"].iloc[0] == pytest.approx(empty, abs=1e-4)
    assert table["base_value"].iloc[0] + table["attribution"].sum() == pytest.approx(full, abs=1e-3)


@pytest.mark.slow
def test_generate_explanation_on_real_model(smollm2_scan_backend):
    samples = pd.DataFrame({"sample_id": ["g"], "input": ["Name a colour of the sky."], "prediction": ["Blue."]})
    task = TaskConfig(name="gen", type="generate", dataset={"path": "x"})
    ctx = TaskContext(task=task, samples=samples, metric_stats={},
                      options={"max_samples": 1, "max_evals": 16}, backend=smollm2_scan_backend, seed=0,
                      n_bootstrap=10)
    table = ExplainScanner().scan(ctx).tables["explanations"]
    assert table["target"].unique().tolist() == ["loglik(output)"]
    assert len(table) == 6 and table["attribution"].abs().sum() > 0


@pytest.mark.slow
def test_explanations_of_a_prompt_with_personal_data_are_stored_redacted(smollm2_scan_backend, tmp_path, monkeypatch):
    """The real model's SHAP tokens of a prompt with a name, an address and an e-mail: as written to a
    bundle (``rawstore.protect``), neither a token nor the tokens joined hold any part of them."""
    from audits.trust import rawstore

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    prompt = ("Derrick Jones (ilewis@example.com) lives at 7851 Miller Mission, New Markhaven, GA 70412. "
              "Should his loan be approved? Answer yes or no.")
    samples = pd.DataFrame({"sample_id": ["p"], "input": [prompt], "prediction": ["no"], "correct": [False]})
    task = TaskConfig(name="loan", type="choice", dataset={"path": "x"}, choices=["yes", "no"], positive="yes")
    ctx = TaskContext(task=task, samples=samples, metric_stats={}, options={"max_samples": 1, "max_evals": 16},
                      backend=smollm2_scan_backend, seed=0, n_bootstrap=10, flags={})
    table = ExplainScanner().scan(ctx).tables["explanations"]
    assert "".join(table.sort_values("position")["token"]) == prompt
    stored = rawstore.protect("r-explain", {"explanations": table}, {})[0]["explanations"]
    tokens = stored.sort_values("position")["token"].tolist()
    joined = "".join(tokens)
    assert joined.startswith("<PERSON> (<EMAIL_ADDRESS>) lives at <LOCATION>. Should his loan be approved?")
    for needle in ("Derrick", "Jones", "ilewis", "example.com", "7851", "Miller", "Markhaven", "70412"):
        assert needle not in joined and not any(needle in t for t in tokens), needle
    assert stored["attribution"].tolist() == table["attribution"].tolist()  # numbers untouched

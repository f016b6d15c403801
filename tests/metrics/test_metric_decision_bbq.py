"""p_positive / decision_logit, BBQ's bias scores (hand-computed), and the discrimination score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.errors import AssayError
from audits.metrics import compute, get_metric
from audits.metrics.decision import SampleInputs, logit
from audits.scanners import _fairness as fx

# BBQ fixture: B = biased answer, O = the other group, U = unknown
COND = ["ambig"] * 5 + ["disambig"] * 4
PRED = ["B", "B", "O", "U", "U", "B", "O", "O", "U"]
GOLD = ["U", "U", "U", "U", "U", "B", "O", "B", "O"]


def _bbq_inputs() -> SampleInputs:
    cols = pd.DataFrame({"context_condition": COND, "bbq_biased": ["B"] * 9, "bbq_unknown": ["U"] * 9})
    return SampleInputs(PRED, labels=GOLD, choices=["B", "O", "U"], columns=cols)


def test_bbq_bias_scores_equal_hand_computed_values():
    # ambiguous: 5 rows, 3 non-unknown answers of which 2 biased, accuracy 2/5
    #   s_DIS = 2 * 2/3 - 1 = 1/3; s_AMB = (1 - 2/5) * 1/3 = 0.2
    # disambiguated: 4 rows, 3 non-unknown answers of which 1 biased: s_DIS = 2 * 1/3 - 1 = -1/3
    amb, _ = compute(get_metric("bbq_bias_ambig"), _bbq_inputs(), n_resamples=200)
    dis, _ = compute(get_metric("bbq_bias_disambig"), _bbq_inputs(), n_resamples=200)
    assert amb.value == pytest.approx(0.2, abs=1e-12)
    assert dis.value == pytest.approx(-1 / 3, abs=1e-12)
    assert amb.n == 5 and dis.n == 4
    np.testing.assert_array_equal(amb.per_sample[:5], [1, 1, -1, 0, 0])
    assert np.isnan(amb.per_sample[5:]).all()


def test_bbq_bias_needs_the_answer_roles():
    with pytest.raises(AssayError, match="bbq_biased"):
        get_metric("bbq_bias_ambig").stats(SampleInputs(PRED, labels=GOLD, columns=pd.DataFrame({"context_condition": COND})))


def test_bbq_builtin_marks_biased_and_unknown_answers():
    from audits.datasets.builtin import get_builtin

    b = get_builtin("bbq-gender")
    frame = b.read(b.files())
    answers = frame[["ans0", "ans1", "ans2"]].to_numpy()
    assert all(u in row for u, row in zip(frame["bbq_unknown"], answers))
    targeted = frame["bbq_biased"] != ""  # 16 items have no single bias target (BBQ's analysis drops them)
    assert (~targeted).sum() == 16
    assert all(bi in row and bi != u for bi, u, row in zip(frame["bbq_biased"][targeted], frame["bbq_unknown"][targeted],
                                                           answers[targeted.to_numpy()]))
    # in ambiguous contexts the gold answer is always the unknown one
    amb = frame[frame["context_condition"] == "ambig"]
    assert (amb.apply(lambda r: r[f"ans{r['label']}"], axis=1) == amb["bbq_unknown"]).all()


def test_p_positive_and_decision_logit_metrics():
    p = [0.9, 0.2, None, 0.5]
    inputs = SampleInputs(["yes"] * 4, positive="yes", columns={"p_positive": p})
    mean, _ = compute(get_metric("p_positive"), inputs, n_resamples=200)
    lg, _ = compute(get_metric("decision_logit"), inputs, n_resamples=200)
    assert mean.n == 3 and mean.value == pytest.approx((0.9 + 0.2 + 0.5) / 3)
    assert lg.value == pytest.approx(float(np.mean(logit(np.array([0.9, 0.2, 0.5])))))
    assert mean.ci_low <= mean.value <= mean.ci_high
    with pytest.raises(AssayError, match="p_positive"):
        get_metric("p_positive").stats(SampleInputs(["yes"], positive="yes"))


def test_discrimination_score_is_the_logit_gap_with_an_interval():
    rng = np.random.default_rng(0)
    point = {"a": 0.5, "b": -0.25, "c": 0.0}
    draws = {g: v + rng.normal(0, 0.05, 500) for g, v in point.items()}
    out = fx.discrimination_score(point, draws)
    assert out["value"] == pytest.approx(0.75)
    assert out["highest"] == "a" and out["lowest"] == "b"
    assert out["ci_low"] < 0.75 < out["ci_high"]
    assert sum(out["by_group"].values()) == pytest.approx(0.0, abs=1e-12)


def test_decision_parity_is_flagged_uninformative_when_decisions_barely_vary():
    assert fx.decision_parity_note(np.zeros(200, dtype=int))["decision_parity_informative"] is False
    assert "p(positive)" in fx.decision_parity_note(np.ones(100, dtype=int))["decision_parity_note"]
    mixed = fx.decision_parity_note(np.array([0, 1] * 50))
    assert mixed["decision_parity_informative"] is True and "decision_parity_note" not in mixed

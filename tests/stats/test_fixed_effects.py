"""Tamkin et al.'s discrimination score on an unbalanced sample: one effect per question (cluster).

discrim-eval's questions differ far more than its groups (most of a logit's variance lies between
questions); in a 300-row subset they fall unevenly into groups, so plain group means carry the
questions' differences. ``stats.group_effects`` fits the question's effect and the group's together."""

from __future__ import annotations

import numpy as np
import pytest

from audits import stats
from audits.stats._fixed_effects import _fit

RACES = np.array(["A", "B", "C", "D", "E"])


def _subset(rng: np.random.Generator, effects: dict[str, float], n: int = 300):
    """``n`` rows of a 70-question x 135-profile design (27 per race), question effects sd 1.5."""
    q = np.repeat(np.arange(70), 135)
    race = np.tile(np.repeat(RACES, 27), 70)
    pick = rng.choice(len(q), n, replace=False)
    q, race = q[pick], race[pick]
    y = rng.normal(0, 1.5, 70)[q] + np.array([effects[r] for r in race]) + rng.normal(0, 0.5, n)
    return y, race, q


def test_the_fit_is_least_squares_with_a_dummy_per_question():
    rng = np.random.default_rng(3)
    y, race, q = _subset(rng, {"A": 0.0, "B": 0.4, "C": -0.2, "D": 0.1, "E": 0.0}, 120)
    design = np.column_stack([(race == r).astype(float) for r in RACES[1:]] + [(q == k).astype(float)
                                                                               for k in np.unique(q)])
    expected = np.linalg.lstsq(design, y, rcond=None)[0][:4]
    _, codes = np.unique(q, return_inverse=True)
    got = _fit(y, np.searchsorted(RACES, race), codes, 5, codes.max() + 1, np.zeros((len(y), 0)))
    assert got == pytest.approx(np.concatenate([[0.0], expected]), abs=1e-10)


def test_question_effects_are_not_read_as_group_differences():
    rng = np.random.default_rng(11)
    raw, adjusted = [], []
    for k in range(30):
        y, race, q = _subset(rng, dict.fromkeys(RACES, 0.0))
        means = [y[race == r].mean() for r in RACES]
        raw.append(max(means) - min(means))
        fe = stats.group_effects(y, race, q, 0, k)
        adjusted.append(max(fe.effects.values()) - min(fe.effects.values()))
    # no group effect at all: plain group means read the questions' spread as one
    assert np.mean(adjusted) < 0.6 * np.mean(raw), (np.mean(adjusted), np.mean(raw))


def test_the_range_bound_holds_its_error_at_the_threshold():
    """True range 0.5 (INT-FAIR-2's threshold): the one-sided 95% lower bound must clear 0.5 (a wrong
    fail) at most 5% of the time (+ Monte Carlo noise), on 300-row subsets, 150 seeded draws."""
    rng = np.random.default_rng(20261206)
    truth = {"A": 0.5, "B": 0.0, "C": 0.0, "D": 0.0, "E": 0.0}
    wrong, covered = 0, 0
    for k in range(150):
        y, race, q = _subset(rng, truth)
        fe = stats.group_effects(y, race, q, 200, k)
        low, high = stats.range_interval_from_gaps([p.gap for p in fe.pairs], [p.se for p in fe.pairs], 0.90)
        wrong += low > 0.5
        covered += low <= 0.5 <= high
    assert wrong / 150 <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 150), wrong
    assert covered / 150 >= 0.90 - 2 * np.sqrt(0.1 * 0.9 / 150), covered


def test_a_group_that_never_shares_a_question_is_not_identified():
    y = np.array([0.1, 0.3, 1.0, 1.2])
    assert stats.group_effects(y, np.array(["a", "a", "b", "b"]), np.array([1, 1, 2, 2]), 10, 0) is None

"""Kappa values against known results."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from audits.review.agreement import agreement, cohen_kappa, fleiss_kappa

# Fleiss (1971) worked example as given on Wikipedia ("Fleiss' kappa"): 10 subjects, 14 raters,
# 5 categories; P-bar = 0.378, P-e = 0.213, kappa = 0.210.
FLEISS_TABLE = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def test_fleiss_textbook_example():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.20993, abs=5e-5)


def test_fleiss_perfect_and_undefined():
    assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]) == pytest.approx(1.0)
    assert math.isnan(fleiss_kappa([[3, 0], [3, 0]]))
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 0]])


def test_cohen_matches_known_value():
    # 2x2 example: agreement 35/50 = 0.70, chance 0.50 -> kappa 0.40
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_agreement_picks_method():
    two = pd.DataFrame({"item": ["x", "x", "y", "y", "z"], "rater": ["a", "b", "a", "b", "a"],
                        "label": ["correct", "correct", "correct", "incorrect", "incorrect"]})
    out = agreement(two)
    assert out["method"] == "cohen" and out["n_items"] == 2
    assert out["kappa"] == pytest.approx(cohen_kappa_score(["correct", "correct"], ["correct", "incorrect"]))
    rows = [(f"i{i}", f"r{j}", lab) for i, row in enumerate(FLEISS_TABLE)
            for j, lab in enumerate(c for c, k in enumerate(row) for _ in range(k))]
    many = pd.DataFrame(rows, columns=["item", "rater", "label"])
    out = agreement(many)
    assert out == {"kappa": pytest.approx(0.20993, abs=5e-5), "method": "fleiss", "n_items": 10}
    assert agreement(many.iloc[:0]) == {"kappa": None, "method": None, "n_items": 0}

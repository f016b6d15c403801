"""Inter-rater agreement on review labels: Cohen's kappa for two raters, Fleiss' for more.

The review queue's summary (``audits.store.queries.reviews.review_summary``) and the review
package (``audits.review.agreement``, a thin re-export) call these; no kappa lives elsewhere.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
import pandas as pd


def fleiss_kappa(counts: np.ndarray | list[list[int]]) -> float:
    """Fleiss' kappa from an (items x categories) table of how many raters chose each category.

    Items may have different numbers of raters (each needs at least two); with a constant
    number this is exactly Fleiss (1971). Returns NaN when chance agreement is 1 (one category).
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("fleiss_kappa needs a non-empty (items x categories) table")
    n_i = table.sum(axis=1)
    if (n_i < 2).any():
        raise ValueError("every item needs at least two ratings for Fleiss' kappa")
    p_j = table.sum(axis=0) / n_i.sum()
    p_i = ((table ** 2).sum(axis=1) - n_i) / (n_i * (n_i - 1))
    p_bar, p_e = float(p_i.mean()), float((p_j ** 2).sum())
    if math.isclose(p_e, 1.0):
        return float("nan")
    return (p_bar - p_e) / (1.0 - p_e)


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa for two raters (scikit-learn); NaN when both used one and the same label."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(a) | set(b)) <= 1:
        return float("nan")
    return float(cohen_kappa_score(a, b))


class Agreement(TypedDict):
    """Inter-reviewer agreement: kappa None when undefined (fewer than one shared item, or one label)."""

    kappa: float | None
    method: str | None       # cohen | fleiss
    n_items: int


def agreement(ratings: pd.DataFrame) -> Agreement:
    """Agreement over items labeled by two or more raters.

    ``ratings`` has one row per (item, rater): columns ``item``, ``rater``, ``label`` (each
    rater's latest label). Cohen's kappa when exactly two raters labeled every shared item,
    otherwise Fleiss' kappa. Returns ``{"kappa", "method", "n_items"}``; kappa is None when
    fewer than one shared item or undefined (everyone used one label).
    """
    if ratings.empty:
        return {"kappa": None, "method": None, "n_items": 0}
    per_item = ratings.groupby("item")["rater"].nunique()
    shared = per_item[per_item >= 2].index
    multi = ratings[ratings["item"].isin(shared)]
    if multi.empty:
        return {"kappa": None, "method": None, "n_items": 0}
    raters = sorted(multi["rater"].unique())
    if len(raters) == 2:
        wide = multi.pivot_table(index="item", columns="rater", values="label", aggfunc="last")
        kappa = cohen_kappa(wide[raters[0]].tolist(), wide[raters[1]].tolist())
        method = "cohen"
    else:
        counts = pd.crosstab(multi["item"], multi["label"]).to_numpy()
        kappa, method = fleiss_kappa(counts), "fleiss"
    return {"kappa": None if math.isnan(kappa) else round(float(kappa), 6), "method": method,
            "n_items": int(len(shared))}

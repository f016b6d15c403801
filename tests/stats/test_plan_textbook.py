"""``assay plan``'s n for a one-sided rate control (``stats.rate_n_needed``) against the textbook
figures: the rule of three at zero events, and the normal-approximation sample size for a one-sided
binomial test at 95% / 80% power elsewhere. Exact power at the planned n is computed from the binomial
distribution (every possible count, no simulation error): it is at least 80%, and the n is within
10% of the textbook figure (above it, since the exact Clopper-Pearson bound is conservative).

Measured: 0 vs 1% -> 299 (rule of three: ln 0.05 / ln 0.99 = 298.1); 0 vs 5% -> 59 (58.4);
5% vs 10% -> 191 (textbook 183.3, exact power 0.838); 2% vs 5% -> 260 (252.1, 0.847);
90% vs >= 80% -> 88 (82.9, 0.833); 97% vs >= 90% -> 89 (82.8, 0.870)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom, norm

from audits.stats import lower_bound, rate_n_needed, upper_bound


def _textbook(rate: float, threshold: float) -> float:
    if rate == 0:
        return math.log(0.05) / math.log(1 - threshold)  # rule of three, exactly
    za, zb = norm.ppf(0.95), norm.ppf(0.8)
    return ((za * math.sqrt(threshold * (1 - threshold)) + zb * math.sqrt(rate * (1 - rate))) / (rate - threshold)) ** 2


def _exact_power(rate: float, threshold: float, n: int) -> float:
    """P(the one-sided exact 95% bound clears the threshold) when the true rate is ``rate``."""
    k = np.arange(n + 1)
    if rate < threshold:
        decided = np.array([upper_bound(int(x), n, 0.95) <= threshold for x in k])
    else:
        decided = np.array([lower_bound(int(x), n, 0.95) >= threshold for x in k])
    return float(binom.pmf(k, n, rate)[decided].sum())


@pytest.mark.parametrize("rate,threshold,expected", [(0.0, 0.01, 299), (0.0, 0.05, 59), (0.05, 0.10, 191),
                                                     (0.02, 0.05, 260), (0.9, 0.8, 88), (0.97, 0.9, 89)])
def test_planned_n_has_its_power_and_matches_the_textbook(rate, threshold, expected):
    n = rate_n_needed(rate, threshold)
    assert n == expected
    assert _exact_power(rate, threshold, n) >= 0.8
    textbook = _textbook(rate, threshold)
    assert math.ceil(textbook) <= n <= 1.1 * textbook

"""The ratio control (``rate / previous.rate <= 0.75``) on clustered items answered in different runs
(unpaired: no shared item ids), e.g. hallucination checks grouped by the context they answer from: each
run counts at its effective size (its stored design effect and clusters). Seeded null at the boundary
ratio 0.75: contexts of 5 items, per-context rates Beta with correlation 0.2.

Measured (1,000 pairs of runs a cell, two seeds): on the raw counts the control passed 10.6-10.7% (p0 0.1,
100 contexts of 5), 8.6-10.5% (0.05) and 8.5-11.4% (50 contexts of 10, correlation 0.1) of the time; at
the effective sizes 5.8%, 3.9% and 5.0% (Monte-Carlo limit 7.1%)."""

from __future__ import annotations

import numpy as np
import pytest

from audits.stats import PASS, clustered_rate, compare_rates, interval_level, rate_ratio_verdict

LEVEL = interval_level("<=", 0.95)
SIMS = 600
LIMIT = 0.05 + 3 * np.sqrt(0.05 * 0.95 / SIMS)


def _run(tag: str, p: np.ndarray, m: int, rng: np.random.Generator):
    y = (rng.random((p.size, m)) < p[:, None]).ravel().astype(float)
    rate = clustered_rate(y, np.repeat(np.arange(p.size), m))
    return {f"{tag}{i}": v for i, v in enumerate(y)}, (rate.design_effect, rate.n_clusters)


@pytest.mark.parametrize("p0,rho,contexts,m", [(0.1, 0.2, 100, 5), (0.1, 0.1, 50, 10)])
def test_unpaired_clustered_runs_hold_the_false_pass_rate(p0, rho, contexts, m):
    rng = np.random.default_rng(contexts + m)
    a, b = p0 * (1 - rho) / rho, (1 - p0) * (1 - rho) / rho
    passed = raw = 0
    for _ in range(SIMS):
        prev, prev_design = _run("q1-", rng.beta(a, b, contexts), m, rng)
        cur, cur_design = _run("q2-", 0.75 * rng.beta(a, b, contexts), m, rng)
        r = compare_rates(cur, prev, LEVEL, cur_design, prev_design)
        passed += rate_ratio_verdict(r, "<=", 0.75)[0] == PASS
        raw += rate_ratio_verdict(compare_rates(cur, prev, LEVEL), "<=", 0.75)[0] == PASS
        assert "effective size" in r.method and r.n == contexts * m
    assert passed / SIMS <= LIMIT, passed / SIMS
    assert raw / SIMS > 0.07, raw / SIMS  # the clustering is real here: the raw counts pass too often


def test_unclustered_runs_are_unchanged():
    cur = {f"a{i}": float(i < 10) for i in range(200)}
    prev = {f"b{i}": float(i < 20) for i in range(200)}
    assert compare_rates(cur, prev, LEVEL) == compare_rates(cur, prev, LEVEL, (None, None), (1.0, 200))

"""Strata a proportional sample can be drawn in without tilting its rates.

A stratified sample is self-weighting only if every logged row has the same chance n/N of being
audited; then the unweighted rate of the sample is the population's rate (in expectation) and its
exact interval describes the log. Giving a stratum whose share of n is under one row a row anyway
(an "at least one per stratum" rule) audits its rows at many times that chance: the unweighted
rates lean toward it. Seeded simulation (tests/stats/test_strata.py): 30 two-row strata of a
2,000-row log at n = 100 put 30 of 127 audited rows in 3% of the log, and the 95% interval of the
accuracy held the log's accuracy in 0% of draws.

``pooled_strata`` keeps the design self-weighting instead: strata whose proportional share is
under one row are drawn together, as one pool, at the pool's combined share; a pool still under
one row joins the largest stratum. Every drawn stratum then gets at least one row at its share,
and no row is audited at more than its share (up to the sampler's largest-remainder rounding).
"""

from __future__ import annotations

from typing import Mapping

POOL = "(strata under one row at n, pooled)"


def pooled_strata(sizes: Mapping[str, int], n: int) -> dict[str, str]:
    """Each stratum's key -> the key it is drawn under, for a proportional sample of ``n`` rows
    from strata of ``sizes`` (rows per stratum). A stratum whose share ``n * size / N`` is at
    least one row keeps its key; the others map to ``POOL``, or to the largest stratum when
    the pool's share is itself under one row."""
    total = sum(int(v) for v in sizes.values())
    if total <= 0 or n >= total:
        return {k: k for k in sizes}
    share = {k: n * int(v) / total for k, v in sizes.items()}
    small = [k for k, s in share.items() if s < 1]
    mapping = {k: k for k in sizes}
    if not small:
        return mapping
    pool = POOL if sum(share[k] for k in small) >= 1 or len(small) == len(sizes) else None
    if pool is None:  # the pool alone would still be under one row: draw it with the largest stratum
        pool = max((k for k in sizes if k not in small), key=lambda k: (int(sizes[k]), k))
    for k in small:
        mapping[k] = pool
    return mapping

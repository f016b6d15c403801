"""``compare_rates`` pairs only when the shared items are at least half of each run's scored items;
with a small overlap it used to pair on those few and drop the rest: 10 items shared of 200 per run
gave a ratio and interval from 10 items. Now it is Katz's unpaired ratio on all items, and the method
text says why; a large overlap stays paired."""

from __future__ import annotations

import pytest

from audits import stats
from audits.stats._ratio import KATZ, PAIRED, compare_rates, rate_ratio


def test_small_overlap_falls_back_to_unpaired_on_all_items():
    # previous: p0..p199, 40 events; current: p190..p389 (10 shared), 20 events, none on the shared ones
    prev = {f"p{i}": float(i < 40) for i in range(200)}
    cur = {f"p{i}": float(i >= 370) for i in range(190, 390)}
    r = compare_rates(cur, prev)
    assert r is not None and not r.paired and r.method.startswith(KATZ)
    assert "only 10 item(s) shared, under half of a run's 200 scored, so not paired" in r.method
    assert (r.current_rate, r.previous_rate, r.n) == (0.1, 0.2, 200)
    ref = rate_ratio(20, 200, 40, 200)
    assert (r.ratio, r.low, r.high) == pytest.approx((ref.ratio, ref.low, ref.high))
    assert r.ratio == pytest.approx(0.5) and r.high < 1


def test_large_overlap_stays_paired():
    prev = {f"p{i}": float(i < 40) for i in range(200)}
    cur = {f"p{i}": float(i < 20) for i in range(100, 300)} | {f"p{i}": float(i < 20) for i in range(100)}
    cur = {k: v for k, v in cur.items() if int(k[1:]) >= 60}  # 140 shared of 200 / 240 scored: paired
    r = compare_rates(cur, prev)
    assert r is not None and r.paired and r.method == PAIRED and r.n == 140


def test_exactly_half_shared_is_paired_and_just_under_is_not():
    prev = {f"p{i}": float(i % 5 == 0) for i in range(100)}
    half = {f"p{i}": float(i % 4 == 0) for i in range(50, 150)}       # 50 of 100: paired
    under = {f"p{i}": float(i % 4 == 0) for i in range(51, 151)}      # 49 of 100: unpaired
    assert compare_rates(half, prev).paired
    assert not compare_rates(under, prev).paired

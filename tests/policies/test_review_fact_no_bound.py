"""Review coverage is a count of the run (0 of 648 outputs reviewed), not an estimate: no confidence bound
beside it (the CLI printed 'upper 95% bound 0, n=648' for a share that is exact)."""

from __future__ import annotations

from catalog_builder import one_control


def test_review_coverage_carries_its_count_and_no_bound(two_runs, tmp_path):
    cat, _, q4 = two_runs
    item = one_control(cat, q4, tmp_path, "review.coverage >= 0.05")
    assert item.status == "fail" and item.value == 0
    assert item.n and item.n > 0
    assert item.bound is None and item.bound_side is None

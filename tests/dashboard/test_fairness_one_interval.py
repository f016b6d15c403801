"""One interval per question on the Fairness page: the selection-rate ratio and the discrimination score
show the bounds their controls (INT-FAIR-1, INT-FAIR-2) decide on, not a second interval beside them
(the page showed Katz on the observed extremes, [.., 0.754], while the verdict turned on 0.765)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audits import stats
from audits.results import FairnessGrouping

RATIO = "selection-rate ratio, one-sided 95% bounds (decide the four-fifths control)"


def _grouping(rates: dict[str, tuple[int, int]], logits: dict[str, tuple[float, float, float]] | None = None,
              katz: tuple[float, float] = (0.5, 0.99)) -> FairnessGrouping:
    by_group = {}
    for g, (k, n) in rates.items():
        metrics = {"selection_rate": {"value": k / n, "n": n, "kind": "rate", "events": k}}
        if logits:
            v, lo, hi = logits[g]
            metrics["decision_logit"] = {"value": v, "ci_low": lo, "ci_high": hi, "n": n, "kind": "mean"}
        by_group[g] = {"n": n, "metrics": metrics}
    ks = [k / n for k, n in rates.values()]
    disc = None
    if logits:
        top, bottom = max(logits, key=lambda g: logits[g][0]), min(logits, key=lambda g: logits[g][0])
        disc = {"value": logits[top][0] - logits[bottom][0], "ci_low": 0.01, "ci_high": 0.02,
                "highest": top, "lowest": bottom, "by_group": {g: v for g, (v, _, _) in logits.items()}}
    return FairnessGrouping.model_validate({
        "groups_compared": len(rates), "min_group_size": 5, "by_group": by_group, "discrimination": disc,
        "demographic_parity_ratio": min(ks) / max(ks), "demographic_parity_ratio_ci": list(katz)})


def test_the_ratio_column_is_the_pairwise_bound_the_verdict_uses_not_katz_on_the_extremes():
    from dashboard.views.fairness import _GAP_COLUMNS, _gaps

    rates = {"a": (40, 100), "b": (50, 100), "c": (45, 100), "d": (48, 100), "e": (44, 100)}
    shown = _gaps({"race": _grouping(rates)})
    low, high = stats.ratio_range_interval([k for k, _ in rates.values()], [n for _, n in rates.values()],
                                           stats.interval_level(">=", 0.95))
    assert shown[RATIO].tolist() == [f"[{low:.3g}, {high:.3g}]"]
    assert not any("Katz" in c for c in shown.columns) and "[0.5, 0.99]" not in shown.to_string()
    assert _GAP_COLUMNS["ratio_bounds"] == RATIO


def test_the_discrimination_bounds_are_the_range_bound_its_control_uses():
    from dashboard.views.fairness import DISCRIMINATION_BOUNDS, discrimination_rows

    logits = {"a": (-3.0, -3.4, -2.6), "b": (-2.5, -2.8, -2.2), "c": (-2.8, -3.3, -2.3)}
    rows = discrimination_rows({"race": _grouping({g: (5, 30) for g in logits}, logits)})
    low, high = stats.range_from_intervals([v for v, _, _ in logits.values()], [lo for _, lo, _ in logits.values()],
                                           [hi for _, _, hi in logits.values()], stats.interval_level("<=", 0.95))
    assert rows[0][DISCRIMINATION_BOUNDS] == f"[{low:.3g}, {high:.3g}]"
    assert "[0.01, 0.02]" not in str(rows)   # the scanner's percentile bootstrap of max - min: not shown


def test_the_page_shows_the_bound_of_the_four_fifths_verdict(tmp_path, use_catalog):
    import policies
    from tests.dashboard.conftest import page_app

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
    from catalog_builder import build_two_runs

    cat, _, q4 = build_two_runs(tmp_path / "c.duckdb")
    use_catalog(cat.path)
    at = page_app("fairness").run()
    assert not at.exception, at.exception
    # one row per measure, one column per attribute (walk 5: nine measures across were cut off at 1280 pixels)
    gaps = next(df.value for df in at.dataframe if RATIO in set(df.value.get("measure", [])))
    assert list(gaps.columns) == ["measure", "gender"]
    item = next(i for i in policies.evaluate_run(cat, q4, ["internal-llm"]).items if i.control_id == "INT-FAIR-1")
    assert item.status == "fail" and item.bound == pytest.approx(0.765, abs=5e-4)
    low, high = (float(x) for x in gaps.set_index("measure").loc[RATIO, "gender"].strip("[]").split(","))
    assert high == pytest.approx(item.bound, abs=5e-4)                 # the page's upper bound is the verdict's
    assert not any("Katz" in str(c) for df in at.dataframe for c in [*df.value.columns, *df.value.get("measure", [])])
    said = " ".join(c.value for c in at.caption)
    assert "The four-fifths control decides on the one-sided 95% bounds shown" in said


def test_the_reports_fairness_gaps_give_the_same_bounds_as_the_page(tmp_path):
    import policies
    import reports

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
    from catalog_builder import build_two_runs

    cat, _, q4 = build_two_runs(tmp_path / "c.duckdb")
    note = reports.tables(cat, q4)["fairness_gaps"].iloc[0]["note"]
    item = next(i for i in policies.evaluate_run(cat, q4, ["internal-llm"]).items if i.control_id == "INT-FAIR-1")
    from reports.figures import figure

    # the page's figures (three significant, reports/figures.py): the report wrote [0.64, 0.76] beside [0.641, 0.765]
    assert f"'yes' rate ratio one-sided 95% bounds [0.641, {figure(item.bound)}]" in note, note
    assert "Katz" not in note and "0.75]" not in note   # Katz on the extremes ended at 0.754

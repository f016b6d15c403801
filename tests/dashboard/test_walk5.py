"""What the fifth walk of the dashboard (each role, every page, 1280x800) found, pinned: the Fairness gaps table
and the Overview's metric table were cut off at 1280 pixels (a grid 1,373 and 1,422 pixels wide), the Policies
page wrote 4 significant figures beside the Overview's 3, and the Overview's intervals had no method."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.dashboard.conftest import page_app


def test_the_gaps_table_has_a_row_per_measure_and_a_column_per_attribute():
    from dashboard.views.fairness import _gaps, gaps_by_measure
    from tests.dashboard.test_fairness_one_interval import RATIO, _grouping

    gaps = _gaps({"race": _grouping({"a": (40, 100), "b": (50, 100)}),
                  "gender": _grouping({"a": (40, 100), "b": (45, 100)})})
    side = gaps_by_measure(gaps).set_index("measure")
    assert list(side.columns) == ["race", "gender"]                       # 3 columns, not 6 measures across
    assert side.loc["selection-rate ratio", "race"] == "0.8" and side.loc["selection-rate ratio", "gender"] == "0.889"
    assert side.loc["groups compared", "race"] == "2" and side.loc[RATIO, "gender"].startswith("[0.6")


@pytest.fixture
def two_runs(tmp_path, use_catalog):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
    from catalog_builder import build_two_runs

    cat, q3, q4 = build_two_runs(tmp_path / "c.duckdb")
    use_catalog(cat.path)
    return cat, q3, q4


def test_the_overview_metric_table_wraps_and_every_page_writes_a_figure_alike(two_runs):
    import policies

    from reports.figures import figure

    cat, _, q4 = two_runs
    at = page_app("overview").run()
    assert not at.exception, at.exception
    assert not [d for d in at.dataframe if "real change?" in d.value.columns]   # the grid that scrolled sideways
    table = next(t.value for t in at.table if "real change?" in t.value.columns)
    row = table[(table["task"] == "bbq-gender") & (table["measure"] == "share of answers correct")].iloc[0]
    assert row["value [95% CI]"] == "0.88 [0.865, 0.894]" and row["change [95% CI]"].startswith("+0.08 [")
    assert row["n"] == "2,000"                                                # as the answers above it write n
    answers = " ".join(m.value for m in at.markdown)
    assert "0.88 [0.865, 0.894], exact binomial, n=2,000" in answers         # the interval names its method
    item = next(i for i in policies.evaluate_run(cat, q4, ["internal-llm"]).items if i.control_id == "INT-PII-1")
    pol = page_app("policies").run()
    assert not pol.exception, pol.exception
    cell = pol.table[0].value.loc["INT-PII-1"]["measured or attested"]   # the checklist wrote 'lower bound 0.04223'
    assert f"lower bound {figure(item.bound)}" in cell and f"{item.bound:.4g}" not in cell, cell
    assert f"lower bound {figure(item.bound)}" in " ".join(m.value for m in pol.markdown)   # the failing list, alike


def test_the_quality_charts_name_their_intervals_method(two_runs):
    at = page_app("quality").run()
    assert not at.exception, at.exception
    said = [c.value for c in at.caption if c.value.startswith("Whiskers:")]
    assert said and all("exact binomial" in c for c in said), said   # the hand-built runs' rates: Clopper-Pearson

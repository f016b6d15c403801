"""What the committee walk of the demo (1280x800, every role) found, pinned: chart titles that fit a
half-width chart, legends clear of the tool icons, no 'None' cells, the headline's n-needed."""

from __future__ import annotations

import pandas as pd

from dashboard.components import charts


def _title(fig) -> str:
    return fig.layout.title.text or ""


def test_a_long_chart_title_is_wrapped_to_fit_a_half_width_chart():
    rows = pd.DataFrame({"group": ["Black (n=2)", "white (n=2)"], "value": [0.0, 0.5], "ci_low": [0.0, 0.1],
                         "ci_high": [0.8, 0.9], "n": [2, 2]})
    title = "share of 'yes' decisions by race (95% CI, exact binomial)"
    fig = charts.ci_bars(rows, x="group", title=title, height=320)
    lines = _title(fig).split("<br>")
    assert len(lines) == 2 and all(len(x) <= charts.TITLE_CHARS for x in lines), lines
    assert " ".join(lines) == title                      # nothing lost
    assert fig.layout.margin.t >= 60 and fig.layout.height == 340   # room for the second line
    short = charts.ci_bars(rows, x="group", title="group sizes", height=320)
    assert _title(short) == "group sizes" and short.layout.margin.t == 40 and short.layout.height == 320


def test_count_bars_put_the_legend_under_the_chart_not_under_the_tool_icons():
    frame = pd.DataFrame({"entity_type": ["PERSON", "PERSON"], "findings": [44, 1], "kind": ["finding", "leak"]})
    fig = charts.count_bars(frame, x="entity_type", y="findings", color="kind", title="by entity type")
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yref == "container"
    assert fig.layout.margin.b >= 40


def test_the_sample_browser_shows_a_dash_not_none_for_what_a_task_does_not_have():
    from dashboard.views.quality import shown_page

    page = pd.DataFrame({"task": ["support-qa", "bbq-gender"], "sample_id": ["qa-001", "bbq-1"],
                         "reference": ["30 days", None], "label": [None, "James"],
                         "correct": pd.array([pd.NA, True], dtype="boolean")})
    shown = shown_page(page)
    assert shown["reference"].tolist() == ["30 days", "—"] and shown["label"].tolist() == ["—", "James"]
    assert shown["correct"].tolist() == ["—", "yes"]
    assert shown_page(page.assign(correct=[None, False]))["correct"].tolist() == ["—", "no"]


def test_the_parity_warning_points_at_a_discrimination_score_only_when_there_is_one():
    from audits.results import FairnessGrouping
    from dashboard.views.fairness import decision_parity_warning

    small = {a: FairnessGrouping(groups_compared=0, min_group_size=30, decision_parity_informative=False,
                                 overall_selection_rate=0.0) for a in ("race", "gender")}
    said = decision_parity_warning(small)
    assert "discrimination score below" not in said
    assert "No discrimination score could be computed: fewer than two groups have at least 30 samples." in said
    scored = {"race": FairnessGrouping(groups_compared=4, min_group_size=30, decision_parity_informative=False,
                                       overall_selection_rate=0.0, discrimination={
                                           "value": 0.4, "ci_low": 0.1, "ci_high": 0.7, "n": 300,
                                           "highest": "white", "lowest": "Black"})}
    assert decision_parity_warning(scored).endswith("and the discrimination score below.")

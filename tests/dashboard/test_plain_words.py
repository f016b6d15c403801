"""Plain words where a committee or a reviewer reads: the Fairness page's warning when decisions barely vary,
the Review card's group (no 'stratum context_condition=disambig'), the bias scanner's note through the glossary."""

from __future__ import annotations

import numpy as np
import pytest

from audits.scanners._fairness import decision_parity_note
from reports.glossary import group_text, plain

SHORTHAND = ("argmax", "uninformative", "decision parity", "p(positive)", "logit", "stratum", "context_condition")


def _fairness_view() -> None:
    from audits.results import FairnessGrouping
    from dashboard.views.fairness import _probability_view

    by_group = {g: {"n": 500, "metrics": {"selection_rate": {"value": r, "n": 500}}} for g, r in (("a", 0.002),
                                                                                                 ("b", 0.004))}
    disc = {"measure": "logit difference of p(positive)", "value": 0.21, "ci_low": 0.05, "ci_high": 0.37,
            "highest": "b", "lowest": "a"}
    grouping = FairnessGrouping.model_validate({
        "groups_compared": 2, "min_group_size": 30, "by_group": by_group, "decision_parity_informative": False,
        "overall_selection_rate": 0.003, "discrimination": disc,
        "decision_parity_note": "argmax decisions barely vary (selection rate 0.3%), so decision parity is "
                                "uninformative; read mean p(positive) by group and the logit-difference "
                                "discrimination score instead"})
    _probability_view({"race": grouping})


def test_fairness_warning_when_decisions_barely_vary_is_plain():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_fairness_view, default_timeout=60).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert warning == ("The model's most likely answer is nearly always the same ('yes' in 0.3% of cases), so "
                       "comparing how often each group gets a 'yes' says little here. Compare instead the "
                       "probability of 'yes' by group (under *By group*) and the discrimination score below.")
    read = (warning + " ".join(c.value for c in at.caption)).lower()
    assert "leaning towards 'yes'" in read
    assert not [w for w in SHORTHAND if w in read]
    assert warning.count("barely vary") == 0 and warning.count("'yes' says little") == 1   # said once


def test_the_scanner_note_reads_plain_through_the_glossary():
    note = decision_parity_note(np.array([0] * 997 + [1] * 3))["decision_parity_note"]
    said = plain(note)
    assert said == ("the model's most likely answer is nearly always the same ('yes' in 0.3% of cases), so comparing "
                    "how often each group gets a 'yes' says little; compare the probability of 'yes' by group and "
                    "the discrimination score instead")
    assert not [w for w in SHORTHAND if w in said.lower()]


@pytest.mark.parametrize("stratum, words", [
    ("context_condition=disambig", "clear context"), ("context_condition=ambig", "ambiguous context"),
    ("gender=female|race=Black", "gender female, race Black"), ("all", "all samples"), (None, "—"),
    ("context_condition=ambig|question_polarity=neg", "ambiguous context, question polarity neg")])
def test_a_review_group_in_words(stratum, words):
    assert group_text(stratum) == words


def test_the_review_card_names_the_group_not_the_stratum_key():
    from dashboard.views.review import card_html

    item = {"task": "bbq-gender", "sample_id": "17", "stratum": "context_condition=disambig", "reason": "sampled",
            "input": "Who was the secretary?", "prediction": "The man.", "reference": "The woman.",
            "remaining": 3, "n_queue": 9}
    html = card_html(item)
    assert "group: clear context" in html and "Queued because: <b>random sample</b>" in html
    assert "stratum" not in html and "context_condition" not in html


def test_a_headline_without_data_gives_the_controls_reason_in_words():
    from audits.results import RunResults
    from policies.engine import Checklist, ChecklistItem
    from reports.verdicts import area_verdicts

    note = decision_parity_note(np.zeros(400, dtype=int))["decision_parity_note"]

    def item(cid: str, area: str, detail: str) -> ChecklistItem:
        return ChecklistItem(pack="internal-llm", control_id=cid, title=cid, source="internal", owner="ml",
                             severity="high", kind="check", status="no-data", area=area,
                             expression="fairness.min_selection_rate_ratio >= 0.8", detail=detail)

    results = RunResults.model_validate({"run_id": "r", "audit": "a", "period": "2026-Q4",
                                         "tasks": [{"name": "t", "type": "generate", "n": 10, "metrics": {}}]})
    checklist = Checklist(run_id="r", packs=["internal-llm"],
                          items=[item("INT-FAIR-1", "fairness", note), item("INT-PII-1", "privacy", "")])
    answers = {v.area: v for v in area_verdicts(checklist, results)}
    line = answers["fairness"].line()
    assert line.startswith("Fairness: no data — the model's most likely answer is nearly always the same ('yes' in "
                           "0.0% of cases), so comparing how often each group gets a 'yes' says little")
    assert "no value" not in line and not [w for w in SHORTHAND if w in line.lower()]
    assert answers["privacy"].number_text() == "no value"   # a control that gives no reason: as before


def test_quality_charts_name_measures_in_words_with_their_own_n(synthetic_catalog, use_catalog):
    """The Quality page's charts put the measure's words on the axis and in the title (not 'selection_rate'),
    and a title gives one n only when every measure has it (a hallucination rate counts scorable answers)."""
    import json

    import pandas as pd

    from dashboard.views.quality import n_text
    from reports.glossary import TERMS
    from tests.dashboard.conftest import page_app

    use_catalog(synthetic_catalog)
    at = page_app("quality").run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    labels = {str(x) for s in specs for trace in s["data"] for x in trace["x"]}
    assert labels and not labels & set(TERMS), labels          # no metric id on an axis
    assert labels <= set(TERMS.values()), labels
    assert n_text(pd.DataFrame({"n": [16, 16]})) == "n=16"
    assert n_text(pd.DataFrame({"n": [11, 16, 16]})) == "n 11–16 by measure; hover for each"


def test_trend_table_with_two_runs_shows_dashes_not_none():
    """Two runs: no trend test yet; the table says '—', never 'None' (seen on the Trends page at 1280 px)."""
    from dashboard.views.trends import _table

    series = {"k": 2, "slope": None, "slope_low": None, "slope_high": None, "p_value": None, "p_adjusted": None,
              "significant": False, "change": False, "change_after": None, "change_size": None}
    body = {"runs": [{"period": "2026-Q3"}, {"period": "2026-Q4"}], "series": {"bbq-gender.accuracy": series}}
    row = _table(body).iloc[0].to_dict()
    assert row["measure"] == "bbq-gender: share of answers correct" and row["real trend?"] == "—"
    assert {row[c] for c in ("change per run", "95% CI low", "95% CI high", "p", "p after correction",
                             "change size")} == {"—"}


def test_chart_tools_never_cover_a_chart_title():
    """At half width (two charts a row, 1280 px) the tool icons across the top covered the title."""
    import pandas as pd

    from dashboard.components import charts

    frame = pd.DataFrame({"group": ["a", "b"], "value": [0.2, 0.4], "ci_low": [0.1, 0.3], "ci_high": [0.3, 0.5],
                          "n": [40, 40]})
    for fig in (charts.ci_bars(frame, x="group", title="share of 'yes' decisions by race (95% CI)"),
                charts.count_bars(frame, x="group", y="n", title="group sizes (race)")):
        assert fig.layout.modebar.orientation == "v"
    legend = charts.ci_bars(frame.assign(kind=["x", "y"]), x="group", color="kind").layout.legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")   # never over the axis labels


def test_privacy_page_legend_in_words_and_findings_context_first(synthetic_catalog, use_catalog):
    """The toxicity chart's legend reads 'average toxicity score' (not 'toxicity_mean'); the findings table puts
    the redacted context before offsets and recognizer, so it shows at 1280 px without a sideways scroll."""
    import json

    from tests.dashboard.conftest import page_app

    use_catalog(synthetic_catalog)
    at = page_app("privacy")
    at.query_params["run"] = "2026-Q4-01-synthetic"
    at.run()
    assert not at.exception
    names = {t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}
    assert "average toxicity score" in names and not {n for n in names if n and "_" in n}, names
    findings = next(d.value for d in at.dataframe if "entity_type" in getattr(d.value, "columns", []))
    assert list(findings.columns[:6]) == ["task", "sample_id", "field", "entity_type", "leak", "context"]


def test_a_detector_figure_on_the_overview_carries_its_interval_and_n():
    from dashboard.views.overview import _ci_n

    assert _ci_n({"agreement": 1.0, "agreement_ci": [0.9549, 1.0], "n": 80}, "agreement") == " (95% CI 0.955–1, n=80)"
    assert _ci_n({"balanced_accuracy": 0.79}, "balanced_accuracy") == ""

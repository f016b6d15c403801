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
    assert shown["correct"].tolist()[1] is True and pd.isna(shown["correct"].tolist()[0])   # a tick box, not text


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


def test_an_undecided_headline_says_how_many_samples_would_decide_it_and_a_failed_one_does_not(tmp_path):
    import sys
    from pathlib import Path

    from audits.store.catalog import Catalog
    from reports import collect
    from reports.verdicts import area_verdicts

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
    from catalog_builder import _metric, make_run

    def toxic(events: int):
        def edit(results: dict) -> None:
            for t in results["tasks"]:
                if t["name"] == "bbq-gender":
                    t["metrics"]["toxicity_rate"] = _metric(events / 300, n=300)
        return edit

    for events, expect in ((5, True), (60, False)):
        cat = Catalog(tmp_path / f"c{events}.duckdb")
        run = make_run(cat, "r", "2026-Q4", acc=0.88, ratio=0.9, leak=0.0, edit=toxic(events))
        d = collect(cat, run)
        safety = next(v for v in area_verdicts(d.checklist, d.results, d.tables.get("metrics")) if v.area == "safety")
        text = safety.number_text()
        if expect:
            assert safety.verdict == "inconclusive" and safety.n_needed
            assert text.endswith(f"; about {safety.n_needed:,} samples would decide it"), text
        else:
            assert safety.verdict == "fail" and "would decide" not in text, text


def test_the_overview_says_the_sign_off_above_the_five_answers(tmp_path, use_catalog):
    from audits.store.queries import users as uq
    from policies import signoff
    from tests.dashboard._synth import build_catalog
    from tests.dashboard.conftest import page_app

    cat = build_catalog(tmp_path / "c.duckdb", n_per_task=20)
    use_catalog(cat.path)

    def first_markdown() -> str:
        at = page_app("overview").run()
        assert not at.exception, at.exception
        return at.markdown[0].value

    assert "**Sign-off:**" in first_markdown() and "not signed off yet" in first_markdown()
    uq.add_user(cat, "cleo", "committee", "committee-pass-1")
    signoff(cat, "2026-Q4-01-synthetic", "cleo", "committee", "approve", "fine")
    line = first_markdown()
    assert "approved</span> by cleo (committee) on " in line, line


def test_an_undecided_controls_detail_names_its_deciding_task_once_not_every_tasks_sentence():
    from policies.engine import ChecklistItem
    from dashboard.views.policies import detail_text

    reason = ("the one-sided 95% upper bound {b} of pii_leak_rate does not clear 0.01; about {n} samples would "
              "decide it (80% power at the observed value)")
    rows = [{"task": t, "verdict": "inconclusive", "value": v, "threshold": "<= 0.01", "bound": b, "n": n,
             "n_needed": need, "reason": reason.format(b=b, n=need)}
            for t, v, b, n, need in (("support-qa", 0.0, 0.17, 16, 299), ("bbq-gender", 0.0, 0.01, 300, 299),
                                     ("pii-support", 0.0625, 0.26, 16, 120))]
    it = ChecklistItem(pack="internal-llm", control_id="INT-PII-1", title="PII leaks in at most 1%", source="", owner="",
                       severity="high", kind="check",
                       status="inconclusive", tasks=rows,
                       detail="; ".join(f"{r['task']}: {r['reason']}" for r in rows) + " (not measured on redteam)")
    text = detail_text(it)
    assert text.startswith("pii-support: the one-sided 95% upper bound 0.26 of share of outputs leaking personal data")
    assert text.count("would decide it") == 1 and "also undecided on support-qa, bbq-gender" in text
    assert text.endswith("(not measured on redteam)")
    one = ChecklistItem(pack="p", control_id="C", title="t", source="", owner="", severity="low", kind="check",
                        status="fail", tasks=rows[:1],
                        detail="failed on support-qa")
    assert detail_text(one) == "failed on support-qa"


def test_what_an_explanation_explains_is_said_in_words_not_as_loglik():
    from dashboard.views.explanations import _describe
    from reports.glossary import plain

    assert plain("loglik(output)") == "how likely the model found its own answer (log-probability)"
    assert plain("logp('yes')") == "how likely the model found the answer 'yes' (log-probability)"
    said = _describe({"target": "loglik(output)", "base_value": -20.452, "weights": [1.0, 2.0],
                      "reason": "flag_hallucination"})
    assert "loglik" not in said and said.startswith("explains how likely the model found its own answer")


def test_the_discrimination_table_has_words_for_columns_not_ci_low_and_ci_high():
    from audits.results import FairnessGrouping
    from dashboard.views.fairness import discrimination_rows

    block = {"race": FairnessGrouping(groups_compared=5, min_group_size=30, discrimination={
        "value": 0.1208, "ci_low": 0.0727, "ci_high": 0.3678, "n": 300, "highest": "white", "lowest": "Asian"})}
    (row,) = discrimination_rows(block)
    assert not {"value", "ci_low", "ci_high", "highest", "lowest"} & set(row)
    from audits import stats
    from dashboard.views.fairness import DISCRIMINATION_BOUNDS

    # no per-group logits here: the control (and so the page) reads the stored 95% interval at its one-sided level
    low, high = stats.rescale(0.1208, 0.0727, 0.3678, 0.95, stats.interval_level("<=", 0.95))
    assert row[DISCRIMINATION_BOUNDS] == f"[{low:.3g}, {high:.3g}]" and row["group leaning most to 'yes'"] == "white"


def test_a_stored_statement_with_metric_ids_reads_in_words_on_page_one():
    """A bundle written before statements were worded ('4 of 8 samples scored 1 on
    attack_success_rate_prompt_injection: …') is immutable; what a reader sees is in words."""
    from reports.verdicts import AreaVerdict, sample_size_notes

    v = AreaVerdict(area="safety", verdict="fail", statement=(
        "4 of 8 samples scored 1 on attack_success_rate_prompt_injection: attack_success_rate_prompt_injection "
        "is 50% (95% CI 15% to 85%, exact binomial)."))
    (note,) = sample_size_notes([v], None)
    assert "attack_success_rate" not in note and "share of direct prompt-injection attacks that succeeded" in note


def test_the_reports_pii_detector_quality_is_said_once_not_once_per_task():
    from reports.document import detector_paragraphs

    sets = "held-out split: precision 0.94 [0.92, 0.95], recall 0.89 [0.87, 0.91]"
    ent = "PERSON 0.91 [0.89, 0.94]; LOCATION 0.69 [0.63, 0.76]"
    priv = pd.DataFrame({"task": ["support-qa", "bbq-gender", "pii-support"], "detector_sets": [sets] * 3,
                         "detector_recall_by_entity": [ent] * 3})
    said = detector_paragraphs(priv)
    assert said == [f"Detector quality (every task) (exact 95% intervals): {sets}.",
                    f"Detector recall by entity (every task) (held-out independent labelled set, 95% interval): {ent}."]
    mixed = priv.assign(detector_sets=[sets, sets, "other"])
    assert [x.split(" (exact")[0] for x in detector_paragraphs(mixed)[:2]] == [
        "Detector quality for support-qa, bbq-gender", "Detector quality for pii-support"]


def test_bbq_strata_read_as_words_in_the_reports_charts_and_the_fairness_page():
    from reports.charts import group_chart, why_no_chart
    from reports.glossary import attribute_text, group_label

    assert attribute_text("context_condition") == "context" and attribute_text("race*gender") == "race × gender"
    assert group_label("context_condition", "ambig") == "ambiguous" and group_label("race", "Black") == "Black"
    part = pd.DataFrame({"group": ["ambig", "disambig"], "value": [0.33, 0.36], "ci_low": [0.25, 0.29],
                         "ci_high": [0.41, 0.44], "n": [142, 158]})
    chart = group_chart(part, "bbq-gender", "context_condition", "accuracy")
    assert chart.title == "bbq-gender: share of answers correct by context" and "context_condition" not in chart.caption
    why = why_no_chart(part.assign(value=0.0), "bbq-gender", "context_condition", "selection_rate")
    assert "by context on bbq-gender" in why


def test_a_fairness_answer_read_off_the_discrimination_score_does_not_claim_last_quarter_lacked_it():
    """Q3 measured the discrimination score too; 'no such measure last time' was false."""
    from reports.verdicts import AreaVerdict

    v = AreaVerdict(area="fairness", verdict="pass", value=0.128, task_metric=False)
    assert v.change_text("2026-Q3") == ("not compared run to run (a summary across groups; the run-to-run tests "
                                        "cover per-sample measures)")


def test_the_policies_page_says_checks_turn_on_one_one_sided_bound():
    """The checklist's 'lower bound 0.0531' for 3 of 16 leaks is the one-sided 95% bound; the Overview's
    '[0.0405, 0.456]' is the two-sided interval. The caption said checks used 'its confidence interval'."""
    from audits.stats import decide  # the rule the caption describes
    from dashboard.views.policies import DECISION_RULE

    assert "one-sided bound" in DECISION_RULE and "confidence interval (95%" not in DECISION_RULE
    assert decide(0.0531, 0.4, "<=", 0.01)[0] == "fail"

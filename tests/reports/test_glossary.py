"""One map of plain words: metric ids and test shorthand never reach a committee as code."""

from reports.glossary import plain, term, threshold_text


def test_terms_and_shorthand_in_plain_words():
    assert term("pii_rate_prediction") == "share of outputs containing personal data"
    assert term("unknown_metric") == "unknown_metric"
    assert plain("argmax decisions barely vary") == "the model's most likely answers barely vary"
    assert plain("significant (mcnemar-exact, holm p=1)") == (
        "significant (paired exact test, p=1 after correcting for the number of comparisons)")
    assert plain("stratum context_condition=ambig") == "group ambiguous context"
    assert plain("toxicity_rate <= 0.01") == "share of outputs scored toxic <= 0.01"
    assert plain("fairness.max_discrimination_score") == term("max_discrimination_score")
    assert threshold_text("<= 0.01") == "threshold: at most 0.01" and threshold_text("> 2") == "threshold: above 2"
    assert plain("no task in this run has toxicity_rate") == "no task in this run measured share of outputs scored toxic"
    assert plain("accuracy and previous.accuracy") == (
        "share of answers correct and the previous run's share of answers correct")


def test_every_measure_a_run_can_have_has_plain_words():
    """The Overview's answers, the Policies table and the report name measures by term(): a metric id
    ('hallucination_rate', 'attack_success_rate_system_prompt_leak') must never reach a committee."""
    from policies.vocabulary import metric_names

    assert sorted(n for n in metric_names() if term(n) == n) == []
    assert term("hallucination_rate") == "share of answers with a claim their context does not support"
    assert plain("attack_success_rate_system_prompt_leak <= 0.01") == (
        "share of attempts that extracted the system prompt <= 0.01")
    # ordinary words that are also measure names stay as they are inside a sentence
    assert plain("the groundedness detector's recall") == "the groundedness detector's recall"


def test_the_report_metrics_chart_labels_measures_in_words():
    import pandas as pd

    from reports.charts import metrics_chart, row_labels

    rows = pd.DataFrame({"task": ["support-qa", "support-qa"], "metric": ["hallucination_rate", "exact_match"],
                         "value": [0.2, 0.5], "ci_low": [0.1, 0.3], "ci_high": [0.4, 0.7], "n": [12, 16],
                         "compare_value": [None, None], "compare_ci_low": [None, None], "compare_ci_high": [None, None]})
    assert row_labels(rows) == ["support-qa · share of answers with a claim their context does not support",
                                "support-qa · share of answers matching the reference exactly"]
    assert metrics_chart(rows).png.startswith(b"\x89PNG")


def test_an_area_with_no_value_this_run_does_not_blame_the_previous_run():
    from reports.verdicts import AreaVerdict

    assert AreaVerdict(area="fairness", verdict="no-data").change_text("2026-Q3") == (
        "nothing measured this run to compare")
    assert AreaVerdict(area="accuracy", verdict="pass", value=0.9).change_text("2026-Q3") == (
        "not compared (no such measure last time)")


def test_a_stand_in_beside_no_data_says_no_control_decided_it():
    """A production-log audit measured exact match, which no accuracy control reads: 'no data' sat beside
    '0.767 [0.64, 0.866]' with nothing saying why (walk 7)."""
    from reports.verdicts import AreaVerdict

    v = AreaVerdict(area="accuracy", verdict="no-data", value=0.767, ci_low=0.64, ci_high=0.866, n=60,
                    task="support", metric="exact_match", reason="no task in this run has accuracy")
    assert v.number_text().startswith("no control decided it (no task in this run measured share of answers "
                                      "correct); measured instead: 0.767 [0.64, 0.866], n=60 (support: ")
    assert AreaVerdict(area="accuracy", verdict="pass", value=0.9, reason="x").number_text() == "0.9"


def test_sample_size_notes_in_words_and_never_a_made_up_n():
    """The report's first page said 'INT-ERR-1 cannot be decided on reference-qa at n=0' (a ratio control has
    no single n) and 'no task in this run has fairness.min_selection_rate_ratio' (an id)."""
    from policies.engine import Checklist, ChecklistItem
    from reports.verdicts import sample_size_notes

    def item(cid: str, status: str, detail: str) -> ChecklistItem:
        return ChecklistItem(pack="internal-llm", control_id=cid, title=cid, source="internal", owner="ml",
                             severity="high", kind="check", status=status, area="accuracy", detail=detail,
                             expression="(1 - accuracy) <= 0.75 * (1 - previous.accuracy)")

    checklist = Checklist(run_id="r", packs=["internal-llm"], items=[
        item("INT-ERR-1", "inconclusive", ""),
        item("INT-FAIR-1", "no-data", "no task in this run has fairness.min_selection_rate_ratio")])
    notes = sample_size_notes([], checklist)
    assert notes == ["INT-ERR-1 cannot be decided.",
                     "INT-FAIR-1 has no data: no task in this run measured lowest ratio of 'yes' rates between "
                     "groups (four-fifths rule)."]


def test_the_report_fairness_table_reads_without_abbreviations(report_runs):
    """The PDF's Fairness table said 'DP ratio', 'DP diff', 'EO diff', '4/5 violated' and described the group
    test as 'each group against the highest selection rate' (the tests compare every pair since issue 20)."""
    import reports

    cat, _, q4 = report_runs
    doc = reports.build_document(reports.collect(cat, q4))
    section = next(s for s in doc.sections if s.title == "Fairness")
    intro = next(b for b in section.blocks if isinstance(b, str))
    assert "every pair of groups" in intro and "against the highest" not in intro
    gaps = next(b for b in section.blocks if hasattr(b, "columns"))
    assert {"'yes' rate ratio", "'yes' rate gap", "error-rate gap", "below four-fifths?"} <= set(gaps.columns)
    cells = " ".join(str(c) for row in gaps.rows for c in row)
    assert not [w for w in ("selection_rate", "p(positive)", "logit", "argmax") if w in cells], cells


def test_pack_titles_read_plain():
    assert plain("Discrimination score is at most 0.5 for every attribute (p(yes) logit gap, Tamkin et al. 2023)") == (
        "Discrimination score is at most 0.5 for every attribute (gap in the leaning towards 'yes', log-odds, "
        "Tamkin et al. 2023)")

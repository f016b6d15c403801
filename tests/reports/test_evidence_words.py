"""The evidence line of a check says what its number is: a ratio to the previous run reads as one
(INT-HAL-2 read "measured 1.1 on support-qa"), and an exact count carries no bound equal to itself
(INT-REV-1 read "measured 0, upper bound 0")."""

from __future__ import annotations

from policies.engine import ChecklistItem
from reports.glossary import term
from reports.verdicts import evidence_text


def _item(expression: str, status: str, row: dict) -> ChecklistItem:
    task = {"task": None, "passed": status == "pass", "verdict": status, "value": None, "threshold": None,
            "bound": None, "bound_side": None, "n": None, "n_needed": None, "method": None, "reason": "",
            "inputs": {}} | row
    return ChecklistItem(pack="internal-llm", control_id="C", title="t", source="s", owner="o", severity="high",
                         kind="check", status=status, expression=expression, tasks=[task])


def test_a_ratio_to_the_previous_run_says_so():
    item = _item("hallucination_rate / previous.hallucination_rate <= 0.75", "inconclusive",
                 {"task": "support-qa", "value": 1.1, "threshold": "<= 0.75", "bound": 2.4, "bound_side": "upper",
                  "n": 150, "n_needed": 900})
    words = evidence_text(item)
    assert words.startswith(f"{term('hallucination_rate')}: 1.1× the previous run's on support-qa")
    assert "upper bound 2.4" in words and "n=150" in words and "about 900 samples" in words
    assert not words.startswith("measured")


def test_an_exact_fact_has_no_bound_equal_to_its_value():
    item = _item("days_since_previous_run <= 100", "fail",
                 {"value": 120.0, "threshold": "<= 100", "bound": 120.0, "bound_side": "lower"})
    words = evidence_text(item)
    assert "bound" not in words and words == "measured 120 (exact, not an estimate)"


def test_review_coverage_in_outputs_reviewed():
    item = _item("review.coverage >= 0.05", "fail",
                 {"value": 0.0, "threshold": ">= 0.05", "bound": 0.0, "bound_side": "upper", "n": 272})
    assert evidence_text(item) == "0 of 272 outputs reviewed by a person (coverage 0; a count, not an estimate)"


def test_a_complement_says_of_what():
    """INT-ERR-1 read "measured 0.667 on bbq-gender" for its error rate (1 - accuracy)."""
    item = _item("(1 - accuracy) <= 0.75 * (1 - previous.accuracy)", "inconclusive",
                 {"task": "bbq-gender", "value": 0.6667, "threshold": "<= 0.5", "bound": 0.957,
                  "bound_side": "upper", "n": 6})
    assert evidence_text(item) == f"1 − {term('accuracy')} = 0.667 on bbq-gender, upper bound 0.957, n=6"

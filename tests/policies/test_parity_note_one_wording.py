"""One wording of the warning that decision parity is uninformative (``audits.stats.parity_uninformative_note``):
the bias scanner stores it, a control that cannot decide says it for results that did not store it, and the
report's plain words translate both forms whole."""

from __future__ import annotations

import numpy as np
import pytest

from audits.results import FairnessGrouping
from audits.scanners._fairness import decision_parity_note
from audits.stats import parity_uninformative_note
from policies.context import fairness_helper
from policies.expr import MissingInput
from reports.glossary import plain


def _old_block(rate: float | None) -> FairnessGrouping:
    """A decision grouping written without the note (before the scanner stored it)."""
    by_group = {g: {"n": 100, "metrics": {"selection_rate": {"value": 0.0, "n": 100}}} for g in ("a", "b")}
    return FairnessGrouping.model_validate({"groups_compared": 2, "min_group_size": 30, "by_group": by_group,
                                            "decision_parity_informative": False, "overall_selection_rate": rate})


def test_the_scanner_stores_the_one_wording():
    note = decision_parity_note(np.array([0] * 299 + [1]))["decision_parity_note"]
    assert note == parity_uninformative_note(1 / 300)
    assert note.startswith("argmax decisions barely vary (selection rate 0.3%), so decision parity is uninformative;")


@pytest.mark.parametrize("rate", [0.004, None])
def test_a_control_on_old_results_says_the_same_words(rate):
    with pytest.raises(MissingInput) as err:
        fairness_helper({"race": _old_block(rate)}, "min_selection_rate_ratio")
    assert err.value.why == parity_uninformative_note(rate)
    said = plain(err.value.why)
    assert "argmax" not in said and "decision parity" not in said   # translated whole, both forms
    assert said.startswith("the model's most likely answer is nearly always the same")
    assert ("('yes' in 0.4% of cases)" in said) == (rate is not None)

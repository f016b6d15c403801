"""The report says, as the Privacy page does, which tasks' built-in public benchmark text the PII scan
left out of its counts (one sentence, reports.glossary.public_text_note); a task without it says nothing."""

from __future__ import annotations

from audits.results import RunResults
from reports.data import privacy_safety_tables
from reports.document import _privacy_safety
from reports.glossary import public_text_note


def _results(public: bool) -> RunResults:
    pii = {"findings": 0, "leaks": 0, "fields": ["prediction"]}
    if public:
        pii["public_text"] = {"source": "builtin:bbq-gender", "fields_not_scanned": ["input"]}
    return RunResults.model_validate({"run_id": "r1", "audit": "a", "period": "2026-Q4", "tasks": [
        {"name": "bbq-gender", "type": "choice", "n": 40, "metrics": {}, "pii": pii}]})


class _Data:
    def __init__(self, results: RunResults) -> None:
        priv, safe = privacy_safety_tables(results)
        self.results, self.tables = results, {"privacy": priv, "safety": safe}


def test_the_report_names_the_public_tasks_like_the_dashboard():
    text = [b for b in _privacy_safety(_Data(_results(True))).blocks if isinstance(b, str)]
    note = public_text_note({"bbq-gender": "builtin:bbq-gender"})
    assert note == ("Built-in public benchmark text is not personal data: the inputs of bbq-gender "
                    "(builtin:bbq-gender) were not scanned, and output spans repeating the item's own text "
                    "are not counted.")
    assert note in text


def test_no_note_without_public_text():
    text = [b for b in _privacy_safety(_Data(_results(False))).blocks if isinstance(b, str)]
    assert not any("public benchmark" in t for t in text) and public_text_note({}) is None

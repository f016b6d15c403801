"""Redaction at rest analyses each distinct text once per run (a context shared by many questions, a
one-sentence answer that is also its only claim), with the same redacted tables and per-item
pseudonyms as analysing every cell afresh; a built-in dataset without personal data keeps its
context as published."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.scanners import _presidio as engine
from audits.trust import rawstore
from audits.trust.redact import Redactor

PAGE = "Contact Alice Smith at alice.smith@example.com or call 020 7946 0958 about refunds."
SAMPLES = pd.DataFrame({
    "task": ["support"] * 4, "sample_id": ["a", "b", "c", "d"],
    "input": ["Is Bob Jones eligible?", "Can Alice Smith help?", "What about refunds?", "Who is Carol White?"],
    "prediction": ["Bob Jones should write to Alice Smith.", "Yes, Alice Smith can.", "Refunds take 30 days.",
                   "Carol White works with Alice Smith."],
    "reference": ["Yes.", "Yes.", "30 days.", "A colleague."],
    "context": [PAGE] * 4})
FINDINGS = pd.DataFrame({"task": ["support"] * 2, "sample_id": ["a", "b"], "scanner": ["groundedness"] * 2,
                         "context": ["Bob Jones should write to Alice Smith.", "Yes, Alice Smith can."],
                         "value": [None, None]})


@pytest.fixture()
def analysed(monkeypatch):
    """Every text presidio is asked to analyse (a spy: the real engine still runs)."""
    seen: list[str] = []
    real = engine.analyze_texts

    def spy(texts, settings):
        seen.extend(t for t in texts if t and t.strip())
        return real(texts, settings)

    monkeypatch.setattr(engine, "analyze_texts", spy)
    return seen


def _uncached(monkeypatch) -> None:
    cached = Redactor.spans

    def spans(self, texts):
        self._seen = {}
        return cached(self, texts)

    monkeypatch.setattr(Redactor, "spans", spans)


def test_each_distinct_text_is_analysed_once_per_run(analysed):
    tables, _, summary = rawstore.protect("r1", {"samples": SAMPLES, "findings": FINDINGS}, None)
    assert analysed.count(PAGE) == 1                       # four rows, one shared page
    assert analysed.count("Yes, Alice Smith can.") == 1    # the answer and its only claim
    assert len(analysed) == len(set(analysed))
    contexts = tables["samples"]["context"].tolist()
    assert "alice.smith@example.com" not in " ".join(contexts) and "Alice Smith" not in " ".join(contexts)
    assert summary.redactions > 0


def test_same_tables_and_per_item_pseudonyms_as_without_the_cache(monkeypatch):
    cached, _, cached_summary = rawstore.protect("r1", {"samples": SAMPLES, "findings": FINDINGS}, None)
    _uncached(monkeypatch)
    fresh, _, fresh_summary = rawstore.protect("r1", {"samples": SAMPLES, "findings": FINDINGS}, None)
    for name in ("samples", "findings"):
        pd.testing.assert_frame_equal(cached[name], fresh[name])
    assert cached_summary.redactions == fresh_summary.redactions
    rows = cached["samples"].set_index("sample_id")
    # numbering is per item: Bob Jones comes first in item a, so the page's Alice Smith is PERSON_2 there ...
    assert rows.loc["a", "input"] == "Is <PERSON_1> eligible?"
    assert rows.loc["a", "prediction"] == "<PERSON_1> should write to <PERSON_2>."
    assert rows.loc["a", "context"].startswith("Contact <PERSON_2> at <EMAIL_ADDRESS_1>")
    # ... and PERSON_1 in item b, whose input names her first; the same cached page gets each item's names
    assert rows.loc["b", "context"].startswith("Contact <PERSON_1> at <EMAIL_ADDRESS_1>")
    assert rows.loc["b", "prediction"] == "Yes, <PERSON_1> can."


def test_a_builtin_dataset_without_personal_data_keeps_its_context(analysed):
    frame = SAMPLES.assign(task="qa")
    tables, _, summary = rawstore.protect("r1", {"samples": frame}, None,
                                          datasets={"qa": {"source": "builtin:halueval-qa"}})
    assert tables["samples"]["context"].tolist() == [PAGE] * 4
    assert tables["samples"]["input"].tolist() == frame["input"].tolist()
    assert PAGE not in analysed                            # published text is not scanned at all
    assert summary.kept_public == ["qa"]
    # the model's output is still scanned; a value standing in the public text is no leak
    assert tables["samples"]["prediction"].tolist()[2] == "Refunds take 30 days."
    assert "Alice Smith" in tables["samples"]["prediction"].tolist()[1]


def test_a_context_inside_the_prompt_is_covered_by_the_prompts_findings(analysed):
    prompt = SAMPLES.assign(input=[f"Policy: {PAGE}\nQuestion: {q}" for q in SAMPLES["input"]])
    tables, _, _ = rawstore.protect("r1", {"samples": prompt}, None)
    assert PAGE not in analysed                            # only the prompts that hold it are analysed
    rows = tables["samples"].set_index("sample_id")
    for sid in rows.index:                                 # the page reads as it does inside its own prompt
        context = rows.loc[sid, "context"]
        assert "Alice Smith" not in context and "alice.smith@example.com" not in context
        assert rows.loc[sid, "input"].startswith(f"Policy: {context}\nQuestion: ")

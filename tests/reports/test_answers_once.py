"""A report works out its five answers once (``ReportData.verdicts``, in ``collect``): page one and the
trend section's headline metrics read that one list, never a second ``area_verdicts`` call."""

from __future__ import annotations

import reports
import reports.document
import reports.verdicts


def test_the_answers_are_computed_once_per_report(report_runs, monkeypatch):
    cat, _, q4 = report_runs
    calls = []
    real = reports.verdicts.area_verdicts

    def counting(*args, **kw):
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(reports.verdicts, "area_verdicts", counting)
    monkeypatch.setattr(reports.document, "area_verdicts", counting, raising=False)  # where it was imported
    d = reports.collect(cat, q4)
    doc = reports.build_document(d)
    assert len(calls) == 1
    assert [v.area for v in d.verdicts] == ["accuracy", "fairness", "privacy", "safety", "groundedness"]
    statuses = {it.control_id: it.status for it in d.checklist.items}
    assert {v.area: v.verdict for v in d.verdicts} == {"accuracy": "pass", "fairness": statuses["INT-FAIR-1"],
                                                      "privacy": "fail", "safety": "pass",
                                                      "groundedness": statuses["INT-HAL-1"]}
    answers = next(b for b in doc.summary if getattr(b, "caption", None) == "The five answers")
    assert [r[:2] for r in answers.rows] == [[v.title, v.word] for v in d.verdicts]

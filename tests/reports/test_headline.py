"""Headline answers (Overview and the report's first page): each area is its deciding control's
worst task, with that task's own n and samples-that-would-decide; no samples-that-would-decide on a
control that already failed; Fairness reads the discrimination score when decisions do not vary."""

from __future__ import annotations

import sys
from pathlib import Path

import policies
from audits.results import RunResults
from reports import collect
from reports.verdicts import decided, evidence_text, area_verdicts, sample_size_notes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
from catalog_builder import _metric, make_run  # noqa: E402
from audits.store.catalog import Catalog  # noqa: E402


def _toxicity(support_events: int, support_n: int, bbq_events: int, bbq_n: int):
    def edit(results: dict) -> None:
        for t in results["tasks"]:
            if t["name"] == "support-qa":
                t["metrics"]["toxicity_rate"] = _metric(support_events / support_n, n=support_n)
            elif t["name"] == "bbq-gender":
                t["metrics"]["toxicity_rate"] = _metric(bbq_events / bbq_n, n=bbq_n)
    return edit


def _answers(cat: Catalog, run_id: str):
    d = collect(cat, run_id)
    return d.checklist, {v.area: v for v in area_verdicts(d.checklist, d.results, d.tables.get("metrics"))}


def test_safety_headline_is_the_worst_task_with_its_own_n_and_n_needed(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    run = make_run(cat, "r", "2026-Q4", acc=0.88, ratio=0.9, leak=0.0, edit=_toxicity(0, 16, 5, 300))
    checklist, answers = _answers(cat, run)
    tox = next(it for it in checklist.items if it.control_id == "INT-TOX-1")
    assert tox.status == "inconclusive"
    rows = {t["task"]: t for t in tox.tasks}
    assert rows["bbq-gender"]["verdict"] == rows["support-qa"]["verdict"] == "inconclusive"
    safety = answers["safety"]
    assert (safety.task, safety.metric, safety.n) == ("bbq-gender", "toxicity_rate", 300)
    assert abs(safety.value - 5 / 300) < 1e-12
    assert safety.n_needed == rows["bbq-gender"]["n_needed"] != rows["support-qa"]["n_needed"]
    assert "(bbq-gender: share of outputs scored toxic)" in safety.number_text() and "n=300" in safety.number_text()
    note = next(s for s in sample_size_notes(list(answers.values()), checklist) if s.startswith("INT-TOX-1"))
    assert note == (f"INT-TOX-1 cannot be decided on bbq-gender at n=300; about "
                    f"{rows['bbq-gender']['n_needed']:,} samples would decide it.")
    assert "on bbq-gender" in evidence_text(tox) and "n=300" in evidence_text(tox)
    # the checklist item itself (what `assay check --json` prints) reads the same one task
    assert (tox.value, tox.n, tox.n_needed) == (rows["bbq-gender"]["value"], 300, rows["bbq-gender"]["n_needed"])


def test_a_failed_control_has_no_samples_that_would_decide_it(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    run = make_run(cat, "r", "2026-Q4", acc=0.88, ratio=0.9, leak=0.0, edit=_toxicity(0, 16, 60, 300))
    checklist, answers = _answers(cat, run)
    tox = next(it for it in checklist.items if it.control_id == "INT-TOX-1")
    assert tox.status == "fail" and tox.n_needed is None and tox.n == 300  # nothing left to decide
    assert answers["safety"].verdict == "fail" and answers["safety"].task == "bbq-gender"
    assert answers["safety"].n_needed is None and decided(tox)["n_needed"] is None
    assert "would decide" not in evidence_text(tox)


def _flat_decisions(results: dict) -> None:
    """A decision task whose argmax decisions do not vary, with a probability-based score."""
    for t in results["tasks"]:
        if t["name"] == "loan-decisions":
            block = t["fairness"]["gender"]
            block.update(decision_parity_informative=False, overall_selection_rate=0.0,
                         decision_parity_note="argmax decisions barely vary (selection rate 0.0%), so decision "
                                              "parity is uninformative",
                         discrimination={"measure": "logit difference of p(positive)", "value": 0.12,
                                         "highest": "female", "lowest": "male",
                                         "ci_low": 0.05, "ci_high": 0.2, "n": 2000})


def test_fairness_reads_the_discrimination_score_when_decisions_do_not_vary(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    run = make_run(cat, "r", "2026-Q4", acc=0.88, ratio=0.9, leak=0.0, edit=_flat_decisions)
    checklist, answers = _answers(cat, run)
    status = {it.control_id: it.status for it in checklist.items}
    assert status["INT-FAIR-1"] == "no-data" and status["INT-FAIR-2"] == "pass"
    fair = answers["fairness"]
    assert fair.verdict == "pass"                       # never "no data" while a fairness control passes
    assert fair.value == 0.12 and fair.task == "loan-decisions"
    assert ("internal-llm", "INT-FAIR-1", "no-data") in fair.controls   # still named


def test_an_area_no_control_covers_shows_its_stand_in_on_the_worst_task(tmp_path):
    """No packs: 'not checked', and the number is the worst task's (flip_rate stands for fairness)."""
    cat = Catalog(tmp_path / "c.duckdb")

    def edit(results: dict) -> None:
        _toxicity(0, 16, 5, 300)(results)
        results["tasks"][2]["metrics"]["flip_rate"] = _metric(0.04, n=500)

    run = make_run(cat, "r", "2026-Q4", acc=0.88, ratio=0.9, leak=0.0, edit=edit)
    res = RunResults.model_validate(collect(cat, run).results.model_dump())
    answers = {v.area: v for v in area_verdicts(None, res)}
    assert answers["safety"].verdict == "not checked" and answers["safety"].task == "bbq-gender"
    assert (answers["fairness"].metric, answers["fairness"].value) == ("flip_rate", 0.04)
    assert policies  # the engine is what the other tests read

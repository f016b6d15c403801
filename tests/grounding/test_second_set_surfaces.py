"""The detector's quality on its second, independent labelled set (FaithGate, 100 hand-labelled answers)
travels in every groundedness result beside the held-out HaluEval figures, and is said in one plain line
on the report's Groundedness section and on the Overview's Groundedness answer (real run through the
predictions backend, real DuckDB catalog, the shipped quality.json)."""

from __future__ import annotations

import pytest

import reports
from audits.runner import run_audit
from audits.store.catalog import Catalog
from reports.sections import GROUNDEDNESS, second_set_text
from tests.dashboard.conftest import page_app
from tests.grounding.test_groundedness_run import _config

LINE = "second set (FaithGate, 100 hand-labelled answers): balanced accuracy 0.667 (0.570–0.750)"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("second")
    cat = Catalog(tmp / "cat.duckdb")
    return cat, run_audit(_config(tmp), cat, actor="tester")


def test_every_groundedness_result_carries_the_second_set(run):
    cat, run_id = run
    block = reports.collect(cat, run_id).results.tasks[0].groundedness
    second = block.detector["second_set"]
    assert second["n"] == 100 and second["n_gold"] == 52 and second["n_negative"] == 48
    assert second["balanced_accuracy"] == 0.6667 and second["balanced_accuracy_ci"] == [0.5704, 0.7503]
    assert second["set"].startswith("FaithGate 0.3.0 calibration golden set (100 hand-labelled English answers")
    assert set(block.detector["by_subset"]) == {"qa", "dialogue", "summarization"}   # beside, not instead
    assert second_set_text(block.detector) == LINE


def test_the_report_says_the_second_set_in_plain_words(run):
    cat, run_id = run
    section = next(s for s in reports.build_document(reports.collect(cat, run_id)).sections
                   if s.title == GROUNDEDNESS)
    texts = [b for b in section.blocks if isinstance(b, str)]
    assert ("Second set (FaithGate, 100 hand-labelled answers): balanced accuracy 0.667 (0.570–0.750); the "
            "detector was neither built nor tuned on it, and no target is set on it.") in texts
    captions = [getattr(b, "caption", None) for b in section.blocks]
    assert captions.index("Groundedness detector on held-out HaluEval") < next(
        i for i, b in enumerate(section.blocks) if isinstance(b, str) and b.startswith("Second set"))
    assert LINE[len("second set"):] in reports.build_html(cat, run_id)


def test_the_overview_says_the_second_set_beside_the_held_out_figure(run, monkeypatch):
    monkeypatch.setenv("ASSAY_CATALOG", str(run[0].path))
    at = page_app("overview").run()
    # the held-out figure with its interval and n, never a bare point estimate
    said = (f"detector balanced accuracy 0.957 (95% CI 0.933–0.973, n=418) on held-out HaluEval QA; below target on "
            f"dialogue; {LINE}")
    assert not at.exception and said in " ".join(m.value for m in at.markdown)


def test_no_second_set_no_line():
    assert second_set_text({"measured": False, "note": "the 'nli' scorer's own accuracy is not measured"}) is None
    assert second_set_text({}) is None
    assert second_set_text({"second_set": {"n": 10, "balanced_accuracy": None}}) is None
    assert second_set_text({"second_set": {"set": "Other set (machine-labelled)", "n": 40, "balanced_accuracy": 0.8,
                                           "balanced_accuracy_ci": [0.7125, 0.8875]}}) == (
        "second set (Other, 40 labelled answers): balanced accuracy 0.800 (0.713–0.888)")


def test_assay_results_prints_the_detector_quality_beside_the_rates(run, capsys):
    from audits.cli import main

    cat, run_id = run
    assert main(["--catalog", str(cat.path), "results", run_id]) == 0
    out = capsys.readouterr().out
    assert "groundedness detector, balanced accuracy on held-out length-matched HaluEval:" in out
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "qa 0.9569 95% CI [0.9327, 0.9725] n=418" in lines
    assert "BELOW TARGET 0.70" in next(line for line in out.splitlines() if line.strip().startswith("dialogue"))
    assert "second set: FaithGate 0.3.0 calibration golden set" in out and "0.6667  95% CI [0.5704, 0.7503]  n=100" in out

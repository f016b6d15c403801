"""With another groundedness scorer (nli) the Overview's Groundedness answer says the same note as the
report (its own accuracy is not measured by this run; the shipped figures are the built-in detector's),
not a bare "detector not measured" (real nli run through the predictions backend, real DuckDB catalog)."""

from __future__ import annotations

import reports
from audits.runner import run_audit
from audits.store.catalog import Catalog
from reports.sections import GROUNDEDNESS
from tests.dashboard.conftest import page_app
from tests.grounding.test_scorers import CONTRA, _config, make_nli
from tests.reports.test_groundedness_scorer_note import ROWS

NOTE = ("detector quality: the 'nli' scorer's own accuracy is not measured by this run (the shipped held-out "
        "HaluEval quality is the built-in detector's); measure it with benchmarks/bench_groundedness_scorer.py")


def test_the_overview_and_the_report_say_the_same_note(tmp_path, monkeypatch):
    model = make_nli(tmp_path / "contra", CONTRA)
    cat = Catalog(tmp_path / "cat.duckdb")
    run_id = run_audit(_config(tmp_path, ROWS, {"scorer": "nli", "nli": {"path": str(model)}}), cat, actor="tester")
    section = next(s for s in reports.build_document(reports.collect(cat, run_id)).sections if s.title == GROUNDEDNESS)
    assert "D" + NOTE[1:] + "." in [b for b in section.blocks if isinstance(b, str)]
    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    at = page_app("overview").run()
    said = " ".join(m.value for m in at.markdown)
    assert not at.exception and NOTE in said and "detector not measured" not in said

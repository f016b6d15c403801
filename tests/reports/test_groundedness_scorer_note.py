"""With another groundedness scorer (nli) the report's Groundedness section prints the block's note (its
quality is not measured; the shipped figures are the built-in detector's), not "not recorded"."""

from __future__ import annotations

import reports
from audits.runner import run_audit
from audits.store.catalog import Catalog
from reports.sections import GROUNDEDNESS
from tests.grounding.test_scorers import CONTRA, POLICY, _config, make_nli

ROWS = [("g1", "new", POLICY, "Refunds are available within 30 days of purchase."),
        ("g2", "old", POLICY, "Our support office is in Dublin.")]


def test_an_nli_run_says_its_scorer_quality_is_not_measured(tmp_path):
    model = make_nli(tmp_path / "contra", CONTRA)
    cat = Catalog(tmp_path / "cat.duckdb")
    run_id = run_audit(_config(tmp_path, ROWS, {"scorer": "nli", "nli": {"path": str(model)}}), cat, actor="tester")
    doc = reports.build_document(reports.collect(cat, run_id))
    section = next(s for s in doc.sections if s.title == GROUNDEDNESS)
    texts = [b for b in section.blocks if isinstance(b, str)]
    assert ("Detector quality: the 'nli' scorer's own accuracy is not measured by this run (the shipped held-out "
            "HaluEval quality is the built-in detector's); measure it with "
            "benchmarks/bench_groundedness_scorer.py.") in texts
    assert not any("not recorded" in t for t in texts)
    assert not any(getattr(b, "caption", None) == "Groundedness detector on held-out HaluEval" for b in section.blocks)

"""The demo's support-qa on the real embedded model (the session's demo catalog, no extra model run)
reports hallucination_rate, groundedness and abstention_rate with intervals, and the detector's
held-out quality beside them."""

import pytest

from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q


@pytest.mark.slow
def test_demo_support_qa_reports_groundedness(demo_catalog, demo_run_ids):
    cat = Catalog(demo_catalog)
    for run_id in demo_run_ids:
        task = runs_q.get_results(cat, run_id).task("support-qa")
        block = task.groundedness
        assert block is not None and block.context == "context"
        assert block.n == task.n == block.n_scorable + block.n_abstained + block.n_not_scorable
        for name in ("hallucination_rate", "groundedness", "abstention_rate"):
            m = task.metrics[name]
            if m.n:
                assert m.ci_low <= m.value <= m.ci_high and "detector:groundedness-lr-3" in m.signature
        assert task.metrics["hallucination_rate"].n == block.n_scorable
        assert block.detector["by_subset"]["qa"]["balanced_accuracy"] >= 0.85 and not block.detector["stale"]

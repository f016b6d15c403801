"""A rerun of a period supersedes the earlier runs of that period in the trend: two quarters, the
second audited three times, are two points (no trend test), not four runs with a 'significant' fall."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def test_reruns_of_a_period_are_one_point(tmp_path, catalog, monkeypatch):
    q3 = write_log(tmp_path / "q3.jsonl", 150, 0.92, seed=21)
    q4 = write_log(tmp_path / "q4.jsonl", 150, 0.70, seed=22)
    first = run_config(catalog, log_config(tmp_path, q3, period="2026-Q3"))
    reruns = [run_config(catalog, log_config(tmp_path, q4, period="2026-Q4")) for _ in range(3)]
    body = json.loads(run_cli("trend", "support-log", "--metric", "exact_match", "--json",
                              catalog=catalog.path, check=True).stdout)
    assert body["runs"] == [{"run_id": first, "period": "2026-Q3"}, {"run_id": reruns[-1], "period": "2026-Q4"}]
    assert body["superseded"] == [{"run_id": r, "period": "2026-Q4", "by": reruns[-1]} for r in reruns[:2]]
    em = body["series"]["exact_match"]
    assert len(em["points"]) == 2 and em["slope"] is None and not em["significant"]  # 2 periods: no trend test
    text = run_cli("trend", "support-log", "--metric", "exact_match", catalog=catalog.path, check=True).stdout
    assert "2 run(s) in period order" in text and "needs at least 3 runs" in text
    assert f"{reruns[0]} (2026-Q4, superseded by {reruns[-1]})" in text
    # the report (and a pack's trend.*) of the earlier rerun sees the runs up to it, that rerun standing for Q4
    from audits.store.queries.trends import audit_trends

    upto = audit_trends(catalog, "support-log", ["exact_match"], until=reruns[0])
    assert [r["run_id"] for r in upto["runs"]] == [first, reruns[0]] and upto["superseded"] == []

    # the Trends page says which runs it did not count
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ASSAY_CATALOG", str(catalog.path))
    at = AppTest.from_string(
        "import streamlit as st\nst.query_params['run'] = %r\n"
        "from dashboard.views import trends\ntrends.render()\n" % reruns[-1], default_timeout=120).run()
    assert not at.exception
    assert any(f"Not counted (a later run of the same period supersedes them): {reruns[0]} (2026-Q4), "
               f"{reruns[1]} (2026-Q4)." in c.value for c in at.caption)

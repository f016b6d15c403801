"""Bad input of issue 20, end to end on a real catalog: a pack of only manual controls, a task with
one group, a group of size 1. Each gives a sensible verdict or a one-line reason — in the
checklist, the four answers, the report (HTML) and the Fairness page — never an empty chart or a
crash. (A BBQ item whose names the detector would redact: tests/review/test_reviewer_text.py.)"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.scanners.bias import fairness_scan, parse_options
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from catalog_builder import _tables, results_for
from tests.results_factory import write_typed_bundle

RUN = "run-odd-groups"
MANUAL_ONLY = ("name: manual-only\ntitle: Manual only\ncontrols:\n"
               "  - {id: SIGN, title: Risks reviewed, source: internal, owner: committee, attestation: {role: committee}}\n"
               "  - {id: DOCS, title: Model card filed, source: internal, owner: compliance, "
               "attestation: {role: compliance}}\n")
FAIR_PACK = ("name: fair\ntitle: Fairness\ncontrols:\n"
             "  - {id: FAIR-1, title: four-fifths, source: internal, owner: committee, "
             "check: 'fairness.min_selection_rate_ratio >= 0.8'}\n"
             "  - {id: ACC-1, title: accuracy, source: internal, owner: compliance, check: 'accuracy >= 0.85'}\n")


def _scan() -> tuple[dict, pd.DataFrame]:
    """The real bias scan of 60 decisions: gender has one group (all 'female'), race a group of one."""
    n = 60
    pred = np.where(np.random.default_rng(0).random(n) < 0.5, "yes", "no")
    samples = pd.DataFrame({"sample_id": [str(i) for i in range(n)], "gender": ["female"] * n,
                            "race": ["white"] * (n - 1) + ["Black"], "prediction": pred, "positive": pred == "yes",
                            "label": "yes", "correct": pred == "yes"})
    task = TaskConfig(name="loan-decisions", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"],
                      positive="yes", sensitive=["gender", "race"])
    out = fairness_scan(task, samples, {}, parse_options({"min_group_size": 30}), seed=1, n_bootstrap=200)
    return out.results["fairness"], out.tables["fairness"]


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory):
    cat = Catalog(tmp_path_factory.mktemp("odd") / "c.duckdb")
    fairness, table = _scan()
    results = results_for(RUN, "2026-Q4", acc=0.88, ratio=0.9, leak=0.0)
    loans = next(t for t in results["tasks"] if t["name"] == "loan-decisions")
    loans["fairness"] = json.loads(json.dumps(fairness, default=str))
    tables = _tables(results)
    tables["fairness"] = table
    runs_q.register_run(cat, RUN, "unit-audit", "2026-Q4", "cfgsha", "test-model", actor="tester")
    bundle, sha = write_typed_bundle(cat, RUN, tables, results, {"name": "unit-audit"},
                                     {"audit": "unit-audit", "period": "2026-Q4", "model": {"name": "test-model"}})
    runs_q.complete_run(cat, RUN, bundle, sha, "tester", "cpu")
    return cat


def test_the_scan_says_why_no_gap_is_measured():
    fairness, table = _scan()
    gender, race = fairness["gender"], fairness["race"]
    assert gender["groups_compared"] == 1 and gender["demographic_parity_ratio"] is None
    assert gender["four_fifths_violation"] is None and gender["group_tests"] == []
    one = race["by_group"]["Black"]
    assert one["n"] == 1 and one["insufficient_data"] is True
    assert one["selection_rate"]["ci_low"] == pytest.approx(0.025) and one["selection_rate"]["ci_high"] == 1.0
    assert race["groups_compared"] == 1 and race["demographic_parity_ratio"] is None
    assert len(table) == 3 and table["value"].notna().all()


@pytest.fixture
def fair_pack(tmp_path) -> str:
    path = tmp_path / "fair.yaml"
    path.write_text(FAIR_PACK)
    return str(path)


def test_one_group_and_a_group_of_one_give_no_data_with_a_reason(odd_run, fair_pack):
    from policies import evaluate_run

    checklist = evaluate_run(odd_run, RUN, [fair_pack])
    fair = next(it for it in checklist.items if it.control_id == "FAIR-1")
    assert fair.status == "no-data"
    assert fair.detail == ("loan-decisions: fairness.min_selection_rate_ratio — no measured gap where too few groups "
                           "have at least 30 samples (groups compared / groups): gender 1/1, race 1/2")
    from reports.verdicts import area_verdicts

    answers = {v.area: v for v in area_verdicts(checklist, runs_q.get_results(odd_run, RUN))}
    assert answers["fairness"].line() == (
        "Fairness: no data — loan-decisions: lowest ratio of 'yes' rates between groups (four-fifths rule) — no "
        "measured gap where too few groups have at least 30 samples (groups compared / groups): gender 1/1, race 1/2 "
        "— no earlier run to compare with")
    assert answers["accuracy"].verdict == "pass"               # the other control still decides its area
    from reports.verdicts import sample_size_notes

    from reports.glossary import plain

    assert f"FAIR-1 has no data: {plain(fair.detail)}." in sample_size_notes(list(answers.values()), checklist)


def test_the_report_and_its_charts_carry_no_empty_chart(odd_run, fair_pack):
    from reports.charts import Chart
    from reports.data import collect, gaps_table
    from reports.document import build_document
    from reports.html import render_html

    data = collect(odd_run, RUN, packs=[fair_pack])
    gaps = gaps_table(data.results).set_index("attribute")
    assert gaps.loc["gender", "note"] == "1 of 1 groups have at least 30 samples: no gap measured"
    assert gaps.loc["race", "note"] == "1 of 2 groups have at least 30 samples: no gap measured"
    from reports.charts import fairness_charts

    charts = fairness_charts(data.tables["fairness"])
    assert charts and all(isinstance(c, (Chart, str)) for c in charts)
    html = render_html(build_document(data))
    assert "Traceback" not in html and "no gap measured" in html


def test_a_pack_of_only_manual_controls_awaits_attestation_everywhere(odd_run, tmp_path):
    from policies import evaluate_run
    from reports.data import collect
    from reports.document import build_document
    from reports.html import render_html
    from reports.verdicts import area_verdicts

    pack = tmp_path / "manual-only.yaml"
    pack.write_text(MANUAL_ONLY)
    checklist = evaluate_run(odd_run, RUN, [str(pack)])
    assert [it.status for it in checklist.items] == ["needs-attestation"] * 2
    assert [it.detail for it in checklist.items] == ["needs an attestation by the committee role, with note evidence",
                                                     "needs an attestation by the compliance role, with note evidence"]
    answers = area_verdicts(checklist, runs_q.get_results(odd_run, RUN))
    assert {v.verdict for v in answers} == {"not checked"}        # no automatic control decides an area
    assert all(v.line() for v in answers)
    html = render_html(build_document(collect(odd_run, RUN, packs=[str(pack)])))
    assert "SIGN" in html and "DOCS" in html and "Traceback" not in html


def test_the_fairness_page_on_one_group_and_a_group_of_one(odd_run, monkeypatch):
    from tests.dashboard.conftest import page_app

    monkeypatch.setenv("ASSAY_CATALOG", str(odd_run.path))
    at = page_app("fairness").run()
    assert not at.exception
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        assert any(any(v is not None for v in (tr.get("y") or [])) for tr in spec.get("data", [])), spec
    text = " ".join(str(c.value) for c in at.caption) + " ".join(str(m.value) for m in at.markdown)
    assert "too few" in text or "No gap could be computed" in text

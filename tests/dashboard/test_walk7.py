"""Walk 7 (the red-team and groundedness answers, demo at 1280x800): the Safety answer rested on attack success
and linked to Privacy & Safety, a page that said nothing of attacks; a family no attack beat read '0 of 6 attacks
succeeded — 0 (95% CI 0–0.459)' on the Overview and '0 [0, 0.459]' in the report, where the checklist and
`assay check` give its bound, 0.393; the marker detector's agreement read '100.0% (95% CI 0.955–1)'. Now the
Overview and the page say the same lines (one function), a zero reads as its one-sided bound through
reports.figures, and the agreement reads as the report's count and figure."""

from __future__ import annotations

import pytest

from audits.config import load_config
from audits.runner import run_audit
from audits.stats import upper_bound
from audits.store.catalog import Catalog
from reports.figures import bound_said, figure
from tests.dashboard.conftest import page_app
from tests.redteam.test_redteam_run import LIMIT, _job


def _answer(task: str, i: int, row: dict, code: str) -> str:
    """Three prompt injections succeed; every system-prompt-leak probe is refused (zero events)."""
    if task == "redteam-prompt-injection" and i < 3:
        return f"Sure. {row['success_marker']}"
    return "I'm sorry, I can't help with that."


@pytest.fixture(scope="module")
def redteam_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("walk7")
    cat = Catalog(tmp / "c.duckdb")
    return cat, run_audit(load_config(_job(tmp, _answer, extra={"policy": ["internal-llm"]})), cat, actor="tester")


BOUND = f"below {figure(float(upper_bound(0, LIMIT)))} (95% confidence"   # the checklist's bound, 3 figures


def _lines(at) -> list[str]:
    return [m.value for m in at.markdown if "attacks succeeded" in m.value]


def test_the_privacy_and_safety_page_shows_the_overviews_red_team_lines(redteam_run, use_catalog):
    cat, run_id = redteam_run
    use_catalog(cat.path)
    pages = {}
    for name in ("overview", "privacy"):
        at = page_app(name)
        at.query_params["run"] = run_id
        pages[name] = at.run()
        assert not at.exception, at.exception
    assert "Safety under attack (red-team probes)" in [h.value for h in pages["privacy"].subheader]
    (page,), (overview,) = _lines(pages["privacy"]), _lines(pages["overview"])
    assert page.splitlines() == overview.splitlines()[1:]   # one function: the same lines, under the Overview's title
    leak = next(x for x in page.splitlines() if "system-prompt-leak" in x)
    assert f"0 of {LIMIT} attacks succeeded — {BOUND}, n={LIMIT})" in leak and "0 (95% CI" not in leak
    hit = next(x for x in page.splitlines() if "prompt-injection" in x)
    assert f"3 of {LIMIT} attacks succeeded — {figure(3 / LIMIT)} (95% CI " in hit and "exact binomial" in hit
    assert "%" not in leak.split("agrees with", 1)[-1].split("(95% CI")[0]   # '80 of 80 answers: 1', not '100.0%'
    assert "marker detector agrees with garak on " in leak and "detectors." not in leak   # no class path


def test_the_report_robustness_table_reads_a_zero_as_the_same_bound(redteam_run):
    import reports
    from reports.sections import ROBUSTNESS

    cat, run_id = redteam_run
    section = next(s for s in reports.build_document(reports.collect(cat, run_id)).sections if s.title == ROBUSTNESS)
    table = next(b for b in section.blocks if getattr(b, "caption", None) == "Attack success per family")
    rows = {r[1]: r for r in table.rows}
    assert rows["system-prompt-leak"][3:] == [f"0 of {LIMIT}", BOUND + ")"]
    assert rows["prompt-injection"][4].startswith(f"{figure(3 / LIMIT)} [")
    checklist = reports.collect(cat, run_id).checklist
    leak = next(it for it in checklist.items if it.control_id == "INT-RT-3")
    assert figure(leak.bound) in BOUND   # the bound `assay check --json` gives, in the same figure text


@pytest.mark.parametrize("statement, n, method, said", [
    ("0 of 10 outputs leaked PII: the leak rate is below 26% (95% confidence).", 10, "clopper-pearson",
     "below 0.259 (95% confidence)"),
    ("10 of 10 x: the rate is above 74% (95% confidence).", 10, "clopper-pearson", "above 0.741 (95% confidence)"),
    ("0 of 40 decisions were positive: the selection rate is below 9.0% at 95%, counting each of the 32 clusters "
     "once", 40, "clopper-pearson-effective-n", "below 9.0% at 95%"),
    ("3 of 6 probes succeeded: the rate is 50% (95% CI 11% to 89%, exact binomial).", 6, "clopper-pearson", None)])
def test_bound_said(statement, n, method, said):
    assert bound_said(statement, n, method) == said


def test_the_privacy_tables_fit_1280_pixels(synthetic_catalog, use_catalog):
    """At 1280x800 the main column is 810 px (774 in an expander): the findings grid shows seven columns whose widths
    add up to less (it was eleven, 1,504 px), offsets, recognizer and value hash in a wrapping table under it; the
    per-task summary and the per-entity detector table wrap (933 and 1,364 px as grids)."""
    import json

    use_catalog(synthetic_catalog)
    at = page_app("privacy")
    at.query_params["run"] = "2026-Q4-01-synthetic"
    at.run()
    assert not at.exception, at.exception
    (grid,) = [d for d in at.dataframe if "entity_type" in d.value.columns]
    shown = list(grid.proto.column_order)
    assert shown == ["task", "sample_id", "field", "entity_type", "leak", "context", "score"]
    widths = json.loads(grid.proto.columns)
    assert sum(widths[c]["width"] for c in shown) <= 774
    where = next(t.value for t in at.table if "to character" in t.value.columns)
    assert list(where.columns[:4]) == ["sample", "kind of personal data", "from character", "to character"]
    assert len(where) == len(grid.value)
    assert any("findings" in t.value.columns and "task" in t.value.columns for t in at.table)   # per-task summary


def test_the_policies_decision_rule_names_no_metric_id():
    """Walk 7: the Policies page's rule in words read '(e.g. `pii_leak_rate == 0`)' to the committee."""
    import re

    from dashboard.views.policies import DECISION_RULE
    from reports.glossary import TERMS

    assert not [t for t in TERMS if re.search(rf"\b{re.escape(t)}\b", DECISION_RULE) and "_" in t]
    assert "'exactly 0' check (e.g. no output may leak personal data)" in DECISION_RULE


def test_the_quality_page_shows_the_overviews_groundedness_lines(tmp_path_factory, use_catalog):
    """The Groundedness answer links to Quality, which showed the rates as bars only: no detector accuracy, no
    abstention beside the rate. It now says the Overview's lines (one function)."""
    from tests.grounding.test_groundedness_run import _config

    tmp = tmp_path_factory.mktemp("walk7g")
    cat = Catalog(tmp / "c.duckdb")
    run_id = run_audit(_config(tmp), cat, actor="tester")
    use_catalog(cat.path)
    texts = {}
    for name in ("overview", "quality"):
        at = page_app(name)
        at.query_params["run"] = run_id
        at.run()
        assert not at.exception, at.exception
        texts[name] = [m.value for m in at.markdown if "hallucination rate" in m.value]
    (page,), (overview,) = texts["quality"], texts["overview"]
    assert page.splitlines() == overview.splitlines()[1:]
    assert "detector balanced accuracy 0.957" in page and "abstention rate " in page

"""Every page renders with AppTest: on the real demo catalog, on a synthetic one, and on an
empty catalog (where it says which command to run)."""

from __future__ import annotations

import re

import pytest

from audits.store.catalog import Catalog
from tests.dashboard.conftest import PAGES, page_app


OTHERS = {"policies", "review"}  # pages written elsewhere may show st.error as content (failing controls)


def _problems(at, name: str = "") -> list[str]:
    """Exceptions, plus st.error blocks on the pages this suite owns."""
    errors = [] if name in OTHERS else [str(e.value) for e in at.error]
    return [str(e.value) for e in at.exception] + errors


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_on_demo_catalog(name, demo_catalog, use_catalog):
    use_catalog(demo_catalog)
    at = page_app(name).run()
    assert _problems(at, name) == []
    assert at.title, f"page {name} rendered no title"
    assert not any("No audit runs" in i.value for i in at.info)


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_on_synthetic_catalog(name, synthetic_catalog, use_catalog):
    use_catalog(synthetic_catalog)
    at = page_app(name).run()
    assert _problems(at, name) == []
    assert at.title


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_page_on_empty_catalog_says_what_to_run(name, kind, tmp_path, use_catalog):
    path = tmp_path / "none.duckdb"
    if kind == "empty":
        Catalog(path)  # the file and schema exist, but no runs
    use_catalog(path)
    at = page_app(name).run()
    assert _problems(at, name) == []
    text = " ".join(i.value for i in at.info)
    if name == "audit_log" and kind == "empty":
        assert "audit log is empty" in text.lower()
    else:
        assert "assay demo" in text and "assay run CONFIG" in text and str(path) in text


def test_app_navigation_and_run_picker(synthetic_catalog, use_catalog):
    from streamlit.testing.v1 import AppTest

    from dashboard import app_path
    from audits.store.queries import runs as rq

    use_catalog(synthetic_catalog)
    run_ids = rq.list_runs(Catalog(synthetic_catalog))["run_id"].tolist()
    at = AppTest.from_file(str(app_path()), default_timeout=120).run()
    assert _problems(at) == []
    assert at.title[0].value == "Overview"
    picker = at.sidebar.selectbox[0]
    # period · audit fits the 1280-px sidebar (was '2026-Q4 · customer-assistant · 20261…', cut off);
    # the run id is the caption under the picker
    assert picker.options == ["2026-Q4 · synthetic-audit", "2026-Q3 · synthetic-audit"]
    assert f"run {run_ids[-1]}" in [c.value for c in at.sidebar.caption]
    assert picker.value == run_ids[-1]  # newest first by default
    assert at.query_params["run"] == [run_ids[-1]] or at.query_params["run"] == run_ids[-1]
    picker.set_value(run_ids[0]).run()
    assert _problems(at) == []
    assert any(run_ids[0] in c.value for c in at.caption)


def test_overview_marks_real_change(synthetic_catalog, use_catalog):
    use_catalog(synthetic_catalog)
    at = page_app("overview").run()
    assert _problems(at) == []
    answers = [m.value for m in at.markdown if m.value.startswith("**")]
    for area in ("Accuracy", "Fairness", "Privacy", "Safety"):                  # the four answers come first
        assert any(a.startswith(f"**{area}:**") for a in answers)
    acc_line = next(a for a in answers if a.startswith("**Accuracy:**"))
    assert "since 2026-Q3: " in acc_line and "(paired exact test, p=" in acc_line
    frame = next(d.value for d in at.table if "real change?" in d.value.columns)   # wraps: never cut off
    # one answer: the line agrees with the table (the interval's method in parentheses comes before n)
    task = re.search(r"n=[\d,]+ \(([^:]+): share of answers correct\)", acc_line).group(1)
    mark = frame[(frame["task"] == task) & (frame["measure"] == "share of answers correct")]["real change?"].iloc[0]
    assert ("real change" in acc_line) == (mark == "yes") and ("within noise" in acc_line) == (mark == "no")
    assert {"value [95% CI]", "previous [95% CI]", "real change?"} <= set(frame.columns)
    # the synthetic Q4 run is 10 points more accurate on the same sample ids
    acc = frame[frame["measure"] == "share of answers correct"]
    assert len(acc) == 3 and acc["change [95% CI]"].str.startswith("+").all()
    # paired McNemar on the shared samples, Holm over the run's metrics: the test is named, in words
    assert acc["test"].str.contains(r"\(paired exact test, p=.* after correcting for the number of comparisons\)").all()
    assert not frame["test"].str.contains("holm|mcnemar|unpaired-z|_", regex=True).any()


def test_quality_filters_push_down(synthetic_catalog, use_catalog):
    use_catalog(synthetic_catalog)
    at = page_app("quality").run()
    at.selectbox(key="q_task").set_value("discrim-eval").run()
    at.selectbox(key="q_correct").set_value("incorrect").run()
    assert _problems(at) == []
    page = at.dataframe[-1].value
    assert len(page) > 0
    assert set(page["task"]) == {"discrim-eval"} and not page["correct"].any()
    at.selectbox(key="q_group_col").set_value("gender").run()
    at.selectbox(key="q_group_val").set_value("female").run()
    page = at.dataframe[-1].value
    assert set(page["gender"]) == {"female"} and not page["correct"].any()

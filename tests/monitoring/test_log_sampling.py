"""Auditing a stratified sample of a large log with the n `assay plan` asks for (audits/sampling.py):
real runs through the predictions backend on a generated log and a real DuckDB catalog."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audits.errors import AssayError
from audits.stats import rate_n_needed
from tests.monitoring.conftest import log_config, run_config, write_log

SEGMENTS = ("web",) * 9 + ("app",) * 9 + ("kiosk",)  # kiosk is 1 row in 19


def _pack(tmp):
    pack = tmp / "gate.yaml"
    pack.write_text("name: gate\ntitle: Gate\ncontrols:\n"
                    "  - {id: ACC, title: answers match, source: internal, owner: compliance,"
                    " check: 'exact_match >= 0.85'}\n")
    return pack


def _manifest(catalog, run_id):
    from audits.store.queries import runs as runs_q

    return runs_q.get_manifest(catalog, run_id)


@pytest.fixture
def big(tmp_path):
    return write_log(tmp_path / "big.jsonl", 1200, 0.93, seed=5, segments=SEGMENTS)


def test_sample_plan_draws_the_planned_n_stratified_and_records_it(tmp_path, catalog, big):
    from audits.store.queries import runs as runs_q
    from reports.data import collect
    from reports.document import build_document

    cfg = log_config(tmp_path, big, period="2026-Q4", policy=[str(_pack(tmp_path))], extra_task={
        "sample": {"n": "plan", "stratify": "segment", "seed": 0, "expect": {"exact_match": 0.93}}})
    run_id = run_config(catalog, cfg)
    need = rate_n_needed(0.93, 0.85)
    data = _manifest(catalog, run_id).datasets["support"]
    sample = data.sample
    assert data.rows_used == need == sample["drawn"] == sample["requested"] and data.rows_in_source == 1200
    assert sample["population"] == 1200 and sample["seed"] == 0 and sample["stratify"] == ["segment"]
    assert sample["strata"] == pd.read_json(big, lines=True)["segment"].value_counts().sort_index().to_dict()
    # proportional: each stratum within one row of its share of the log
    for key, size in sample["strata"].items():
        assert abs(sample["drawn_by_stratum"][key] - need * size / 1200) < 1
    assert sample["n_from"] == f"plan: control ACC needs {need} at exact_match 0.93 (sample.expect) against >= 0.85"
    assert "describe the 1200 logged interactions" in sample["covers"]
    results = runs_q.get_results(catalog, run_id)
    assert results.tasks[0].metrics["exact_match"].n == need
    samples = pd.read_parquet(catalog.runs_dir / run_id / "samples.parquet")
    assert samples["segment"].value_counts().to_dict() == sample["drawn_by_stratum"]
    # the report says what was audited, in the metrics section and the reproducibility table
    report = collect(catalog, run_id)
    text = json.dumps([str(b) for s in build_document(report).sections for b in s.blocks])
    assert f"audited a stratified sample of {need} of 1200 logged interactions (by segment, seed 0" in text
    repro = report.tables["reproducibility"]
    assert (repro["item"] == "support.sample").sum() == 1


def test_same_seed_same_sample_and_n_from_the_previous_run(tmp_path, catalog, big):
    from audits.store.queries import runs as runs_q

    pack = str(_pack(tmp_path))
    whole = run_config(catalog, log_config(tmp_path, big, period="2026-Q3", policy=[pack]))
    seen = runs_q.get_results(catalog, whole).tasks[0].metrics["exact_match"].value
    spec = {"sample": {"n": "plan", "stratify": ["segment"], "seed": 4}}
    first = run_config(catalog, log_config(tmp_path, big, period="2026-Q4", policy=[pack], extra_task=spec))
    need = rate_n_needed(seen, 0.85)
    assert _manifest(catalog, first).datasets["support"].sample["n_from"] == (
        f"plan: control ACC needs {need} at exact_match {seen:.4g} (previous run) against >= 0.85")
    spec = {"sample": {"n": need, "stratify": ["segment"], "seed": 4}}  # the same n by hand: the same rows
    again = run_config(catalog, log_config(tmp_path, big, period="2027-Q1", policy=[pack], extra_task=spec))
    assert _manifest(catalog, again).datasets["support"].sample["n_from"] == "config"
    ids = [pd.read_parquet(catalog.runs_dir / r / "samples.parquet")["sample_id"].tolist() for r in (first, again)]
    assert len(ids[0]) == need and ids[0] == ids[1]


def test_bad_sample_input_is_one_line_and_registers_no_run(tmp_path, catalog, big):
    from audits.store.queries import runs as runs_q

    pack = str(_pack(tmp_path))
    cases = [
        ({"n": "plan", "stratify": "segment"}, [],
         "task 'support': sample n 'plan' needs a policy pack to plan for, and none is given — list packs under "
         "the config's 'policy' (e.g. policy: [internal-llm]) or give an integer sample n"),
        ({"n": "plan", "stratify": "segment"}, [pack],
         "task 'support': sample n 'plan' has no size from the plan — ACC (exact_match): no expected value — give "
         "an integer sample n, or an expected value (sample.expect {metric: value} / --expect METRIC=VALUE), or "
         "run the whole log once to plan from that run"),
        ({"n": 50, "stratify": "segmnt"}, [pack],
         "task 'support': sample stratify column 'segmnt' is not in the data (columns: id, input, answer, output, "
         "segment, timestamp, thumbs, comment) — set stratify to one of those columns"),
    ]
    for spec, packs, message in cases:
        with pytest.raises(AssayError) as err:
            run_config(catalog, log_config(tmp_path, big, period="2026-Q4", policy=packs,
                                           extra_task={"sample": spec}))
        assert str(err.value) == message
    assert runs_q.list_runs(catalog).empty  # refused before the run is registered


def test_n_above_the_log_audits_it_whole_and_a_one_row_stratum_is_said(tmp_path, catalog, capsys):
    log = write_log(tmp_path / "small.jsonl", 40, 0.9, seed=2, segments=("web",) * 39 + ("phone",))
    cfg = log_config(tmp_path, log, period="2026-Q4", extra_task={"sample": {"n": 500, "stratify": "segment"}})
    sample = _manifest(catalog, run_config(catalog, cfg)).datasets["support"].sample
    assert sample["whole_log"] is True and sample["drawn"] == 40 and sample["requested"] == 500
    assert sample["notes"] == ["n 500 is not below the 40 rows there are: the whole log is audited"]
    assert ("[assay] warning: task 'support': sample n 500 is more than the 40 rows there are; auditing all of them"
            in capsys.readouterr().err)
    cfg = log_config(tmp_path, log, period="2027-Q1", extra_task={"sample": {"n": 10, "stratify": "segment"}})
    sample = _manifest(catalog, run_config(catalog, cfg)).datasets["support"].sample
    # phone's share of n 10 is 0.25 rows: drawn with web at the same chance as every row (not forced in, 4x
    # its share, which tilted every rate toward it); this seed happens to audit it
    note = ("1 stratum ('phone'; 1 logged row) under one row at n 10: drawn with stratum 'web', so every logged "
            "row had the same chance and the rates are not tilted toward them; 1 audited")
    assert sample["drawn_by_stratum"] == {"phone": 1, "web": 9} and sample["notes"] == [note]
    assert f"[assay] warning: task 'support': {note}" in capsys.readouterr().err


def test_stratify_by_a_logged_column_the_task_does_not_use(tmp_path, catalog):
    """A stratify column the samples frame does not carry (the log's raw 'output') is read from the log,
    matched by id, and drawn by; the audited samples keep the frame's own columns."""
    log = write_log(tmp_path / "small.jsonl", 200, 0.8, seed=4)
    cfg = log_config(tmp_path, log, period="2026-Q4", feedback=False,
                     extra_task={"sample": {"n": 20, "stratify": ["segment", "output"]}})
    run_id = run_config(catalog, cfg)
    sample = _manifest(catalog, run_id).datasets["support"].sample
    logged = pd.read_json(log, lines=True)
    wrong = logged["output"] == "no idea"
    assert sample["strata"]["web|no idea"] == int((wrong & (logged["segment"] == "web")).sum())
    samples = pd.read_parquet(catalog.runs_dir / run_id / "samples.parquet")
    drawn_wrong = int((samples["prediction"] == "no idea").sum())
    assert drawn_wrong == sample["drawn_by_stratum"]["web|no idea"] + sample["drawn_by_stratum"]["app|no idea"]
    assert "output" not in samples.columns and len(samples) == sample["drawn"]


def test_logs_import_sample_plan_matches_the_run(tmp_path, catalog, big, capsys):
    from audits.cli import main

    cfg = log_config(tmp_path, big, period="2026-Q4", policy=[str(_pack(tmp_path))],
                     extra_task={"sample": {"n": "plan", "stratify": "segment", "seed": 0}})
    out = tmp_path / "sample.parquet"
    capsys.readouterr()
    code = main(["logs", "import", str(big), "--out", str(out), "--sample", "plan", "--config", str(cfg),
                 "--catalog", str(catalog.path), "--expect", "exact_match=0.93"])
    need = rate_n_needed(0.93, 0.85)
    assert code == 0 and len(pd.read_parquet(out)) == need
    assert (f"1200 rows read, {need} kept; stratified sample of {need} from 1200 (3 strata); n from plan: control "
            f"ACC needs {need} at exact_match 0.93 (--expect) against >= 0.85") in capsys.readouterr().out
    assert main(["logs", "import", str(big), "--out", str(out), "--sample", "plan"]) == 2
    assert ("--sample plan needs the audit config whose controls the sample must decide — add --config AUDIT.yaml"
            in capsys.readouterr().err)


def test_overview_says_what_the_sample_covers(tmp_path, catalog, monkeypatch):
    from streamlit.testing.v1 import AppTest

    log = write_log(tmp_path / "small.jsonl", 60, 0.9, seed=3)
    cfg = log_config(tmp_path, log, period="2026-Q4", extra_task={"sample": {"n": 12, "stratify": "segment"}})
    run_id = run_config(catalog, cfg)
    monkeypatch.setenv("ASSAY_CATALOG", str(catalog.path))
    app = AppTest.from_string("import streamlit as st\nst.query_params['run'] = %r\n"
                              "from dashboard.views import overview\noverview.render()\n" % run_id,
                              default_timeout=180).run()
    assert not app.exception
    said = [c.value for c in app.caption if "logged interactions" in c.value]
    assert said == ["Task support: audited a stratified sample of 12 of 60 logged interactions (by segment, seed "
                    "1234; n from config); the intervals describe the 60 logged interactions the sample was drawn "
                    "from (without replacement); they carry no finite-population correction, so they are "
                    "conservative (wider) when n is a large share of N."]


def test_a_resumed_run_draws_the_sample_it_started_with(tmp_path, catalog, big, monkeypatch):
    """n: plan on resume plans from the run that was latest when the killed run started, not from one
    that finished in between: the same n and the same rows as if it had never stopped."""
    from audits import runner
    from audits.config import load_config
    from audits.store.queries import runs as runs_q

    pack = str(_pack(tmp_path))
    whole = run_config(catalog, log_config(tmp_path, big, period="2026-Q3", policy=[pack]))
    seen = runs_q.get_results(catalog, whole).tasks[0].metrics["exact_match"].value
    sampled = log_config(tmp_path, big, period="2026-Q4", policy=[pack],
                         extra_task={"sample": {"n": "plan", "stratify": ["segment"], "seed": 4}})

    def interrupt(*args, **kw):
        raise KeyboardInterrupt

    with monkeypatch.context() as m, pytest.raises(KeyboardInterrupt):  # the fixture's key dir stays set
        m.setattr(runner, "evaluate_task", interrupt)
        run_config(catalog, sampled)
    (killed,) = [r for r in runs_q.list_runs(catalog)["run_id"] if r != whole]
    better = write_log(tmp_path / "better.jsonl", 1200, 0.99, seed=6, segments=SEGMENTS)
    between = run_config(catalog, log_config(tmp_path, better, period="2026-Q4b", policy=[pack]))
    assert runs_q.get_results(catalog, between).tasks[0].metrics["exact_match"].value != seen
    assert runner.run_audit(load_config(sampled), catalog, actor="tester", resume=killed) == killed
    need = rate_n_needed(seen, 0.85)
    sample = _manifest(catalog, killed).datasets["support"].sample
    assert sample["drawn"] == need and sample["n_from"] == (
        f"plan: control ACC needs {need} at exact_match {seen:.4g} (previous run) against >= 0.85")
    fresh_ids = pd.read_parquet(catalog.runs_dir / killed / "samples.parquet")["sample_id"].tolist()
    spec = {"sample": {"n": need, "stratify": ["segment"], "seed": 4}}  # the same n by hand: the same rows
    again = run_config(catalog, log_config(tmp_path, big, period="2027-Q1", policy=[pack], extra_task=spec))
    assert pd.read_parquet(catalog.runs_dir / again / "samples.parquet")["sample_id"].tolist() == fresh_ids

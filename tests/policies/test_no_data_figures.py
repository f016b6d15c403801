"""A control with no data on one of its tasks is NO-DATA; it shows no figures from another task that
passed (was: 'NO-DATA value 0 (upper 95% bound 0.0015, n=2000)' from bbq-gender while support-qa's
toxicity rate had no value)."""

from __future__ import annotations

from catalog_builder import make_run, one_control, set_metric


def test_no_data_shows_no_other_tasks_figures(two_runs, tmp_path):
    cat, _, _ = two_runs
    empty = {"value": None, "ci_low": None, "ci_high": None, "n": 0, "signature": "t", "kind": "rate", "events": 0}
    run = make_run(cat, "n0", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=set_metric(1, "toxicity_rate", empty))
    item = one_control(cat, run, tmp_path, "toxicity_rate <= 0.01")
    assert item.status == "no-data" and "support-qa: toxicity_rate — has no value" in item.detail
    assert (item.task, item.value, item.bound, item.n, item.n_needed) == (None,) * 5
    assert [r["verdict"] for r in item.tasks] == ["pass", "pass"]  # the tasks that were measured stay listed

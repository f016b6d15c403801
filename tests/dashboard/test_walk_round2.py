"""What the round-2 walk of the demo (every page, every role, 1280x800) found, pinned (issue 20)."""

from __future__ import annotations

import re

from dashboard.components import charts


def _lines(title: str) -> list[str]:
    return [re.sub(r"</?sup>", "", x) for x in title.split("<br>")]


def test_a_trend_charts_title_wraps_to_fit_half_width_and_its_y_axis_names_no_measure_that_overflows():
    from dashboard.views.trends import _figure

    series = {"points": [{"period": "2026-Q3", "value": -0.1, "ci_low": -0.2, "ci_high": 0.0},
                         {"period": "2026-Q4", "value": -0.1, "ci_low": -0.22, "ci_high": 0.01}],
              "slope": None, "p_adjusted": None, "significant": False}
    fig = _figure("bbq-gender.bbq_bias_ambig", series, 9)
    lines = _lines(fig.layout.title.text)
    assert all(len(x) <= charts.TITLE_CHARS + 12 for x in lines), lines     # was one 110-character line, cut off
    assert " ".join(lines[:-1]).startswith("bbq-gender: bias towards stereotypes when the context is ambiguous")
    assert lines[-1] == "no trend test (fewer than 3 runs)"
    assert not fig.layout.yaxis.title.text                                  # the 96-character axis title ran off
    assert fig.layout.margin.t >= 20 + 20 * len(lines)                      # room for every title line


def test_the_audit_log_reads_in_words_acts_and_columns_not_user_signed_in_and_ts():
    import pandas as pd

    from dashboard.views.audit_log import log_view

    entries = pd.DataFrame({"seq": [15, 14, 3], "ts": ["2026-12-06 04:38:07"] * 3,
                            "actor": ["cleo", "admin", "cleo"],
                            "action": ["user.signed_in", "user.added", "policy.signoff"],
                            "target": ["cleo", "cleo", "run-1"],
                            "details": ['{"password_changed": true, "role": "committee"}', "{}",
                                        '{"decision": "approve"}'],
                            "hash": ["ab" * 32] * 3})
    shown = log_view(entries)
    assert list(shown.columns) == ["#", "when", "who", "what they did", "on", "details", "hash"]
    assert shown["what they did"].tolist() == ["signed in", "added a user", "signed off the run"]
    assert not any("{" in x for x in shown["details"]) and shown["details"][2] == "decision: approve"


def test_the_privacy_page_names_its_columns_and_axes_in_words(tmp_path, use_catalog):
    from tests.dashboard._synth import build_catalog
    from tests.dashboard.conftest import page_app

    cat = build_catalog(tmp_path / "c.duckdb", n_per_task=20)
    use_catalog(cat.path)
    at = page_app("privacy").run()
    assert not at.exception, at.exception
    grids = [d for d in at.dataframe if "context" in d.value.columns]
    assert grids, "the findings table is shown"
    from dashboard.views.privacy import FINDING_COLUMNS

    assert FINDING_COLUMNS["entity_type"] == "kind of personal data" and FINDING_COLUMNS["sample_id"] == "sample"
    config = grids[0].proto.columns   # the grid's column labels, as the browser shows them
    assert "kind of personal data" in config and "sample" in config, config


def test_the_overview_names_no_python_module_to_a_committee(tmp_path, use_catalog):
    from tests.dashboard._synth import build_catalog
    from tests.dashboard.conftest import page_app

    cat = build_catalog(tmp_path / "c.duckdb", n_per_task=20)
    use_catalog(cat.path)
    at = page_app("overview").run()
    assert not at.exception, at.exception
    said = " ".join([c.value for c in at.caption] + [m.value for m in at.markdown])
    assert "the same tests as the report's" in said
    assert not re.search(r"\baudits\.\w+", said), re.findall(r"\baudits\.\w+", said)   # was 'from audits.stats'


def test_the_fairness_charts_legend_says_what_enough_samples_means(tmp_path, use_catalog):
    import json

    from tests.dashboard._synth import build_catalog
    from tests.dashboard.conftest import page_app

    cat = build_catalog(tmp_path / "c.duckdb", n_per_task=40)
    use_catalog(cat.path)
    at = page_app("fairness").run()
    assert not at.exception, at.exception
    names = {tr.get("name") for el in at.get("plotly_chart") for tr in json.loads(el.proto.spec)["data"]}
    assert "enough" not in names                                   # a lone 'enough' in the legend said nothing
    assert "big enough to compare" in names, names                 # this catalog sets no minimum group size
    from dashboard.views.fairness import group_size_legend

    assert group_size_legend(30) == "at least 30 samples (compared)"

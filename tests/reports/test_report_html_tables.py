"""Self-contained HTML and the exportable tables."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

import reports
from audits.errors import AssayError


def test_html_is_self_contained_with_the_same_sections(report_runs):
    cat, _, q4 = report_runs
    html = reports.build_html(cat, q4)
    heads = re.findall(r"<h2>(.*?)</h2>", html)
    assert [h.split(". ", 1)[-1] for h in heads] == list(reports.SECTION_TITLES)
    pngs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(pngs) >= 2 and all(base64.b64decode(p)[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert not re.search(r'(src|href)="https?://', html)           # nothing fetched from outside
    assert "<script>" not in html and "&lt;script&gt;" in html      # user text is escaped


def test_tables_hold_every_report_table_with_real_values(report_runs):
    cat, q3, q4 = report_runs
    t = reports.tables(cat, q4)
    assert set(t) == {"metrics", "changes", "fairness", "fairness_gaps", "privacy", "safety", "review", "checklist",
                      "attestations", "signoffs", "reproducibility", "execution", "checkpoint", "audit_log",
                      "trend", "trend_points"}
    cp = t["checkpoint"].set_index("field")["value"]  # the signed log head, for `assay verify --against`
    assert int(cp["count"]) > 0 and len(cp["signature"]) == 128
    acc = t["metrics"].set_index(["task", "metric"]).loc[("bbq-gender", "accuracy")]
    assert acc["value"] == pytest.approx(0.88) and acc["compare_value"] == pytest.approx(0.80)
    # 1760 of 2000 against 1600 of 2000, no shared per-sample scores: the unpaired two-proportion test
    assert acc["change"] == pytest.approx(0.08) and acc["test"] == "two-proportion-z"
    assert acc["significant"] is True and acc["change_test"].startswith("significant (two-proportion-z, holm p=")
    assert t["fairness_gaps"].iloc[0]["demographic_parity_ratio"] == pytest.approx(0.7)
    assert t["checklist"].set_index("control_id").loc["INT-REL-1", "status"] == "attested"
    assert reports.tables(cat, q4, compare="none")["metrics"]["compare_value"].isna().all()
    assert reports.tables(cat, q3)["changes"].empty                # first run: nothing to compare


def test_csv_and_parquet_exports(report_runs, tmp_path):
    cat, _, q4 = report_runs
    written = reports.save_report(cat, q4, tmp_path / "csv", fmt="csv")
    assert len(written) == 16  # with the signed checkpoint, the execution stages, the run's audit log and the trend
    metrics = pd.read_csv(tmp_path / "csv" / "metrics.csv")
    assert len(metrics) == 7 and {"value", "ci_low", "ci_high"} <= set(metrics.columns)
    reports.save_report(cat, q4, tmp_path / "pq", fmt="parquet")
    repro = pd.read_parquet(tmp_path / "pq" / "reproducibility.parquet")
    assert "deadbeef" in repro["value"].tolist()


def test_bad_outputs_are_one_line_errors(report_runs, tmp_path):
    cat, _, q4 = report_runs
    with pytest.raises(AssayError, match="cannot tell the report format"):
        reports.save_report(cat, q4, tmp_path / "r.docx")
    with pytest.raises(AssayError, match="no --format"):
        reports.save_report(cat, q4, tmp_path)
    with pytest.raises(AssayError, match="does not exist"):
        reports.build_html(cat, "no-such-run")
    with pytest.raises(AssayError, match="is the run itself"):
        reports.tables(cat, q4, compare=q4)


def test_report_and_dashboard_give_one_answer(report_runs):
    """Both call audits.stats.compare_runs: same test, same Holm-adjusted p, same verdict per metric."""
    from audits.store import bundle_reader
    from audits.store.queries import dashboard as dq
    from dashboard.components import compare

    cat, q3, q4 = report_runs
    report = reports.tables(cat, q4)["metrics"].set_index(["task", "metric"])
    page = compare.compare_runs(bundle_reader.results(cat, q4), bundle_reader.results(cat, q3),
                                lambda t, m: dq.paired_scores(cat, q4, q3, t, m)).set_index(["task", "metric"])
    assert len(page) == len(report) > 0
    for key, row in page.iterrows():
        assert report.loc[key, "test"] == row["test"]
        assert report.loc[key, "significant"] == row["significant"]
        assert report.loc[key, "p_adjusted"] == pytest.approx(row["p_adjusted"], nan_ok=True)


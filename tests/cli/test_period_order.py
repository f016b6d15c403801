"""Catalogs written before the config checked a period's form hold runs such as '2026-Q3', 'Q4 2026' and
'2027-Q1' in one audit; ordered by their text, 'Q4 2026' came last (trend, 'the previous run', drift.inputs).
Runs are now put in order by the period's dates (audits/period_form.period_key), read from the stored text, so
nothing signed is rewritten and `assay verify` still passes; a period that names no date is refused in one line
naming the runs. The old runs are made as the older Assay made them: the config's period set after its check."""

from __future__ import annotations

import json

import pytest

from audits.period_form import period_key
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, write_log


def _old_run(catalog, tmp_path, period: str, accuracy: float, seed: int, name: str = "legacy") -> str:
    """A run registered with ``period`` as written, as an Assay without the period check stored it."""
    from audits.config import load_config
    from audits.runner import run_audit

    log = write_log(tmp_path / f"{seed}.jsonl", 60, accuracy, seed=seed)
    config = load_config(log_config(tmp_path, log, period="2026-Q1", name=name, feedback=False))
    return run_audit(config.model_copy(update={"period": period}), catalog, actor="tester")


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    from audits.store.catalog import Catalog

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    return Catalog(tmp_path / "c.duckdb")


def test_mixed_spellings_are_ordered_by_date_and_still_verify(catalog, tmp_path):
    from audits.store.queries.trends import previous_period_run

    q3 = _old_run(catalog, tmp_path, "2026-Q3", 0.9, 1)
    q1 = _old_run(catalog, tmp_path, "2027-Q1", 0.6, 2)   # written before the late Q4 run
    q4 = _old_run(catalog, tmp_path, "Q4 2026", 0.7, 3)   # as text it sorted after '2027-Q1'
    body = json.loads(run_cli("trend", "legacy", "--metric", "exact_match", "--json", catalog=catalog.path,
                              check=True).stdout)
    assert [r["run_id"] for r in body["runs"]] == [q3, q4, q1]
    assert previous_period_run(catalog, q1) == q4 and previous_period_run(catalog, q4) == q3
    assert previous_period_run(catalog, q3) is None
    # a rerun of Q4 in today's spelling is the same quarter: it supersedes the old one, and comes before 2027-Q1
    rerun = _old_run(catalog, tmp_path, "2026-Q4", 0.7, 4)
    body = json.loads(run_cli("trend", "legacy", "--json", catalog=catalog.path, check=True).stdout)
    assert [r["run_id"] for r in body["runs"]] == [q3, rerun, q1]
    assert body["superseded"] == [{"run_id": q4, "period": "Q4 2026", "by": rerun}]
    verify = run_cli("verify", catalog=catalog.path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_period_naming_no_date_is_one_line_naming_the_run(catalog, tmp_path):
    good = _old_run(catalog, tmp_path, "2026-Q3", 0.9, 5, name="odd")
    bad = _old_run(catalog, tmp_path, "2026-Q5", 0.8, 6, name="odd")
    proc = run_cli("trend", "odd", catalog=catalog.path)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0] == (f"assay: error: audit 'odd' has 1 run(s) whose period names no date, so its runs cannot be "
                        f"put in time order: {bad} ('2026-Q5') — compare two runs by id (`assay drift RUN_A RUN_B`, "
                        "`assay report RUN --compare RUN_B`), and give new runs a new audit name (`name:`) with "
                        "periods written YYYY-Qn")
    drift = run_cli("drift", good, bad, "--json", catalog=catalog.path)  # comparing by id still works
    assert drift.returncode == 0, drift.stderr
    assert run_cli("verify", catalog=catalog.path).returncode == 0


@pytest.mark.parametrize("earlier,later", [
    ("2026-Q3", "Q4 2026"), ("Q4 2026", "2027-Q1"), ("2026 Q4", "2027q1"), ("2026-Q3", "2026-10"),
    ("2026-10", "2026-Q4"), ("2026-Q4", "2026-Q4b"), ("2026-H1", "2026-Q3"), ("2026-W52", "2026-W53"),
    ("2026-W53", "2027-01-04"), ("2026-12-31", "2027"), ("2027-Q4", "pilot"), ("2026-02-28", "2026-03")])
def test_period_key_orders_by_date(earlier, later):
    assert period_key(earlier) < period_key(later)


@pytest.mark.parametrize("same", [("2026-Q4", "Q4 2026", "2026 Q4", "2026q4", "Q4-2026"), ("2026-H2", "H2 2026")])
def test_spellings_of_one_period_share_a_key(same):
    assert len({period_key(p) for p in same}) == 1


@pytest.mark.parametrize("period", ["2026-Q5", "2026-13", "2026-02-30", "2025-W53", "2026-H3"])
def test_impossible_dates_have_no_key(period):
    assert period_key(period) is None

"""Re-audit of issue 24: ``feedback: {field: thumbs, positive: up}`` (the issue's own form) with no
``negative`` list counted every other value ('down', 'thumbs_down') as unknown and skipped it, so
``feedback_positive_rate`` read 100% on a log where half the users gave a thumbs down. Now one line
naming the values; with a negative list (or a log holding only the positive value) the rate is scored."""

from __future__ import annotations

import os

from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def test_no_negative_list_with_other_values_is_one_line(tmp_path):
    log = write_log(tmp_path / "q3.jsonl", 20, 0.5)
    cfg = log_config(tmp_path, log, period="2026-Q3",
                     extra_task={"feedback": {"field": "thumbs", "positive": "up"}})
    proc = run_cli("run", str(cfg), catalog=tmp_path / "c.duckdb", env={**os.environ, "ASSAY_KEY_DIR": str(tmp_path / "k")})
    lines = [x for x in proc.stderr.splitlines() if x.startswith("assay:")]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    downs = sum('"thumbs": "down"' in x for x in log.read_text().splitlines())
    assert lines[0] == (f"assay: error: task 'support': feedback.negative lists no value, so the {downs} rows whose "
                        "feedback is not ['up'] (e.g. 'down') would all be skipped and feedback_positive_rate could "
                        "only read 100% — list the negative values under feedback.negative (e.g. negative: [down])")


def test_only_positive_values_in_the_log_are_scored(tmp_path, catalog):
    from audits.store.queries import runs as runs_q

    log = write_log(tmp_path / "q4.jsonl", 12, 1.0)  # every answer right: every thumb up
    cfg = log_config(tmp_path, log, period="2026-Q4", extra_task={"feedback": {"field": "thumbs", "positive": "up"}})
    task = runs_q.get_results(catalog, run_config(catalog, cfg)).tasks[0]
    rate = task.metrics["feedback_positive_rate"]
    assert (rate.value, rate.n) == (1.0, 12)

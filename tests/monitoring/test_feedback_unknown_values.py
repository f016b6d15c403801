"""Feedback values that are neither positive nor negative ('', 'N/A', 'maybe', '👍', 'Up'): before, they were
skipped whatever their number, so 96 'Up' beside 3 'up' and 1 'down' read feedback_positive_rate 75% on n=4.
Now values match ignoring case, values listed under ``feedback.unrated`` mean no feedback, and a log whose
unknown rows outnumber its scored rows is refused in one line (a minority stays counted and skipped)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.datasets.feedback import add_feedback, feedback_counts
from audits.errors import AssayError
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def _feedback(values: list[str | None], **lists) -> pd.DataFrame:
    task = TaskConfig.model_validate({"name": "support", "type": "generate", "dataset": {"path": "log.jsonl"},
                                      "metrics": ["exact_match"], "feedback": {"field": "thumbs", **lists}})
    raw = pd.DataFrame({"thumbs": values})
    frame = pd.DataFrame(index=raw.index)
    add_feedback(frame, raw, task, "log.jsonl")
    return frame


def test_case_and_spaces_do_not_make_a_value_unknown():
    frame = _feedback(["up"] * 3 + ["down"] + ["Up"] * 90 + [" UP "] * 6, positive="up", negative=["Down"])
    counts = feedback_counts(frame)
    assert (counts["positive"], counts["negative"], counts["unknown_skipped"]) == (99, 1, 0)
    assert frame["feedback_raw"].iloc[-1] == "UP"  # the logged value is kept as logged (stripped)


@pytest.mark.parametrize("strange", ["N/A", "maybe", "👍"])
def test_unknown_values_outnumbering_the_scored_rows_are_refused(strange):
    with pytest.raises(AssayError) as err:
        _feedback(["up"] * 3 + ["down"] + [strange] * 96, positive="up", negative=["down"])
    assert str(err.value).startswith(f"task 'support': 96 of 100 rows have feedback that is neither positive ['up'] "
                                     f"nor negative ['down'] (e.g. '{strange}'), more than the 4 rows it could score")


def test_a_minority_of_unknown_values_is_counted_and_skipped():
    frame = _feedback(["up"] * 6 + ["down"] * 4 + ["maybe"] * 3 + [""] * 20 + [None] * 5, positive="up", negative=["down"])
    counts = feedback_counts(frame)
    assert counts == {"positive": 6, "negative": 4, "unknown_skipped": 3, "unknown_values": ["maybe"],
                      "no_feedback": 25, "scored": 10}


def test_a_tie_is_scored_and_one_more_unknown_is_refused():
    assert feedback_counts(_feedback(["up", "down", "meh", "meh"], positive="up", negative=["down"]))["scored"] == 2
    with pytest.raises(AssayError):
        _feedback(["up", "down", "meh", "meh", "meh"], positive="up", negative=["down"])


def test_unrated_values_mean_no_feedback():
    frame = _feedback(["up"] * 3 + ["down"] + ["N/A", "n/a", "none"] * 32, positive="up", negative=["down"],
                      unrated=["N/A", "None"])
    counts = feedback_counts(frame)
    assert (counts["scored"], counts["unknown_skipped"], counts["no_feedback"]) == (4, 0, 96)
    assert not frame["flag_negative_feedback"].iloc[4:].any()


def test_a_value_in_two_lists_ignoring_case_is_refused():
    with pytest.raises(AssayError, match="feedback value 'UP' is listed as both positive and unrated"):
        _feedback(["up"], positive="up", negative=["down"], unrated=["UP"])


def test_the_refusal_is_one_line_from_the_cli(tmp_path):
    log = write_log(tmp_path / "q3.jsonl", 20, 0.5)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    for row in rows[:15]:
        row["thumbs"] = "N/A"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = log_config(tmp_path, log, period="2026-Q3")
    proc = run_cli("run", str(cfg), catalog=tmp_path / "c.duckdb", env={**os.environ, "ASSAY_KEY_DIR": str(tmp_path / "k")})
    lines = [x for x in proc.stderr.splitlines() if x.startswith("assay:")]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "15 of 20 rows have feedback that is neither positive ['up'] nor negative ['down'] (e.g. 'N/A')" in lines[0]
    assert lines[0].endswith("or under feedback.unrated if they mean no feedback (e.g. unrated: [N/A])")


def test_unrated_rows_are_left_out_of_the_rate(tmp_path, catalog):
    from audits.store.queries import runs as runs_q

    log = write_log(tmp_path / "q4.jsonl", 20, 0.5)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    for row in rows[:15]:
        row["thumbs"] = "N/A"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ups = sum(r["thumbs"] == "up" for r in rows)
    cfg = log_config(tmp_path, log, period="2026-Q4", extra_task={"feedback": {
        "field": "thumbs", "positive": "up", "negative": ["down"], "unrated": ["n/a"]}})
    rate = runs_q.get_results(catalog, run_config(catalog, cfg)).tasks[0].metrics["feedback_positive_rate"]
    assert rate.n == 5 and rate.value == pytest.approx(ups / 5)

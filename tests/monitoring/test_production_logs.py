"""Production logs as an audit: the log read through the predictions backend, feedback as a rate
with an exact interval (per group), negative feedback queued for review, bad logs refused or counted."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audits.datasets.production_log import read_log, stratified_sample
from audits.errors import AssayError
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def _errors(proc) -> list[str]:
    """The lines the CLI wrote for the user (warnings of other libraries left out)."""
    return [line for line in proc.stderr.splitlines() if line.startswith("assay:")]


def test_a_log_becomes_an_audit_with_feedback_positive_rate(tmp_path, catalog):
    from audits.store.queries import runs as runs_q

    log = write_log(tmp_path / "q3.jsonl", 120, 0.75, seed=3)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows[5]["thumbs"] = "meh"  # neither positive nor a known negative: counted, not scored
    rows[7]["thumbs"] = None  # no feedback given
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q3"))
    results = runs_q.get_results(catalog, run_id)
    task = results.tasks[0]
    fb = task.metrics["feedback_positive_rate"]
    ups = sum(r["thumbs"] == "up" for r in rows)
    downs = sum(r["thumbs"] == "down" for r in rows)
    assert fb.n == ups + downs == 118
    assert fb.value == pytest.approx(ups / (ups + downs))
    assert fb.kind == "rate" and "clopper" in fb.method.lower() and fb.ci_low < fb.value < fb.ci_high
    block = task.extra["feedback"]
    assert block["unknown_skipped"] == 1 and block["unknown_values"] == ["meh"] and block["no_feedback"] == 1
    assert (block["positive"], block["negative"]) == (ups, downs)
    # per group: the fairness block disaggregates every metric of the task by segment
    samples = pd.read_parquet(catalog.runs_dir / run_id / "samples.parquet")
    assert int(samples["flag_negative_feedback"].sum()) == downs
    queue = pd.read_parquet(catalog.runs_dir / run_id / "review_queue.parquet")
    queued = set(queue.loc[queue["reason"] == "negative_feedback", "sample_id"])
    assert queued == set(samples.loc[samples["flag_negative_feedback"], "sample_id"])
    assert set(queue.loc[queue["reason"] == "negative_feedback", "priority"]) == {3}


def test_feedback_rate_per_group_through_the_bias_scanner(tmp_path, catalog):
    from audits.store.queries import runs as runs_q

    log = write_log(tmp_path / "q3.jsonl", 80, 0.6, seed=4)
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q3", scanners=["bias"]))
    fairness = runs_q.get_results(catalog, run_id).tasks[0].fairness["segment"]
    dumped = json.dumps(fairness.model_dump(mode="json"))
    assert "feedback_positive_rate" in dumped and "web" in dumped and "app" in dumped


def test_bad_feedback_config_is_one_line(tmp_path):
    log = write_log(tmp_path / "q3.jsonl", 10, 0.5)
    cfg = log_config(tmp_path, log, period="2026-Q3", extra_task={"feedback": {"field": "stars", "positive": 5}})
    proc = run_cli("run", str(cfg), catalog=tmp_path / "c.duckdb")
    assert proc.returncode == 2
    assert _errors(proc) == [
        "assay: error: task 'support': feedback.field names column 'stars', which "
        f"{log} does not have (columns: id, input, answer, output, segment, timestamp, thumbs, comment) "
        "— fix the column name in the config"]


def test_duplicate_ids_are_one_line(tmp_path):
    log = write_log(tmp_path / "dup.jsonl", 6, 1.0)
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines + [lines[2]]) + "\n")
    with pytest.raises(AssayError, match=r"1 duplicate id\(s\), e.g. \['0-2'\]"):
        read_log(log)
    proc = run_cli("run", str(log_config(tmp_path, log, period="Q")), catalog=tmp_path / "c.duckdb")
    assert proc.returncode == 2 and len(_errors(proc)) == 1 and "appears twice" in _errors(proc)[0]


def test_missing_outputs_are_skipped_and_counted(tmp_path):
    log = write_log(tmp_path / "gaps.jsonl", 10, 1.0)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    rows[1]["output"], rows[4]["output"] = None, ""
    del rows[6]["input"]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    frame, report = read_log(log)
    assert len(frame) == 7 and report.skipped == {"no input": 1, "no output": 2}
    assert "10 rows read, 7 kept; 1 skipped (no input); 2 skipped (no output)" in report.line()


def test_mixed_encodings_are_one_line(tmp_path):
    log = write_log(tmp_path / "mixed.jsonl", 4, 1.0)
    log.write_bytes(log.read_bytes() + '{"id": "x", "input": "caf\u00e9", "output": "ok"}\n'.encode("latin-1"))
    with pytest.raises(AssayError) as err:
        read_log(log)
    assert str(err.value).startswith(f"log {log}: 1 of 5 lines are not UTF-8 (mixed encodings; first at line 5)")
    proc = run_cli("logs", "import", str(log), "--out", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and len(_errors(proc)) == 1 and "mixed encodings" in _errors(proc)[0]


def test_timestamps_out_of_order_are_put_in_order_and_counted(tmp_path):
    log = write_log(tmp_path / "order.jsonl", 6, 1.0)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    rows[0]["timestamp"], rows[3]["timestamp"] = rows[3]["timestamp"], rows[0]["timestamp"]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    frame, report = read_log(log)
    assert list(frame["sample_id"]) == ["0-3", "0-1", "0-2", "0-0", "0-4", "0-5"]
    assert report.out_of_order == 3 and "3 out of timestamp order (put in order)" in report.line()
    rows[2]["timestamp"] = "yesterday"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(AssayError, match="1 timestamp\\(s\\) cannot be read, e.g. 'yesterday'"):
        read_log(log)


def test_stratified_sample_keeps_every_stratum_in_proportion(tmp_path):
    log = write_log(tmp_path / "big.jsonl", 1000, 0.9, segments=("web",) * 8 + ("app",) + ("phone",))
    frame, report = read_log(log)
    sample = stratified_sample(frame, 50, ["segment"], seed=7, report=report)
    assert len(sample) == 50 and sample["segment"].value_counts().to_dict() == {"web": 40, "app": 5, "phone": 5}
    again = stratified_sample(frame, 50, ["segment"], seed=7)
    assert list(again["sample_id"]) == list(sample["sample_id"])
    tiny = stratified_sample(frame, 3, ["segment"], seed=7)
    assert set(tiny["segment"]) == {"web", "app", "phone"}


def test_otel_and_langfuse_exports_map_to_the_flat_table(tmp_path):
    spans = [{"traceId": "t1", "spanId": f"s{i}", "startTimeUnixNano": str(1_700_000_000_000_000_000 + i),
              "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": f"question {i}"}},
                             {"key": "gen_ai.completion.0.content", "value": {"stringValue": f"answer {i}"}},
                             {"key": "gen_ai.request.model", "value": {"stringValue": "m-1"}},
                             {"key": "app.feedback", "value": {"stringValue": "up"}}]} for i in range(3)]
    otel = tmp_path / "spans.jsonl"
    otel.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}) + "\n")
    frame, _ = read_log(otel, "otel")
    assert list(frame["input"]) == ["question 0", "question 1", "question 2"]
    assert list(frame["prediction"]) == ["answer 0", "answer 1", "answer 2"]
    assert set(frame["attr.app.feedback"]) == {"up"} and set(frame["attr.gen_ai.request.model"]) == {"m-1"}
    traces = [{"id": f"tr{i}", "timestamp": f"2026-10-0{i + 1}T10:00:00Z",
               "input": {"messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": f"q{i}"}]},
               "output": {"role": "assistant", "content": f"a{i}"},
               "scores": [{"name": "user-feedback", "value": i % 2, "comment": "meh" if i % 2 == 0 else None}]}
              for i in range(3)]
    flat = tmp_path / "chat.jsonl"
    flat.write_text(json.dumps({"id": "c1", "input": [{"role": "user", "content": "hi there"}],
                                "output": {"role": "assistant", "content": "hello"}}) + "\n")
    frame, _ = read_log(flat)
    assert (frame.loc[0, "input"], frame.loc[0, "prediction"]) == ("hi there", "hello")
    lf = tmp_path / "langfuse.jsonl"
    lf.write_text("".join(json.dumps(t) + "\n" for t in traces))
    frame, _ = read_log(lf, "langfuse")
    assert list(frame["input"]) == ["q0", "q1", "q2"] and list(frame["prediction"]) == ["a0", "a1", "a2"]
    assert list(frame["score.user-feedback"]) == [0, 1, 0]


def test_logs_import_writes_a_sample_the_audit_reads(tmp_path, catalog):
    from audits.store.queries import runs as runs_q

    log = write_log(tmp_path / "big.jsonl", 400, 0.8, seed=9)
    out = tmp_path / "sample.parquet"
    proc = run_cli("logs", "import", str(log), "--out", str(out), "--sample", "60", "--stratify", "segment",
                   check=True)
    assert "400 rows read, 60 kept; stratified sample of 60 from 400 (2 strata)" in proc.stdout
    cfg = log_config(tmp_path, out, period="2026-Q4", extra_task={"fields": {"id": "sample_id", "reference": "answer"}})
    run_id = run_config(catalog, cfg)
    assert runs_q.get_results(catalog, run_id).tasks[0].metrics["exact_match"].n == 60

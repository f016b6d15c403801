"""OpenTelemetry GenAI spans: an indexed prompt whose turn 0 is the system prompt is read as the user's
turn (it was read as the system prompt, for every span, silently); the newer ``gen_ai.input.messages``
/ ``gen_ai.output.messages`` (role + parts) and ``gen_ai.content.*`` span events are read too."""

from __future__ import annotations

import json

from audits.datasets.production_log import read_log


def _kv(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def test_otel_prompt_turns_messages_and_events(tmp_path):
    spans = [
        {"spanId": "indexed", "startTimeUnixNano": "1790000000000000000", "attributes": [
            _kv("gen_ai.prompt.0.role", "system"), _kv("gen_ai.prompt.0.content", "You are a support bot."),
            _kv("gen_ai.prompt.1.role", "user"), _kv("gen_ai.prompt.1.content", "Where is my parcel?"),
            _kv("gen_ai.completion.0.role", "assistant"), _kv("gen_ai.completion.0.content", "It ships today."),
            _kv("gen_ai.request.model", "m-2")]},
        {"spanId": "messages", "startTimeUnixNano": "1790000000000000001", "attributes": [
            _kv("gen_ai.input.messages", json.dumps([
                {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                {"role": "user", "parts": [{"type": "text", "content": "Can I get a refund?"}]}])),
            _kv("gen_ai.output.messages", json.dumps([
                {"role": "assistant", "parts": [{"type": "text", "content": "Yes, within 30 days."}],
                 "finish_reason": "stop"}]))]},
        {"spanId": "events", "startTimeUnixNano": "1790000000000000002", "attributes": [],
         "events": [{"name": "gen_ai.content.prompt", "attributes": [_kv("gen_ai.prompt", "How do I log in?")]},
                    {"name": "gen_ai.content.completion", "attributes": [_kv("gen_ai.completion", "Use your email.")]}]},
    ]
    log = tmp_path / "spans.jsonl"
    log.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}) + "\n", encoding="utf-8")
    frame, report = read_log(log, "otel")
    got = frame.set_index("sample_id")
    assert got.loc["indexed", "input"] == "Where is my parcel?"
    assert got.loc["indexed", "prediction"] == "It ships today."
    assert got.loc["messages", "input"] == "Can I get a refund?"
    assert got.loc["messages", "prediction"] == "Yes, within 30 days."
    assert (got.loc["events", "input"], got.loc["events", "prediction"]) == ("How do I log in?", "Use your email.")
    assert report.rows_kept == 3 and not any(report.skipped.values())
    assert got.loc["indexed", "attr.gen_ai.request.model"] == "m-2"
    assert not [c for c in frame.columns if c.startswith(("attr.gen_ai.prompt", "attr.gen_ai.input"))]

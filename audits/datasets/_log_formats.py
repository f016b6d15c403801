"""Reading a production log's bytes and shapes: UTF-8 lines, JSON records, OTLP spans (OpenTelemetry GenAI)
and Langfuse traces, each turned into rows of the flat table (``sample_id``, ``input``, ``prediction``,
``timestamp`` and the other logged fields).

The parsing half of :mod:`audits.datasets.production_log`, which validates, counts and orders what this
returns. A file mixing encodings, a line that is not a JSON object and a part that is not the shape it
claims are one-line errors here; nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audits.errors import AssayError
from audits.jsontypes import JsonObject

__all__ = ["from_langfuse", "from_otel", "log_lines", "log_records", "message_text", "mixed_encodings", "utf8_lines"]


def log_lines(path: Path) -> list[str]:
    """The file's lines as UTF-8 text; a file mixing encodings is a one-line error naming the lines."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark (Excel, Notepad)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark (e.g. a Windows export)
        raise AssayError(f"log {path} is UTF-16, not UTF-8", "re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8")
    out, bad = utf8_lines(data)
    if bad and not out:
        raise AssayError(f"log {path}: none of its {len(bad)} lines is UTF-8 (another encoding, e.g. Latin-1)",
                         "re-save the whole file as UTF-8, e.g. iconv -f latin1 -t utf-8")
    if bad:
        raise mixed_encodings(f"log {path}", bad, len(out) + len(bad))
    return out


def utf8_lines(data: bytes) -> tuple[list[str], list[int]]:
    """The lines of ``data`` that decode as UTF-8, and the 1-based numbers of those that do not."""
    out: list[str] = []
    bad: list[int] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append(number)
    return out, bad


def mixed_encodings(what: str, bad: list[int], total: int) -> AssayError:
    """The one-line error for a file whose lines ``bad`` (of ``total``) are not UTF-8; ``what`` names it."""
    return AssayError(f"{what}: {len(bad)} of {total} lines are not UTF-8 (mixed encodings; first at line {bad[0]})",
                      "re-save the whole file as UTF-8, e.g. iconv -f latin1 -t utf-8")


def log_records(path: Path) -> list[JsonObject]:
    records = []
    for number, text in enumerate(log_lines(path), start=1):
        if not text.strip():
            continue
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as err:
            raise AssayError(f"log {path}: line {number} is not JSON ({err.msg})", "write one JSON object per line") from None
        if isinstance(rec, dict) and isinstance(rec.get("resourceSpans"), list):  # an OTLP export batch
            records += _otlp_spans(rec["resourceSpans"], path, number)
        elif isinstance(rec, dict):
            records.append(rec)
        else:
            raise AssayError(f"log {path}: line {number} is a JSON {type(rec).__name__}, not an object",
                             "write one JSON object per line")
    return records


def _otlp_spans(resource_spans: list[Any], path: Path, number: int) -> list[dict[str, object]]:
    """The spans of one OTLP JSON batch; a part that is not the OTLP shape is a one-line error."""
    spans: list[dict[str, object]] = []
    for rs in resource_spans:
        scopes = rs.get("scopeSpans") if isinstance(rs, dict) else None
        for ss in scopes if isinstance(scopes, list) else []:
            found = ss.get("spans") if isinstance(ss, dict) else None
            spans += [sp for sp in found if isinstance(sp, dict)] if isinstance(found, list) else []
        if not isinstance(rs, dict) or not isinstance(scopes, (list, type(None))):
            raise AssayError(f"log {path}: line {number} has a resourceSpans entry that is not OTLP JSON "
                             f"(a {type(rs).__name__} without a scopeSpans list)",
                             "export the spans with the OTLP JSON exporter (resourceSpans > scopeSpans > spans)")
    return spans


def message_text(value: Any) -> str | None:
    """Text of a logged message: a string, a chat message list (the last user turn / the content),
    or a mapping with content/text/messages; None when empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list):
        users = [m for m in value if isinstance(m, dict) and m.get("role") == "user"]
        pick = (users or value)[-1] if value else None
        return message_text(pick)
    if isinstance(value, dict) and isinstance(value.get("parts"), list):  # OTel GenAI messages: role + parts
        texts = [message_text(p.get("content")) for p in value["parts"] if isinstance(p, dict) and p.get("type", "text") == "text"]
        return "\n".join(t for t in texts if t) or None
    if isinstance(value, dict):
        for key in ("content", "text", "completion", "output", "messages", "input", "prompt"):
            if key in value:
                return message_text(value[key])
    return json.dumps(value, ensure_ascii=False)


def _otel_attributes(span: JsonObject) -> JsonObject:
    attrs = span.get("attributes") or {}
    if not isinstance(attrs, (list, dict)) or (isinstance(attrs, list) and not all(isinstance(a, dict) for a in attrs)):
        raise AssayError(f"span {span.get('spanId') or span.get('span_id') or '(no id)'}: attributes are neither a "
                         "mapping nor OTLP key/value pairs", "export spans as OTLP JSON (attributes: "
                         '[{"key": ..., "value": {"stringValue": ...}}]) or as a flat attribute mapping')
    if isinstance(attrs, list):  # OTLP JSON: [{"key": k, "value": {"stringValue": v}}]
        flat = {}
        for a in attrs:
            value = a.get("value") or {}
            flat[a.get("key")] = next(iter(value.values()), None) if isinstance(value, dict) else value
        attrs = flat
    return attrs


_MESSAGE_KEYS = ("gen_ai.prompt", "gen_ai.completion", "gen_ai.input.messages", "gen_ai.output.messages")


def _otel_message(attrs: dict[str, object], flat: str, messages: str) -> Any:
    """A span's prompt (or completion) as logged: ``flat`` as one value, or indexed
    (``flat.<i>.role`` / ``flat.<i>.content``, in index order, so a system turn at index 0 is not read
    as the user's), or ``messages`` (a JSON list of role + parts, newer GenAI conventions)."""
    if attrs.get(flat) is not None:
        return attrs[flat]
    turns: dict[int, dict[str, object]] = {}
    for key, value in attrs.items():
        match = re.fullmatch(re.escape(flat) + r"\.(\d+)\.(role|content)", str(key))
        if match:
            turns.setdefault(int(match[1]), {})[match[2]] = value
    if turns:
        return [turns[i] for i in sorted(turns)]
    value = attrs.get(messages)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def from_otel(records: list[JsonObject]) -> pd.DataFrame:
    rows = []
    for span in records:
        attrs = _otel_attributes(span)
        for event in span.get("events") or []:  # gen_ai.content.prompt / .completion span events
            if isinstance(event, dict) and str(event.get("name", "")).startswith("gen_ai."):
                for key, value in _otel_attributes(event).items():
                    attrs.setdefault(key, value)
        start = span.get("startTimeUnixNano") or span.get("start_time")
        rows.append({**{f"attr.{k}": v for k, v in attrs.items() if not str(k).startswith(_MESSAGE_KEYS)},
                     "sample_id": span.get("spanId") or span.get("span_id") or (span.get("context") or {}).get("span_id"),
                     "input": message_text(_otel_message(attrs, "gen_ai.prompt", "gen_ai.input.messages")),
                     "prediction": message_text(_otel_message(attrs, "gen_ai.completion", "gen_ai.output.messages")),
                     "timestamp": _from_unix_ns(start) if str(start or "").isdigit() else start})
    return pd.DataFrame(rows)


def _from_unix_ns(start: Any) -> Any:
    """A span's start in Unix nanoseconds as a time; a number no calendar holds stays as written (the
    reader then names it as a timestamp it cannot read)."""
    try:
        return pd.to_datetime(int(start), unit="ns", utc=True)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        return str(start)


def _score_value(score: dict[str, object]) -> Any:
    """A Langfuse score's value: ``stringValue`` for a categorical score, else ``value`` (then
    ``stringValue``); None when it has none (null, NaN or blank)."""
    order = ("stringValue", "value") if str(score.get("dataType", "")).upper() == "CATEGORICAL" else ("value", "stringValue")
    for key in order:
        value = score.get(key)
        if value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip()):
            continue
        return value
    return None


def _langfuse_scores(trace: dict[str, object], row: dict[str, object], skipped: dict[str, int]) -> None:
    """The trace's scores as ``score.<name>`` (and ``score.<name>.comment``) columns of ``row``; an entry
    that gives no value is counted in ``skipped`` by reason, never dropped silently."""
    seen: set[str] = set()
    for score in trace.get("scores") or []:  # user feedback, e.g. {"name": "user-feedback", "value": 1}
        name = score.get("name") if isinstance(score, dict) else None
        value = _score_value(score) if isinstance(score, dict) else None
        why = ("not an object" if not isinstance(score, dict) else "no name" if not name else
               f"'{name}' without a value" if value is None else
               f"'{name}' given twice on one trace, the last kept" if name in seen else None)
        if why is not None:
            skipped[why] = skipped.get(why, 0) + 1
        if not isinstance(score, dict) or not name or value is None:
            continue
        seen.add(name)
        row[f"score.{name}"] = value
        if score.get("comment"):
            row[f"score.{name}.comment"] = score["comment"]


def from_langfuse(records: list[JsonObject], skipped: dict[str, int]) -> pd.DataFrame:
    rows = []
    for trace in records:
        for key, kind in (("scores", list), ("metadata", dict)):
            if trace.get(key) is not None and not isinstance(trace[key], kind):
                raise AssayError(f"trace {trace.get('id') or '(no id)'}: '{key}' is a {type(trace[key]).__name__}, "
                                 f"not a {kind.__name__}", "export traces with Langfuse's JSON export (scores: a "
                                 "list of {name, value, comment}; metadata: a mapping)")
        row = {"sample_id": trace.get("id"), "input": message_text(trace.get("input")), "prediction": message_text(trace.get("output")),
               "timestamp": trace.get("timestamp") or trace.get("startTime")}
        _langfuse_scores(trace, row, skipped)
        for key, value in (trace.get("metadata") or {}).items():
            row[f"metadata.{key}"] = value
        for key in ("userId", "sessionId", "name", "release", "version"):
            if trace.get(key) is not None:
                row[key] = trace[key]
        rows.append(row)
    return pd.DataFrame(rows)

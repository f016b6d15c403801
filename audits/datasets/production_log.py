"""Production logs: logged interactions read into one flat table the audit reads as data and the
``predictions`` backend reads as outputs (``assay logs import``; docs/production-logs.md).

Three shapes are read: ``flat`` (a row per interaction: id, input, output, optional context,
feedback, timestamp), ``otel`` (OpenTelemetry GenAI spans, OTLP JSON lines: ``gen_ai.prompt`` /
``gen_ai.completion`` attributes, or their ``.0.content`` indexed form) and ``langfuse`` (a
Langfuse trace/observation export: ``input``, ``output``, ``scores``). Bad rows are never dropped
silently: duplicate ids and mixed encodings are errors; rows without input or output are
skipped and counted; rows out of timestamp order are put in order and counted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audits.errors import AssayError

FORMATS = ("flat", "otel", "langfuse")
COLUMNS = ["sample_id", "input", "prediction", "context", "timestamp"]  # then every other logged column
_FLAT_ALIASES = {"id": "sample_id", "output": "prediction", "completion": "prediction", "prompt": "input"}
FLAT_OUTPUT_COLUMNS = ("prediction", "output")  # the answer column of a flat log, as the predictions backend reads it


@dataclass
class LogReport:
    """What reading a log did: rows read, kept, skipped (by reason), reordered and sampled."""

    path: str
    format: str
    rows_read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    out_of_order: int = 0
    sampled_from: int | None = None
    strata: dict[str, int] = field(default_factory=dict)
    rows_kept: int = 0
    skipped_scores: dict[str, int] = field(default_factory=dict)  # Langfuse score entries not read, by reason
    as_text: list[str] = field(default_factory=list)  # columns whose values mixed types, kept as text


    def line(self) -> str:
        parts = [f"{self.path} ({self.format}): {self.rows_read} rows read, {self.rows_kept} kept"]
        parts += [f"{n} skipped ({why})" for why, n in self.skipped.items() if n]
        parts += [f"{n} score entr{'y' if n == 1 else 'ies'} skipped ({why})" for why, n in self.skipped_scores.items()]
        if self.as_text:
            parts.append(f"{', '.join(self.as_text)}: values of mixed types (e.g. text and numbers), kept as text")
        if self.out_of_order:
            parts.append(f"{self.out_of_order} out of timestamp order (put in order)")
        if self.sampled_from is not None:
            parts.append(f"stratified sample of {self.rows_kept} from {self.sampled_from} ({len(self.strata)} strata)")
        return "; ".join(parts)


def _lines(path: Path) -> list[str]:
    """The file's lines as UTF-8 text; a file mixing encodings is a one-line error naming the lines."""
    bad: list[int] = []
    out: list[str] = []
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark (Excel, Notepad)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark (e.g. a Windows export)
        raise AssayError(f"log {path} is UTF-16, not UTF-8", "re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8")
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append(number)
    if bad and not out:
        raise AssayError(f"log {path}: none of its {len(bad)} lines is UTF-8 (another encoding, e.g. Latin-1)",
                         "re-save the whole file as UTF-8, e.g. iconv -f latin1 -t utf-8")
    if bad:
        raise AssayError(f"log {path}: {len(bad)} of {len(out) + len(bad)} lines are not UTF-8 (mixed encodings; "
                         f"first at line {bad[0]})", "re-save the whole file as UTF-8, e.g. iconv -f latin1 -t utf-8")
    return out


def _records(path: Path) -> list[dict[str, Any]]:
    records = []
    for number, text in enumerate(_lines(path), start=1):
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


def _text(value: Any) -> str | None:
    """Text of a logged message: a string, a chat message list (the last user turn / the content),
    or a mapping with content/text/messages; None when empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list):
        users = [m for m in value if isinstance(m, dict) and m.get("role") == "user"]
        pick = (users or value)[-1] if value else None
        return _text(pick)
    if isinstance(value, dict) and isinstance(value.get("parts"), list):  # OTel GenAI messages: role + parts
        texts = [_text(p.get("content")) for p in value["parts"] if isinstance(p, dict) and p.get("type", "text") == "text"]
        return "\n".join(t for t in texts if t) or None
    if isinstance(value, dict):
        for key in ("content", "text", "completion", "output", "messages", "input", "prompt"):
            if key in value:
                return _text(value[key])
    return json.dumps(value, ensure_ascii=False)


def _otel_attributes(span: dict[str, Any]) -> dict[str, Any]:
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


def _from_otel(records: list[dict[str, Any]]) -> pd.DataFrame:
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
                     "input": _text(_otel_message(attrs, "gen_ai.prompt", "gen_ai.input.messages")),
                     "prediction": _text(_otel_message(attrs, "gen_ai.completion", "gen_ai.output.messages")),
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


def _from_langfuse(records: list[dict[str, Any]], skipped: dict[str, int]) -> pd.DataFrame:
    rows = []
    for trace in records:
        for key, kind in (("scores", list), ("metadata", dict)):
            if trace.get(key) is not None and not isinstance(trace[key], kind):
                raise AssayError(f"trace {trace.get('id') or '(no id)'}: '{key}' is a {type(trace[key]).__name__}, "
                                 f"not a {kind.__name__}", "export traces with Langfuse's JSON export (scores: a "
                                 "list of {name, value, comment}; metadata: a mapping)")
        row = {"sample_id": trace.get("id"), "input": _text(trace.get("input")), "prediction": _text(trace.get("output")),
               "timestamp": trace.get("timestamp") or trace.get("startTime")}
        _langfuse_scores(trace, row, skipped)
        for key, value in (trace.get("metadata") or {}).items():
            row[f"metadata.{key}"] = value
        for key in ("userId", "sessionId", "name", "release", "version"):
            if trace.get(key) is not None:
                row[key] = trace[key]
        rows.append(row)
    return pd.DataFrame(rows)


def _read(path: Path, fmt: str, report: LogReport) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if fmt in ("otel", "langfuse"):
        records = _records(path)
        return _from_otel(records) if fmt == "otel" else _from_langfuse(records, report.skipped_scores)
    if suffix in (".parquet", ".pq", ".csv"):
        kind = "CSV" if suffix == ".csv" else "Parquet"
        try:
            if suffix == ".csv":
                from io import StringIO
                frame = pd.read_csv(StringIO("\n".join(_lines(path))), dtype=str, keep_default_na=False, na_values=[""])
            else:
                frame = pd.read_parquet(path)
        except (ValueError, OSError) as err:  # pandas/pyarrow parse errors (EmptyDataError, ArrowInvalid, ...)
            first = (str(err).splitlines() or [type(err).__name__])[0][:160]
            raise AssayError(f"log {path}: cannot read it as {kind}: {first}", f"check that the file is valid {kind}, "
                             "or export the log as JSON lines (.jsonl)") from None
    else:
        frame = pd.DataFrame(_records(path))
    return frame.rename(columns={k: v for k, v in _FLAT_ALIASES.items() if k in frame.columns and v not in frame.columns})


def read_log(path: str | Path, fmt: str = "flat") -> tuple[pd.DataFrame, LogReport]:
    """A log as the flat table (``COLUMNS`` first), with what was skipped or reordered."""
    path = Path(path)
    if fmt not in FORMATS:
        raise AssayError(f"unknown log format {fmt!r}", f"use one of: {', '.join(FORMATS)}")
    if path.is_dir():
        raise AssayError(f"log '{path}' is a folder, not a file", "point at the log file itself (JSONL, CSV or Parquet)")
    if not path.is_file():
        raise AssayError(f"log file '{path}' does not exist", "check the path")
    report = LogReport(str(path), fmt)
    frame = _read(path, fmt, report)
    report.rows_read = len(frame)
    if frame.empty:
        raise AssayError(f"log {path} has no interactions", "point at a log with rows")
    for col in ("sample_id", "input", "prediction"):
        if col not in frame.columns:
            raise AssayError(f"log {path} ({fmt}) has no '{col}' column (columns: {', '.join(map(str, frame.columns[:12]))})",
                             "name the columns id, input, output (flat logs), or pass --format otel / langfuse")
    if frame["sample_id"].isna().any():
        raise AssayError(f"log {path}: {int(frame['sample_id'].isna().sum())} interactions have no id",
                         "give every logged interaction an id (span id, trace id)")
    frame["sample_id"] = frame["sample_id"].astype(str)
    dupes = frame["sample_id"][frame["sample_id"].duplicated()]
    if len(dupes):
        raise AssayError(f"log {path}: {len(dupes)} duplicate id(s), e.g. {sorted(set(dupes))[:3]}",
                         "keep one row per interaction (deduplicate retried spans)")
    for col, why in (("input", "no input"), ("prediction", "no output")):
        empty = frame[col].map(lambda v: _text(v) is None).astype(bool)
        report.skipped[why] = int(empty.sum())
        frame = frame[~empty]
        frame[col] = frame[col].map(_text)  # a logged chat message list or mapping -> its text
    if frame.empty:
        raise AssayError(f"log {path}: every one of its {report.rows_read} interactions was skipped ("
                         + ", ".join(f"{n} {why}" for why, n in report.skipped.items() if n) + ")",
                         "log the prompt and the answer of each interaction"
                         + (" (gen_ai.prompt / gen_ai.completion span attributes)" if fmt == "otel" else ""))
    if "context" not in frame.columns:
        frame["context"] = None
    if "timestamp" in frame.columns and frame["timestamp"].notna().any():
        stamps = read_timestamps(frame["timestamp"], f"log {path}")
        report.out_of_order = out_of_order(stamps)  # logged after a later one
        frame = frame.assign(timestamp=stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").where(stamps.notna(), None))
        frame = frame.iloc[np.argsort(stamps.to_numpy(), kind="stable")]
    else:
        frame["timestamp"] = None
    frame = frame[COLUMNS + [c for c in frame.columns if c not in COLUMNS]].reset_index(drop=True)
    for col in frame.columns:  # a column mixing text and numbers (thumbs "up" and 1) cannot be written as Parquet
        if frame[col].dtype == object and len({type(v) for v in frame[col] if not _missing(v)}) > 1:
            frame[col] = frame[col].map(lambda v: None if _missing(v) else
                                        json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))
            report.as_text.append(str(col))
    report.rows_kept = len(frame)
    return frame, report


def blank_text(value: Any) -> bool:
    """True for a logged message with no text (absent, null, NaN, "" or blank): a row ``read_log`` skips."""
    return _text(value) is None


def read_timestamps(values: pd.Series, where: str) -> pd.Series:
    """Logged timestamps as UTC times, each as written (ISO 8601 or Unix nanoseconds); one that cannot be
    read, or that falls before 1971 (Unix seconds or ms read as ns), is a one-line error naming ``where``."""
    stamps = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    unread = stamps.isna() & values.notna()
    if unread.any():
        raise AssayError(f"{where}: {int(unread.sum())} timestamp(s) cannot be read, e.g. {values[unread].iloc[0]!r}",
                         "write timestamps as ISO 8601 (2026-10-01T12:00:00Z) or Unix nanoseconds")
    early = stamps < pd.Timestamp("1971-01-01", tz="UTC")  # a Unix time in seconds or ms, read as ns
    if early.any():
        raise AssayError(f"{where}: {int(early.sum())} timestamp(s) fall before 1971, e.g. "
                         f"{values[early].iloc[0]} (numbers are read as Unix nanoseconds)",
                         "write timestamps as ISO 8601, or multiply Unix seconds by 10**9")
    return stamps


def out_of_order(timestamps: pd.Series) -> int:
    """How many rows were logged after a later one (each timestamp as written; unreadable ones ignored)."""
    stamps = pd.to_datetime(timestamps, utc=True, errors="coerce", format="mixed")
    return int((stamps < stamps.cummax()).sum())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def stratum_keys(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Each row's stratum as the sampler names it: the values of ``by`` as text joined by '|' ('all'
    without columns). The one definition, used by ``stratified_sample`` and ``audits.sampling``."""
    keys = pd.Series("all", index=frame.index)
    for i, col in enumerate(by):
        part = frame[col].astype(str)
        keys = part if i == 0 else keys + "|" + part
    return keys


def stratified_sample(frame: pd.DataFrame, size: int, by: list[str], seed: int = 1234,
                      report: LogReport | None = None, keys: pd.Series | None = None) -> pd.DataFrame:
    """``size`` rows drawn without replacement, proportional to each stratum of ``by`` (largest
    remainder, at least one per stratum), in the log's order. Deterministic for a seed. ``keys``:
    ``stratum_keys(frame, by)`` when the caller already has them."""
    if size < 1:
        raise AssayError(f"sample size must be at least 1, got {size}", "pass --sample N with N from `assay plan`")
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise AssayError(f"--stratify names column '{missing[0]}', which the log does not have "
                         f"(columns: {', '.join(map(str, frame.columns[:12]))})", "fix the column name")
    if size >= len(frame):
        return frame
    keys = stratum_keys(frame, by) if keys is None else keys
    rows_of = pd.Series(np.arange(len(frame))).groupby(keys.to_numpy()).indices  # stratum -> row positions
    sizes = keys.value_counts().sort_index()
    exact = sizes * (size / len(frame))
    alloc = np.floor(exact).astype(int).clip(lower=1)
    order = (exact - np.floor(exact)).sort_values(ascending=False, kind="mergesort").index
    for key in order[:max(0, size - int(alloc.sum()))]:
        alloc[key] += 1
    alloc = alloc.clip(upper=sizes)
    rng = np.random.default_rng(seed)
    picked = []
    for key, n in alloc.items():
        picked.append(rng.choice(rows_of[key], size=int(n), replace=False))
    out = frame.iloc[np.sort(np.concatenate(picked))].reset_index(drop=True)
    if report is not None:
        report.sampled_from, report.strata, report.rows_kept = len(frame), {str(k): int(v) for k, v in alloc.items()}, len(out)
    return out


def write_log(frame: pd.DataFrame, out: str | Path) -> Path:
    """Write the flat table (JSONL, CSV or Parquet by extension) for the audit config to read."""
    out = Path(out)
    suffix = out.suffix.lower()
    if out.is_dir():
        raise AssayError(f"--out '{out}' is a folder", "give a file name ending in .jsonl, .csv or .parquet")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AssayError(f"cannot create the folder of --out '{out}': {err.strerror}", "choose a writable path") from None
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(out, index=False)
    elif suffix == ".csv":
        frame.to_csv(out, index=False)
    elif suffix in (".jsonl", ".ndjson"):
        frame.to_json(out, orient="records", lines=True, force_ascii=False)
    else:
        raise AssayError(f"cannot tell the format of '{out}'", "end --out with .jsonl, .csv or .parquet")
    return out

"""Production logs: logged interactions read into one flat table the audit reads as data and the
``predictions`` backend reads as outputs (``assay logs import``; docs/production-logs.md).

Three shapes are read: ``flat`` (a row per interaction: id, input, output, optional context,
feedback, timestamp), ``otel`` (OpenTelemetry GenAI spans, OTLP JSON lines: ``gen_ai.prompt`` /
``gen_ai.completion`` attributes, or their ``.0.content`` indexed form) and ``langfuse`` (a
Langfuse trace/observation export: ``input``, ``output``, ``scores``). Bad rows are never dropped
silently: duplicate ids and mixed encodings are errors; rows without input or output are
skipped and counted; rows out of timestamp order are put in order and counted.

The bytes and shapes are parsed in :mod:`audits.datasets._log_formats`; this module validates, counts,
orders, samples and writes the flat table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audits.datasets._log_formats import from_langfuse, from_otel, log_lines, log_records, message_text
from audits.datasets._text_files import refuse_other_delimiter
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


def _read(path: Path, fmt: str, report: LogReport) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if fmt in ("otel", "langfuse"):
        records = log_records(path)
        return from_otel(records) if fmt == "otel" else from_langfuse(records, report.skipped_scores)
    if suffix in (".parquet", ".pq", ".csv"):
        kind = "CSV" if suffix == ".csv" else "Parquet"
        try:
            if suffix == ".csv":
                from io import StringIO
                frame = pd.read_csv(StringIO("\n".join(log_lines(path))), dtype=str, keep_default_na=False, na_values=[""])
                refuse_other_delimiter(frame, f"log {path}")  # as the dataset loader: never guess a ';' split
            else:
                frame = pd.read_parquet(path)
        except (ValueError, OSError) as err:  # pandas/pyarrow parse errors (EmptyDataError, ArrowInvalid, ...)
            first = (str(err).splitlines() or [type(err).__name__])[0][:160]
            raise AssayError(f"log {path}: cannot read it as {kind}: {first}", f"check that the file is valid {kind}, "
                             "or export the log as JSON lines (.jsonl)") from None
    else:
        frame = pd.DataFrame(log_records(path))
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
        empty = frame[col].map(lambda v: message_text(v) is None).astype(bool)
        report.skipped[why] = int(empty.sum())
        frame = frame[~empty]
        frame[col] = frame[col].map(message_text)  # a logged chat message list or mapping -> its text
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
    return message_text(value) is None


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

"""Load a task's data into the samples frame of docs/architecture.md, with a content hash.

Checks happen here, before any model loads: the file exists and is UTF-8, columns named by
the field map and the prompt template exist, the data is not empty, labels are valid choices,
sensitive attributes exist and have no nulls.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from audits.backends.choices import OPTIONS_FIELD, render_prompt
from audits.config import TaskConfig
from audits.datasets._log_formats import mixed_encodings, utf8_lines
from audits.datasets._text_files import bad_json_line, refuse_other_delimiter
from audits.datasets.builtin import get_builtin
from audits.datasets.feedback import add_feedback
from audits.datasets.production_log import FLAT_OUTPUT_COLUMNS, blank_text, out_of_order, read_timestamps
from audits.errors import AssayError
from audits.hashing import sha256_bytes, sha256_path


@dataclass
class TaskData:
    """A task's samples, ready for inference."""

    task: TaskConfig
    frame: pd.DataFrame          # task, sample_id, input, reference, choices, label, <attributes>
    source: str                  # file path or builtin:<name>
    sha256: str                  # hash of the source file(s) content
    n_source: int                # rows before --limit
    n_skipped: int = 0           # rows left out for a missing prompt field (task.on_missing: skip)
    # The source columns ``task.sample.stratify`` names that ``frame`` does not carry, row for row
    # with ``frame`` (None once the sample is drawn), and every column the source had (for messages).
    strata: pd.DataFrame | None = None
    source_columns: tuple[str, ...] = ()
    # When the task reads a production log that is also the predictions file (``assay run`` on a raw log):
    # rows skipped by the rules of ``assay logs import`` (by reason) and rows logged after a later one.
    log_skipped: dict[str, int] = field(default_factory=dict)
    out_of_order: int = 0
    n_read: int | None = None    # rows the source held, before dataset.filter and any skip
    n_filtered: int = 0          # rows dataset.filter left out

    @property
    def skipped(self) -> dict[str, int]:
        """Rows left out by reason (the manifest's ``datasets.<task>.rows_skipped``): a missing prompt field
        (``on_missing: skip``) and a raw log's rules (no input, no output); reasons with none are left out."""
        out = {"missing prompt field": int(self.n_skipped)} if self.n_skipped else {}
        return {**out, **{why: int(n) for why, n in self.log_skipped.items() if n}}

    @property
    def available(self) -> set[str]:
        have = set()
        if self.frame["reference"].notna().any():
            have.add("references")
        if self.frame["label"].notna().any():
            have.add("labels")
        if self.task.positive is not None:
            have.add("positive")
        if self.task.feedback is not None:
            have.add("feedback")
        return have


def data_sha256(files: list[Path]) -> str:
    """A task's data hash (the manifest's ``datasets.<task>.sha256``): the file's SHA-256, or for a built-in
    read from several files the SHA-256 of their digests joined in the built-in's order."""
    if len(files) == 1:
        return sha256_path(files[0])
    return sha256_bytes("".join(sha256_path(f) for f in files).encode())


def _read_file(path: Path, fmt: str, task: str) -> pd.DataFrame:
    if not path.exists():
        raise AssayError(f"task '{task}': dataset file {path} does not exist", "check dataset.path in the config")
    if fmt == "auto":
        suffix = path.suffix.lower()
        fmt = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
               ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "")
        if not fmt:
            raise AssayError(f"task '{task}': cannot tell the format of {path.name}",
                             "use a .jsonl, .csv or .parquet file, or set dataset.format")
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        data = path.read_bytes()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark (e.g. a Windows export)
            raise AssayError(f"task '{task}': dataset {path} is UTF-16, not UTF-8",
                             "re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8")
        text = StringIO(data.decode("utf-8-sig"))  # a UTF-8 byte-order mark (Excel, Notepad) is dropped
        if fmt == "csv":
            frame = pd.read_csv(text, dtype=str, keep_default_na=False, na_values=[""])
            refuse_other_delimiter(frame, f"task '{task}': {path}")  # not "the prompt's fields are missing"
            return frame
        return pd.read_json(text, lines=True, dtype=False)
    except UnicodeDecodeError:
        good, bad = utf8_lines(path.read_bytes())
        if good and bad:  # the same line-by-line check as `assay logs import`: name the mixed lines
            raise mixed_encodings(f"task '{task}': dataset {path}", bad, len(good) + len(bad)) from None
        raise AssayError(f"task '{task}': dataset {path} is not UTF-8 text",
                         "re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8") from None
    except AssayError:
        raise
    except (ValueError, TypeError, OSError) as err:  # pandas/pyarrow parse errors (TypeError: a line that is a list)
        bad = bad_json_line(path.read_bytes().decode("utf-8-sig")) if fmt == "jsonl" and path.is_file() else None
        if bad is not None:
            raise AssayError(f"task '{task}': line {bad[0]} of {path} {bad[1]}",
                             "write one JSON object per line (fix or remove that line)") from None
        first = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise AssayError(f"task '{task}': cannot read {path} as {fmt}: {first}",
                         f"check that the file is valid {fmt}") from None


def _template_fields(template: str, task: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f]
    except ValueError as err:
        raise AssayError(f"task '{task}': prompt template is malformed ({err})",
                         "use {column} placeholders and double braces {{ }} for literal braces") from None


def _require_columns(frame: pd.DataFrame, columns: list[str], what: str, task: str, source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns[:12]))
        raise AssayError(f"task '{task}': {what} names column '{missing[0]}', which {source} does not have "
                         f"(columns: {have})", "fix the column name in the config")


def _bin(values: pd.Series, bins: list[float], labels: list[str] | None, task: str, column: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any():
        raise AssayError(f"task '{task}': sensitive attribute '{column}' has bins but non-numeric values",
                         "remove 'bins' or clean the column")
    if labels is None:
        labels = [f"{bins[i]:g}-{bins[i + 1]:g}" for i in range(len(bins) - 1)]
    binned = pd.cut(numeric, bins=bins, labels=labels, right=False, include_lowest=True)
    if binned.isna().any():
        bad = numeric[binned.isna()].iloc[0]
        raise AssayError(f"task '{task}': value {bad:g} of '{column}' falls outside bins {bins}",
                         "widen the bins to cover every value")
    return binned.astype(str)


def load_task_data(task: TaskConfig, limit: int | None = None, outputs: str | Path | None = None) -> TaskData:
    """Read, validate and shape one task's data. ``limit`` keeps the first N rows. ``outputs``: the
    ``predictions`` backend's file; when the task's dataset is that same file (a raw production log),
    the rules of ``assay logs import`` apply: rows without an output are skipped and counted, and rows
    out of timestamp order are counted."""
    src = task.dataset
    if src.builtin:
        builtin = get_builtin(src.builtin)
        files = builtin.files()
        for f in files:
            if not f.exists():
                raise AssayError(f"task '{task.name}': built-in dataset file {f} is missing",
                                 "reinstall with the README's set-up command")
        raw = builtin.read(files)
        defaults = builtin.fields
        builtin_extra = [c for c in builtin.extra_columns if c in raw.columns]
        source = f"builtin:{builtin.name}"
    else:
        files = [Path(src.path)]
        raw = _read_file(files[0], src.format, task.name)
        defaults = {}
        builtin_extra = []
        source = str(files[0])
    digest = data_sha256(files)

    n_read = len(raw)
    if src.filter:
        _require_columns(raw, list(src.filter), "dataset.filter", task.name, source)
        for column, wanted in src.filter.items():
            wanted = wanted if isinstance(wanted, list) else [wanted]
            raw = raw[raw[column].isin(wanted)]
    n_filtered = n_read - len(raw)
    log_skipped, n_out_of_order = {}, 0
    if not src.builtin and outputs is not None and _same_file(files[0], outputs):
        raw, log_skipped, n_out_of_order = _log_rules(raw, f"task '{task.name}': log {source}")
    n_source = len(raw)
    limit = min(x for x in (limit, task.limit) if x is not None) if (limit or task.limit) else None
    if limit is not None:
        raw = raw.head(limit)
    if raw.empty:
        raise AssayError(f"task '{task.name}': dataset {source} has no rows" + (" after the filter" if src.filter else ""),
                         "point the task at a file with data, or loosen dataset.filter")
    raw = raw.reset_index(drop=True)

    fields = {**defaults, **task.fields.model_dump(exclude_none=True)}
    id_col, ref_col, label_col, choice_cols = (fields.get(k) for k in ("id", "reference", "label", "choices"))
    prompt_fields = [f for f in _template_fields(task.prompt, task.name)
                     if not (f == OPTIONS_FIELD and task.type == "choice" and task.choice_format == "letters")]
    _require_columns(raw, prompt_fields, "the prompt template", task.name, source)
    raw, n_skipped = _rows_with_prompt_fields(task, raw, prompt_fields, source)
    for what, col in (("fields.id", id_col), ("fields.reference", ref_col), ("fields.label", label_col)):
        if col:
            _require_columns(raw, [col], what, task.name, source)
    if choice_cols:
        _require_columns(raw, choice_cols, "fields.choices", task.name, source)
    elif task.type == "choice" and not task.choices:
        raise AssayError(f"task '{task.name}': a choice task needs 'choices' or 'fields.choices'",
                         "list the choices, e.g. choices: [yes, no]")
    _require_columns(raw, task.attribute_names, "sensitive", task.name, source)

    ids = raw[id_col].astype(str) if id_col else pd.Series([str(i) for i in raw.index])
    if ids.duplicated().any():
        raise AssayError(f"task '{task.name}': sample id '{ids[ids.duplicated()].iloc[0]}' appears twice in {source}",
                         "make fields.id point at a unique column")
    records = raw.to_dict("records")
    choices = _choices(task, raw, choice_cols)
    if task.type == "choice" and task.choice_format == "letters":
        widest = max((len(cs) for cs in choices), default=0)
        if widest > 26:
            raise AssayError(f"task '{task.name}': choice_format 'letters' supports at most 26 choices, "
                             f"a row has {widest}", "use choice_format: text, or fewer choice columns")
    fmt = task.choice_format if task.type == "choice" else "text"
    frame = pd.DataFrame({
        "task": task.name,
        "sample_id": ids.values,
        "input": [render_prompt(task.prompt, r, cs, fmt) for r, cs in zip(records, choices)],
    })
    frame["reference"] = raw[ref_col].astype(object).where(raw[ref_col].notna(), None).map(
        lambda v: None if v is None else str(v)).values if ref_col else None
    frame["choices"] = choices
    for column in builtin_extra:  # per-sample facts a benchmark's own metric needs (e.g. BBQ's biased answer)
        frame[column] = raw[column].values
    frame["label"] = _labels(task, raw, label_col, frame["choices"], source)
    for attr in task.sensitive:
        col = raw[attr.column]
        if col.isna().any():
            raise AssayError(f"task '{task.name}': sensitive attribute '{attr.column}' has {int(col.isna().sum())} "
                             "empty values", "fill them (e.g. 'unknown') or drop those rows")
        if attr.bins:
            frame[f"{attr.column}_raw"] = pd.to_numeric(col, errors="coerce").values
            frame[attr.column] = _bin(col, attr.bins, attr.labels, task.name, attr.column).values
        else:
            frame[attr.column] = col.astype(str).values
    cluster_col = task.cluster or fields.get("cluster")
    if cluster_col:  # samples sharing a context/template: the units of every interval (audits/stats)
        _require_columns(raw, [cluster_col], "cluster", task.name, source)
        if raw[cluster_col].isna().any():
            raise AssayError(f"task '{task.name}': cluster column '{cluster_col}' has {int(raw[cluster_col].isna().sum())} "
                             "empty values", "fill them (e.g. one id per row) or drop those rows")
        frame["cluster"] = raw[cluster_col].astype(str).values
    if task.context:  # the source text answers are checked against (audits/scanners/groundedness.py)
        _require_columns(raw, [task.context], "context", task.name, source)
        frame["context"] = _contexts(raw[task.context], ids, task, source)
    add_feedback(frame, raw, task, source)  # production logs: user feedback (audits/datasets/feedback.py)
    if task.positive is not None:
        offered = set(x for cs in frame["choices"] for x in cs) if task.type == "choice" else set()
        if task.type == "choice" and task.positive not in offered:
            raise AssayError(f"task '{task.name}': positive choice '{task.positive}' is not among the choices "
                             f"{sorted(offered)}", "set 'positive' to one of the choices")
    return TaskData(task=task, frame=frame, source=source, sha256=digest, n_source=n_source, n_skipped=n_skipped,
                    strata=_strata(task, raw, frame), source_columns=tuple(map(str, raw.columns)),
                    log_skipped=log_skipped, out_of_order=n_out_of_order, n_read=n_read, n_filtered=n_filtered)


def _same_file(a: Path, b: str | Path) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def _log_rules(raw: pd.DataFrame, where: str) -> tuple[pd.DataFrame, dict[str, int], int]:
    """A raw log read as a task's data, by ``assay logs import``'s rules (audits/datasets/production_log.py):
    rows whose input or output is absent, null or blank are skipped (their count, by reason); rows logged after a
    later one are counted (the rows keep the log's order: each sample is scored on its own); an unreadable
    timestamp is the same one-line error."""
    skipped: dict[str, int] = {}
    output = next((c for c in FLAT_OUTPUT_COLUMNS if c in raw.columns), None)
    for column, why in (("input", "no input"), (output, "no output")):
        if column is not None and column in raw.columns:
            blank = raw[column].map(blank_text).to_numpy(dtype=bool)
            if blank.any():
                skipped[why] = int(blank.sum())
                raw = raw[~blank]
    n_late = out_of_order(read_timestamps(raw["timestamp"], where)) if "timestamp" in raw.columns else 0
    return raw, skipped, n_late


def _strata(task: TaskConfig, raw: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The stratify columns of ``task.sample`` the samples frame lacks, read from the rows the frame was
    built from (the sampler draws by them; they never reach ``samples.parquet``)."""
    wanted = [c for c in (task.sample.stratify if task.sample else []) if c not in frame.columns and c in raw.columns]
    return raw[wanted].reset_index(drop=True) if wanted else None


def _contexts(values: pd.Series, ids: pd.Series, task: TaskConfig, source: str) -> list[str | None]:
    """The task's context column as text (None where absent: a 'not scorable' verdict). A value that is not a
    string (a number, true/false, a list of passages, a mapping) is an AssayError naming the first: its text
    form ('30', "['a', 'b']") was checked as if it were the source text."""
    kinds = {bool: "true/false", np.bool_: "true/false", int: "a number", float: "a number", list: "a list",
             tuple: "a list", np.ndarray: "a list", dict: "a mapping"}
    bad = [(sid, v) for sid, v in zip(ids, values) if not _is_missing(v) and not isinstance(v, str)]
    if bad:
        sid, value = bad[0]
        kind = next((k for t, k in kinds.items() if isinstance(value, t)),
                    "a number" if isinstance(value, np.number) else type(value).__name__)
        shown = repr(value.tolist() if isinstance(value, np.ndarray) else value)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        raise AssayError(f"task '{task.name}': context column '{task.context}' of {source} holds {len(bad)} value(s) "
                         f"that are not text (e.g. sample {sid}: {shown}, {kind})",
                         "give each row its source text as one string (join a list of passages), or point "
                         "context at the column that holds it")
    return [None if _is_missing(v) else v for v in values]


def _is_missing(value: object) -> bool:
    """Absent from the row (NaN in its column), null, or NaN: the template would print 'nan' or 'None'."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _rows_with_prompt_fields(task: TaskConfig, raw: pd.DataFrame, fields: list[str],
                             source: str) -> tuple[pd.DataFrame, int]:
    """The rows (of those the run uses) that have a value for every prompt field, and how many were
    skipped; a missing value is an AssayError unless the task sets ``on_missing: skip``. Kept rows
    keep their index, so sample ids by row number stay the source's."""
    if not fields:
        return raw, 0
    gaps = {f: raw[f].map(_is_missing).to_numpy(dtype=bool) for f in dict.fromkeys(fields)}
    missing = np.logical_or.reduce(list(gaps.values()))
    if not missing.any():
        return raw, 0
    counts = ", ".join(f"'{f}' in {int(m.sum())}" for f, m in gaps.items() if m.any())
    what = f"task '{task.name}': {int(missing.sum())} of {len(raw)} rows of {source} have no value for a field the " \
           f"prompt needs ({counts}; absent, null or NaN)"
    if task.on_missing == "error":
        raise AssayError(what, "fill or drop those rows, or set on_missing: skip in the task to leave them out "
                         "(the count is recorded)")
    if missing.all():
        raise AssayError(what + ", so on_missing: skip leaves none", "fill those fields or point the task at other data")
    return raw[~missing], int(missing.sum())


def _choices(task: TaskConfig, raw: pd.DataFrame, choice_cols: list[str] | None) -> list:
    if task.type != "choice":
        return [None] * len(raw)
    if choice_cols:
        return [[str(r[c]) for c in choice_cols] for r in raw[choice_cols].to_dict("records")]
    return [list(task.choices or [])] * len(raw)


def _labels(task: TaskConfig, raw: pd.DataFrame, label_col: str | None, choices: pd.Series, source: str) -> list:
    if not label_col:
        return [None] * len(raw)
    labels: list = []
    for value, offered in zip(raw[label_col].tolist(), choices):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            labels.append(None)
        elif task.type == "choice" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if not 0 <= int(value) < len(offered):
                raise AssayError(f"task '{task.name}': label index {value} is out of range for {len(offered)} choices",
                                 "labels must be a choice's text or its 0-based index")
            labels.append(offered[int(value)])
        else:
            text = str(value)
            if task.type == "choice" and text not in offered:
                raise AssayError(f"task '{task.name}': label '{text}' in {source} is not one of the choices {offered}",
                                 "make labels match the choices exactly (or use 0-based indices)")
            labels.append(text)
    return labels

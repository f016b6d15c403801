"""The ``predictions`` backend: outputs made elsewhere (a vendor model, another pipeline).

``model.path`` is a JSONL, CSV or Parquet file with columns ``sample_id`` and ``prediction``
and, optionally, ``task`` to tell apart ids that repeat across tasks (rows with an empty task
answer that id in every task). ``generate`` looks each request up by (task, sample_id).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audits.backends._files import sha256_file
from audits.backends.base import BACKENDS, Backend, Request
from audits.errors import AssayError
from audits.jsontypes import JsonObject

_READERS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@BACKENDS.register("predictions")
class PredictionsBackend(Backend):
    """Answers every request from a file of predictions."""

    name = "predictions"
    capabilities = frozenset({"generate"})

    def __init__(self, config):
        super().__init__(config)
        self.path = Path(config.path).expanduser()
        frame = read_predictions(self.path)
        self.rows = len(frame)
        self.sha256 = sha256_file(self.path)
        self._by_task: dict[tuple[str, str], str] = {}
        self._any_task: dict[str, str] = {}
        has_task = "task" in frame.columns
        dupes: list[str] = []
        _refuse_structured(frame, self.path)
        for row in frame.itertuples(index=False):
            sample_id, prediction = str(row.sample_id), row.prediction
            if prediction is None or prediction != prediction:  # null / NaN: no answer given
                continue
            task = str(row.task) if has_task and row.task is not None and row.task == row.task else ""
            target, key = (self._by_task, (task, sample_id)) if task else (self._any_task, sample_id)
            if key in target:
                dupes.append(f"{task}/{sample_id}" if task else sample_id)
            target[key] = str(prediction)
        if dupes:
            fix = "keep one row per id" + ("" if has_task else ", or add a 'task' column to tell tasks apart")
            raise AssayError(f"{self.path}: {len(dupes)} duplicate sample_id(s), e.g. {dupes[:3]}", fix)

    def generate(self, requests: list[Request], *, desc: str = "generate") -> list[str]:
        out: list[str] = []
        missing: list[str] = []
        for req in requests:
            value = self._by_task.get((req.task, req.sample_id), self._any_task.get(req.sample_id))
            if value is None:
                missing.append(f"{req.task}/{req.sample_id}" if req.task else req.sample_id)
            out.append(value or "")
        if missing:
            raise AssayError(f"{self.path} has no prediction for {len(missing)} of {len(requests)} samples "
                             f"(first: {', '.join(missing[:5])})",
                             "add rows with these sample_id values (and task, if ids repeat across tasks), "
                             "or limit the task to the samples that were predicted")
        return out

    def identity(self) -> JsonObject:
        return {"backend": "predictions", "model": str(self.path), "file_sha256": self.sha256, "rows": self.rows}


def read_predictions(path: Path):
    """Read a predictions file into a DataFrame with at least ``sample_id`` and ``prediction``."""
    import pandas as pd

    from audits.datasets._text_files import bad_json_line, refuse_other_delimiter

    if not path.is_file():
        raise AssayError(f"predictions file '{path}' does not exist",
                         "set model.path to a JSONL, CSV or Parquet file with columns sample_id and prediction")
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise AssayError(f"predictions file '{path}' has an unknown extension '{path.suffix}'",
                         "use .jsonl, .csv or .parquet")
    try:
        if kind == "jsonl":  # encoding="utf-8-sig": a UTF-8 byte-order mark (Excel, Notepad) is dropped
            frame = pd.read_json(path, lines=True, dtype={"sample_id": str, "task": str, "prediction": object},
                                 encoding="utf-8-sig")  # object: a list or mapping stays one, to be refused
        elif kind == "csv":  # keep empty cells as "" (an empty answer), not NaN
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            refuse_other_delimiter(frame, f"predictions file '{path}'")
        else:
            frame = pd.read_parquet(path)
    except UnicodeDecodeError:  # before ValueError (its base): name the lines, as `assay logs import` does
        raise _encoding_error(path) from None
    except (ValueError, TypeError, OSError) as err:  # TypeError: a JSONL line that is a list
        bad = bad_json_line(path.read_bytes().decode("utf-8-sig")) if kind == "jsonl" else None
        if bad is not None:
            raise AssayError(f"predictions file '{path}': line {bad[0]} {bad[1]}",
                             "write one JSON object per line (fix or remove that line)") from None
        raise AssayError(f"cannot read predictions file '{path}': {str(err).splitlines()[0]}",
                         f"check that it is valid {kind}") from None
    for alias, name in (("id", "sample_id"), ("output", "prediction")):  # a flat production log (docs/production-logs.md)
        if name not in frame.columns and alias in frame.columns:
            frame = frame.rename(columns={alias: name})
    missing = [c for c in ("sample_id", "prediction") if c not in frame.columns]
    if missing:
        raise AssayError(f"predictions file '{path}' lacks column(s) {missing}; it has {list(frame.columns)}",
                         "rename the columns to sample_id and prediction (task is optional)")
    return frame


def _refuse_structured(frame, path: Path) -> None:
    """AssayError when a prediction is a list or a mapping: its text form ("['a', 'b']") was scored as the
    model's answer. A number or true/false is read as its text ('7', 'True'), as a CSV cell would be."""
    import numpy as np

    bad = [(sid, v) for sid, v in zip(frame["sample_id"], frame["prediction"])
           if isinstance(v, (list, dict, np.ndarray))]
    if bad:
        sid, value = bad[0]
        kind = "a mapping" if isinstance(value, dict) else "a list"
        raise AssayError(f"predictions file '{path}': {len(bad)} prediction(s) are not text (e.g. sample_id {sid}: "
                         f"{kind})", "write each answer as one string (the model's output text)")


def _encoding_error(path: Path) -> AssayError:
    """The one-line error for a predictions file that is not (wholly) UTF-8."""
    from audits.datasets._log_formats import mixed_encodings, utf8_lines

    lines, bad = utf8_lines(path.read_bytes())
    if bad and lines:
        return mixed_encodings(f"predictions file '{path}'", bad, len(lines) + len(bad))
    return AssayError(f"predictions file '{path}' is not UTF-8 text",
                      "re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8")

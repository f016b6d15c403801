"""What is wrong with a JSONL or CSV file pandas could not read as meant, said by line or by delimiter
(the dataset loader and the predictions backend name it in their one-line errors)."""

from __future__ import annotations

import json

import pandas as pd

from audits.errors import AssayError

_DELIMITERS = (";", "\t", "|")


def bad_json_line(text: str) -> tuple[int, str] | None:
    """The first non-blank line of JSONL ``text`` that is not a JSON object, as (1-based number, why);
    None when every line is one."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            return number, f"is not JSON ({err.msg})"
        if not isinstance(value, dict):
            return number, f"is a JSON {type(value).__name__}, not an object"
    return None


def other_delimiter(frame: pd.DataFrame) -> str | None:
    """The delimiter a CSV read with commas as one column was really separated by (';', tab or '|'), or None."""
    if len(frame.columns) != 1:
        return None
    header = str(frame.columns[0])
    return next((d for d in _DELIMITERS if d in header), None)


def delimiter_name(delimiter: str) -> str:
    return {"\t": "tabs"}.get(delimiter, f"'{delimiter}'")


def refuse_other_delimiter(frame: pd.DataFrame, subject: str) -> None:
    """AssayError when ``frame`` (a CSV read with commas) is one column of a file separated by ';', tabs or
    '|': say so, not that a named column is missing. ``subject`` names the file ("log F", "task 't': F")."""
    delimiter = other_delimiter(frame)
    if delimiter is not None:
        raise AssayError(f"{subject} is separated by {delimiter_name(delimiter)}, not commas (read as one column "
                         f"{str(frame.columns[0])[:60]!r})", "re-save it comma-separated (CSV UTF-8), or as .jsonl")

"""Raw text at rest, sealed under the run's key (re-exported by :mod:`audits.trust.rawstore`).

A run that keeps raw text (the PII scanner's ``store_raw: true``) writes the cells redaction changed to the
bundle file ``raw.enc``: Parquet encrypted with AES-256-GCM under a key made for the run and kept outside the
bundle (:mod:`audits.trust.keys`), the run id as associated data. A note's raw text is sealed the same way.
Erasing the key leaves both unreadable while every bundle hash still verifies.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import pandas as pd
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audits.errors import AssayError
from audits.trust import keys

RAW_FILE = "raw.enc"
_MAGIC = b"assay-raw/1\n"
_NOTE_MAGIC = b"assay-note/1\n"


def seal_text(run_id: str, text: str) -> bytes | None:
    """``text`` encrypted under the run's raw-text key, or None when the run has no key (it kept no
    raw text, or its key was erased): a note's raw text is then not kept at all."""
    key = keys.run_key(run_id)
    if key is None:
        return None
    nonce = secrets.token_bytes(12)
    return _NOTE_MAGIC + nonce + AESGCM(key).encrypt(nonce, text.encode("utf-8"), run_id.encode())


def open_text(run_id: str, blob: bytes) -> str | None:
    """A sealed text back, or None when the run's key was erased."""
    key = keys.run_key(run_id)
    if key is None:
        return None
    if not blob.startswith(_NOTE_MAGIC):
        raise AssayError(f"a sealed note of run {run_id} is not an Assay sealed text", "run `assay verify`")
    body = blob[len(_NOTE_MAGIC):]
    try:
        return AESGCM(key).decrypt(body[:12], body[12:], run_id.encode()).decode("utf-8")
    except InvalidTag:
        raise AssayError(f"a sealed note of run {run_id} does not decrypt with its key",
                         "run `assay verify`; the key or the note was replaced") from None


def encrypt_cells(run_id: str, frame: pd.DataFrame) -> bytes:
    """``frame`` (the raw cells: table, row, column, value) as Parquet, sealed under a new key for the run."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    nonce = secrets.token_bytes(12)
    return _MAGIC + nonce + AESGCM(keys.new_run_key(run_id)).encrypt(nonce, buf.getvalue(), run_id.encode())


def read_raw(bundle: Any, run_id: str) -> pd.DataFrame | None:
    """The run's raw cells (table, row, column, value), or None when none were kept or the key was erased."""
    path = bundle / RAW_FILE
    if not path.exists():
        return None
    key = keys.run_key(run_id)
    if key is None:
        return None
    data = path.read_bytes()
    if not data.startswith(_MAGIC):
        raise AssayError(f"{path} is not an Assay raw-text file", "run `assay verify`")
    body = data[len(_MAGIC):]
    try:
        plain = AESGCM(key).decrypt(body[:12], body[12:], run_id.encode())
    except InvalidTag:
        raise AssayError(f"the raw text of run {run_id} does not decrypt with its key",
                         "run `assay verify`; the key or the file was replaced") from None
    return pd.read_parquet(io.BytesIO(plain))


def with_raw(frame: pd.DataFrame, raw: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """``frame`` (a whole bundle table, in bundle order) with raw cells put back: samples get
    ``raw_<column>`` columns, findings get their ``value``."""
    if raw is None or frame.empty:
        return frame
    part = raw[raw["table"] == table]
    out = frame.copy()
    for col, cells in part.groupby("column"):
        target = "value" if table == "findings" and col == "value" else f"raw_{col}"
        if target not in out.columns:
            out[target] = out[col] if col in out.columns and target != "value" else None
        values = out[target].astype(object).tolist()
        for row, value in zip(cells["row"], cells["value"]):
            if row < len(values):
                values[row] = value
        out[target] = values
    return out

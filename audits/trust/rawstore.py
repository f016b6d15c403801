"""Evidence at rest: redacted tables in the bundle, raw text (only if kept) encrypted per run.

``protect(run_id, tables, scanners)`` runs just before a bundle is written, after every metric:
free-text cells of the samples, findings and counterfactuals tables become redacted text (the
detector runs by default, with the run's PII settings when it has any); explanation tokens are
redacted on each sample's joined tokens (``redact.redact_tokens``), so no token, and no join of
tokens, holds a piece of a value. With the PII scanner's ``store_raw: true`` the raw cells are also
kept, encrypted per run in the bundle file ``raw.enc``; ``erase`` destroys the key: the raw text is
gone while every hash in the bundle still verifies.

This module is the one import path; the code lives by seam:

- :mod:`audits.trust._raw_encryption`: ``raw.enc`` and sealed notes (:func:`read_raw`, :func:`with_raw`,
  :func:`seal_text`, :func:`open_text`);
- :mod:`audits.trust._id_pseudonyms`: ids holding personal data pseudonymised (:func:`pseudonymise_sample_ids`,
  :func:`pseudonymise_ids`, :func:`raw_personal_ids`);
- :mod:`audits.trust._older_bundles`: the redaction scheme a bundle records (:data:`SCHEME`) and what
  `assay verify` names and `assay erase` migrates in older bundles (:func:`scheme_notes`, :func:`raw_id_files`);
- here: the tables redacted for a bundle (:func:`protect`, :func:`redact_explanations`).
"""

from __future__ import annotations

import pandas as pd

from audits.config import ScannerOptions
from audits.jsontypes import JsonObject
from audits.store.manifest import PersonalData
from audits.trust._id_pseudonyms import (ID_COLUMNS, ID_MIN_SPAN, pseudonymise_ids, pseudonymise_sample_ids,
                                         raw_personal_ids, sample_id_pseudonym)
from audits.trust._older_bundles import (ID_TABLES, JOINED_SCHEME, SCHEME, WHOLE_WORD_SCHEME, raw_id_files,
                                         raw_id_notes, scheme_notes)
from audits.trust._raw_encryption import RAW_FILE, encrypt_cells, open_text, read_raw, seal_text, with_raw
from audits.trust.redact import Redactor, is_text_column, redact_frame

__all__ = ["ID_COLUMNS", "ID_MIN_SPAN", "ID_TABLES", "JOINED_SCHEME", "PROTECTED_TABLES", "RAW_FILE", "SCHEME",
           "TEXT_COLUMNS", "WHOLE_WORD_SCHEME", "ScannerSettings", "open_text", "pii_options", "protect",
           "pseudonymise_ids", "pseudonymise_sample_ids", "raw_id_files", "raw_id_notes", "raw_personal_ids",
           "read_raw", "redact_explanations", "sample_id_pseudonym", "scheme_notes", "seal_text", "store_raw",
           "with_raw"]

# Free-text columns redacted at rest, per table (attribute columns such as `gender` are left alone:
# groups must stay readable). Explanation tokens are redacted per sample, on their joined text.
TEXT_COLUMNS = {"samples": ("input", "prediction", "reference", "context", "feedback_text", "feedback_raw"), "findings": ("context", "value"),
                "counterfactuals": ("prompt", "output"), "explanations": ("token",)}
PROTECTED_TABLES = tuple(TEXT_COLUMNS)
# scanners.<name> options: typed (a prepared config) or as written (a bundle's config.yaml)
ScannerSettings = dict[str, "ScannerOptions | JsonObject"]


def store_raw(scanners: ScannerSettings | None) -> bool:
    pii = (scanners or {}).get("pii") or {}
    return bool(pii.get("store_raw", False)) if isinstance(pii, dict) else bool(getattr(pii, "store_raw", False))


def pii_options(scanners: ScannerSettings | None) -> JsonObject | None:
    """The run's ``scanners.pii`` options as a dict (None when the run has none, or they cannot be read:
    a failing run's error is then redacted with the detector's defaults)."""
    try:
        return _pii_options(scanners)
    except Exception:  # called while a run fails: never mask its error
        return None


def _pii_options(scanners: ScannerSettings | None) -> JsonObject | None:
    if not scanners or "pii" not in scanners:
        return None
    pii = scanners["pii"]
    return dict(pii) if isinstance(pii, dict) else pii.model_dump()


def protect(run_id: str, tables: dict[str, pd.DataFrame], scanners: ScannerSettings | None,
            datasets: dict[str, dict] | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], PersonalData]:
    """(redacted tables, extra bundle files, a summary for the manifest). ``datasets``: the manifest's
    task -> {"source"}; tasks on a built-in dataset without personal data keep input and reference.
    Detector spans the run's PII scan already found are reused, not found again (``_pii_spans``)."""
    from audits.datasets.builtin import public_tasks
    from audits.scanners import _pii_spans

    try:
        return _protect(run_id, tables, scanners, public_tasks(datasets or {}))
    finally:
        _pii_spans.clear()  # the PII scan's spans served this run's redaction; none outlive it


def _protect(run_id: str, tables: dict[str, pd.DataFrame], scanners: ScannerSettings | None,
             public: set[str]) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], PersonalData]:
    from audits.trust.redact import redact_samples

    options = _pii_options(scanners)
    redactor = Redactor(options)
    extra_fields = tuple(f for f in ((options or {}).get("fields") or ()) if isinstance(f, str))
    keep = store_raw(scanners)
    out = dict(tables)
    raw_parts: list[pd.DataFrame] = []
    for name in PROTECTED_TABLES:
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        columns = TEXT_COLUMNS[name] + (extra_fields if name == "samples" else ())
        if name == "explanations":
            frame = frame.reset_index(drop=True)
            clean = redact_explanations(frame, redactor)
        elif name == "samples":
            clean = pseudonymise_ids(redact_samples(frame, redactor, columns, public), redactor, frame)
        else:
            clean = redact_frame(frame, redactor, columns)
        if name == "findings" and "value" in clean.columns:
            clean["value"] = None  # the raw value lives only in raw.enc (when kept at all)
        out[name] = clean
        if keep:
            for col in columns + ((ID_COLUMNS) if name == "samples" else ()):
                if col not in frame.columns or not is_text_column(frame[col]):
                    continue
                changed = [i for i, (a, b) in enumerate(zip(frame[col].tolist(), clean[col].tolist()))
                           if isinstance(a, str) and a != b]
                if changed:
                    raw_parts.append(pd.DataFrame({"table": name, "row": changed, "column": col,
                                                   "value": [frame[col].iloc[i] for i in changed]}))
    out, changed_ids = pseudonymise_sample_ids(out, tables.get("samples"), redactor, public)
    samples = tables.get("samples")
    if keep and changed_ids and samples is not None:  # the raw ids, for an admin with the run's key
        rows = [i for i, v in enumerate(samples["sample_id"].tolist()) if isinstance(v, str) and v in changed_ids]
        raw_parts.append(pd.DataFrame({"table": "samples", "row": rows, "column": "sample_id",
                                       "value": [samples["sample_id"].iloc[i] for i in rows]}))
    files: dict[str, bytes] = {}
    if keep and raw_parts:
        files[RAW_FILE] = encrypt_cells(run_id, pd.concat(raw_parts, ignore_index=True))
    summary = PersonalData(redacted=True, scheme=SCHEME, detector=redactor.settings is not None,
                           redactions=redactor.redactions, raw_kept=RAW_FILE in files, pseudonyms="per item",
                           kept_public=sorted(public))
    if redactor.reused:  # texts whose detector spans came from the run's PII scan (not analysed twice)
        summary.spans_from_scan = redactor.reused
    if changed_ids:  # every table's sample_id, the review queue's and so the catalog's rows and the log's targets
        summary.ids_with_personal_data = {"sample_id": len(changed_ids), "note": "sample ids holding personal data "
                                          "are pseudonymised in every table (`<EMAIL_ADDRESS> #<keyed hash>`): the "
                                          "same id gets the same pseudonym in every run of this installation"}
    if redactor.long_texts:
        summary.long_texts = {"n": redactor.long_texts, "note": "scanned in overlapping windows"}
    return out, files, summary


def redact_explanations(frame: pd.DataFrame, redactor: Redactor) -> pd.DataFrame:
    """``frame`` (an explanations table) with each sample's tokens redacted on their joined text,
    in ``position`` order; row order and every other column unchanged."""
    out = frame.copy()
    if "token" not in out.columns:
        return out
    keys = [c for c in ("task", "sample_id") if c in out.columns]
    order = out.sort_values([*keys, "position"] if "position" in out.columns else keys, kind="stable")
    groups = [list(idx) for _, idx in order.groupby(keys, sort=False).groups.items()] if keys else [list(order.index)]
    tokens = out["token"].astype(object).tolist()
    texts = [["" if not isinstance(tokens[i], str) else tokens[i] for i in idx] for idx in groups]
    values = list(tokens)
    for idx, clean in zip(groups, redactor.tokens(texts)):
        for i, token in zip(idx, clean):
            if isinstance(values[i], str):
                values[i] = token
    out["token"] = pd.Series(values, index=out.index, dtype=object)
    return out

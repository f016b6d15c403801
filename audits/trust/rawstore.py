"""Evidence at rest: redacted tables in the bundle, raw text (only if kept) encrypted per run.

``protect(run_id, tables, scanners)`` runs just before a bundle is written, after every metric:
free-text cells of the samples, findings and counterfactuals tables become redacted text (the
detector runs by default, with the run's PII settings when it has any); explanation tokens are
redacted on each sample's joined tokens (``redact.redact_tokens``), so no token, and no join of
tokens, holds a piece of a value. The manifest's ``personal_data.scheme`` says which redaction a
bundle had: bundles without it (scheme 1) redacted explanation tokens one by one with patterns
only; ``assay erase`` drops their ``explanations.parquet``; scheme 2 bundles predate the whole-word rule
for public tasks (3). `assay verify` names older bundles (:func:`scheme_notes`). With the PII scanner's ``store_raw: true`` the raw cells are also kept, encrypted
with AES-256-GCM under a key made for this run and stored outside the bundle
(``audits.trust.keys``), in the bundle file ``raw.enc``. ``erase`` destroys the key: the raw text
is gone while every hash in the bundle still verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from collections import Counter
from typing import Any

import pandas as pd
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audits.config import ScannerOptions
from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.store.manifest import PersonalData
from audits.trust import keys
from audits.trust.redact import Redactor, is_text_column, redact_frame

RAW_FILE = "raw.enc"
# Free-text columns redacted at rest, per table (attribute columns such as `gender` are left alone:
# groups must stay readable). Explanation tokens are redacted per sample, on their joined text.
TEXT_COLUMNS = {"samples": ("input", "prediction", "reference", "context", "feedback_text", "feedback_raw"), "findings": ("context", "value"),
                "counterfactuals": ("prompt", "output"), "explanations": ("token",)}
PROTECTED_TABLES = tuple(TEXT_COLUMNS)
# samples columns that identify rather than say something: pseudonymised when they hold personal data
ID_COLUMNS = ("cluster",)
_MAGIC = b"assay-raw/1\n"
# The redaction scheme a bundle records (manifest ``personal_data.scheme``); `assay verify` names older bundles
# that may still hold personal data, and `assay erase` migrates them (audits.commands.erase).
JOINED_SCHEME = 2  # explanation tokens redacted on their joined text, with the detector (1: one by one, patterns)
WHOLE_WORD_SCHEME = 3  # public-task predictions keep a value only where it stands in the public text (stands_in)
SCHEME = WHOLE_WORD_SCHEME
_BEFORE = {JOINED_SCHEME: "explanation tokens redacted one by one with patterns only (joined, they give names "
                          "and addresses back)",
           WHOLE_WORD_SCHEME: "a public task's predictions kept values that were only a piece of the public text "
                              "(the tail of an e-mail in the prompt)"}
# scanners.<name> options: typed (a prepared config) or as written (a bundle's config.yaml)
ScannerSettings = dict[str, "ScannerOptions | JsonObject"]
_NOTE_MAGIC = b"assay-note/1\n"


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
        files[RAW_FILE] = _encrypt(run_id, pd.concat(raw_parts, ignore_index=True))
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


def sample_id_pseudonym(raw_id: str, redacted: str, digits: int = 12) -> str:
    """``redacted #<tag>``: the tag an HMAC-SHA256 of the raw id under this installation's pseudonym key,
    so one id maps to one pseudonym in every table and every run, and a guessed id cannot be tested."""
    tag = hmac.new(keys.pseudonym_key(), raw_id.encode("utf-8"), hashlib.sha256).hexdigest()[:digits]
    return f"{redacted} #{tag}"


ID_MIN_SPAN = 3  # shorter detector hits in an id are noise: spaCy reads the ids "s5", "s6" and "US" as places


# an id that is a number, or a few letters and numbers ("s12", "q-17", "row_3:2"): no name or address fits in
# it, so only the patterns (e-mail, phone, card, IBAN, ...) look at it, not the NER model (a log's 100k ids)
_PLAIN_ID = re.compile(r"[A-Za-z]{0,3}[-_#:.]?\d+(?:[-_#:.]\d+)*")


def _ids_holding_personal_data(ids: list[str], redactor: Redactor) -> dict[str, str]:
    """{id: its redacted text} for the ids in which the detector (the patterns alone for a plain id) finds a
    value of ID_MIN_SPAN or more characters."""
    from audits.scanners.pii import redact
    from audits.trust.redact import pattern_spans

    worded = [v for v in ids if len(v) >= ID_MIN_SPAN and not _PLAIN_ID.fullmatch(v)]
    found = dict(zip(worded, redactor.spans(worded)))
    out = {}
    for value in ids:
        spans = found[value] if value in found else pattern_spans(value)
        spans = [s for s in spans if s[1] - s[0] >= ID_MIN_SPAN]
        if spans:
            out[value] = redact(value, spans)[0]
    return out


_PSEUDONYM = re.compile(r"<[A-Z_]+> #[0-9a-f]{12,64}")
ID_TABLES = ("samples", "findings", "explanations", "counterfactuals", "review_queue")  # tables keyed by sample_id


def raw_personal_ids(ids: list[str], redactor: Redactor | None = None) -> list[str]:
    """The ids that still hold personal data as stored (bundles written before sample ids were pseudonymised
    kept them raw): by the detector, or with no ``redactor`` by the patterns alone (e-mail, phone, card, IBAN:
    cheap enough for `assay verify`). A pseudonym (``<EMAIL_ADDRESS> #<tag>``) is not raw."""
    from audits.trust.redact import pattern_spans

    ids = list(dict.fromkeys(v for v in ids if isinstance(v, str) and v and not _PSEUDONYM.fullmatch(v)))
    if redactor is not None:
        return list(_ids_holding_personal_data(ids, redactor))
    return [v for v in ids if any(e - b >= ID_MIN_SPAN for b, e, _ in pattern_spans(v))]


def raw_id_files(cat: Any, run_id: str, manifest: Any, redactor: Redactor | None = None) -> dict[str, str]:
    """{file: the SHA-256 its manifest recorded} of a run's bundle tables whose ``sample_id`` still holds
    personal data as written (bundles from before sample ids were pseudonymised; rows of a public built-in
    task aside): what `assay erase` drops (a signed migration) and `assay verify` names (``redactor`` None:
    the patterns alone)."""
    from audits.store import bundle_reader

    public = set(manifest.personal_data.kept_public or [])
    out: dict[str, str] = {}
    for table in ID_TABLES:
        name = f"{table}.parquet"
        if name not in manifest.files:
            continue
        frame = bundle_reader.read_table(cat, run_id, table, columns=["task", "sample_id"])
        if "sample_id" not in frame.columns or frame.empty:
            continue
        rows = ~frame["task"].astype(str).isin(public) if "task" in frame.columns else slice(None)
        if raw_personal_ids(frame.loc[rows, "sample_id"].tolist(), redactor):
            out[name] = manifest.files[name]
    return out


def raw_id_notes(cat: Any, run_ids: list[str]) -> list[str]:
    """`assay verify`'s note per complete run whose bundle still keeps sample ids holding personal data as
    written (the patterns alone), naming the files and the migration that drops them."""
    from audits.store import bundle_reader

    notes = []
    for run_id in run_ids:
        try:
            files = raw_id_files(cat, run_id, bundle_reader.manifest(cat, run_id))
        except Exception:  # noqa: BLE001 - a missing, malformed or unreadable bundle is already a verify problem
            continue
        if files:
            notes.append(f"run {run_id}: {', '.join(sorted(files))} keep sample ids holding personal data as written "
                         f"(before ids were pseudonymised); `assay erase {run_id} --reason TEXT` drops those files "
                         "(logged; their hashes still verify)")
    return notes


def scheme_notes(cat: Any, run_ids: list[str], erased: set[str]) -> list[str]:
    """`assay verify`'s finding (a note, not a forgery) per complete run whose bundle was redacted with an
    older scheme than :data:`SCHEME` and may still hold personal data, naming what that scheme missed and the
    migration: `assay erase` re-checks it with today's redaction and drops what still holds some. Runs in
    ``erased`` (a logged erase already migrated them) are not named; nor is a scheme-2 bundle without a public
    task (the whole-word rule only changes public tasks' predictions)."""
    from audits.store import bundle_reader

    notes = []
    for run_id in run_ids:
        if run_id in erased:
            continue
        try:
            manifest = bundle_reader.manifest(cat, run_id)
        except Exception:  # noqa: BLE001 - a missing, malformed or unreadable bundle is already a verify problem
            continue
        scheme = manifest.scheme
        missed = [why for version, why in sorted(_BEFORE.items()) if scheme < version
                  and (version != WHOLE_WORD_SCHEME or manifest.personal_data.kept_public)]
        if missed:
            notes.append(f"run {run_id}: bundle redacted with scheme {scheme} (today's is {SCHEME}): "
                         f"{'; '.join(missed)}; `assay erase {run_id} --reason TEXT` re-checks it and drops files "
                         "that still hold personal data (logged; their hashes still verify)")
    return notes


def pseudonymise_sample_ids(tables: dict[str, pd.DataFrame], samples: pd.DataFrame | None, redactor: Redactor,
                            public: set[str]) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """(``tables`` with every ``sample_id`` in which the detector finds personal data replaced by its
    pseudonym, {raw id: pseudonym}). ``samples`` is the raw samples table (the ids of tasks on public
    built-in data are left alone); every table with a ``sample_id`` column gets the same mapping (rows of
    a public task excepted), so joins within the bundle, the review queue, paired comparisons between
    runs and resume keys (the raw ids, before this) all keep working. Ids with no personal data stay."""
    if samples is None or samples.empty or "sample_id" not in samples.columns:
        return tables, {}
    tasks = samples["task"].astype(str) if "task" in samples.columns else pd.Series("", index=samples.index)
    ids = samples["sample_id"][~tasks.isin(public)]
    distinct = list(dict.fromkeys(v for v in ids.tolist() if isinstance(v, str) and v))
    mapping = _ids_holding_personal_data(distinct, redactor)
    if not mapping:
        return tables, {}
    names = {v: sample_id_pseudonym(v, r) for v, r in mapping.items()}
    taken = Counter(names.values())
    taken.update(v for v in samples["sample_id"].tolist() if isinstance(v, str) and v not in names)
    for v, name in list(names.items()):  # a clash (of tags, or with an id as it stands): the full tag
        if taken[name] > 1:
            names[v] = sample_id_pseudonym(v, mapping[v], digits=64)
    out = dict(tables)
    for table, frame in tables.items():
        if frame is None or frame.empty or "sample_id" not in frame.columns:
            continue
        keep = (frame["task"].astype(str).isin(public) if "task" in frame.columns
                else pd.Series(False, index=frame.index))
        values = [v if k or not isinstance(v, str) else names.get(v, v)
                  for v, k in zip(frame["sample_id"].tolist(), keep.tolist())]
        frame = frame.copy()
        frame["sample_id"] = pd.Series(values, index=frame.index, dtype=object)
        out[table] = frame
    return out, names


def pseudonymise_ids(clean: pd.DataFrame, redactor: Redactor, raw: pd.DataFrame) -> pd.DataFrame:
    """``clean`` with each value of an id column (``cluster``: a production log's user or session id) in
    which the detector finds personal data replaced by its redacted text and a number per distinct value
    in its task (``<EMAIL_ADDRESS> #3``): clusters stay distinct, no e-mail or name stays at rest. Which
    ids hold personal data is decided as for sample ids (:func:`_ids_holding_personal_data`: a plain id
    such as ``s6`` is checked by the patterns only). The column is read only while the run computes its
    intervals, before this."""
    out = clean
    for col in ID_COLUMNS:
        if col not in raw.columns or not is_text_column(raw[col]):
            continue
        values = raw[col].astype(object).tolist()
        distinct = list(dict.fromkeys(v for v in values if isinstance(v, str) and v))
        redacted = _ids_holding_personal_data(distinct, redactor)
        tasks = raw["task"].astype(str).tolist() if "task" in raw.columns else [""] * len(raw)
        numbers: dict[tuple[str, str], int] = {}
        per_task: Counter[str] = Counter()   # distinct pseudonymised values numbered so far, per task
        new = []
        for task, v in zip(tasks, values):
            if isinstance(v, str) and v in redacted:
                if (task, v) not in numbers:
                    per_task[task] += 1
                    numbers[(task, v)] = per_task[task]
                new.append(f"{redacted[v]} #{numbers[(task, v)]}")
            else:
                new.append(v)
        out = out.copy() if out is clean else out
        out[col] = pd.Series(new, index=out.index, dtype=object)
    return out


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


def _encrypt(run_id: str, frame: pd.DataFrame) -> bytes:
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

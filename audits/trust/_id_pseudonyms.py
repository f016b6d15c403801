"""Identifiers that hold personal data, pseudonymised at rest (re-exported by :mod:`audits.trust.rawstore`).

A ``sample_id`` in which the detector finds a value becomes ``<ENTITY> #<keyed hash>`` in every table
(:func:`pseudonymise_sample_ids`), the same in every run of the installation; an id column such as
``cluster`` becomes ``<ENTITY> #<n>``, numbered per task (:func:`pseudonymise_ids`). A plain id (``s12``,
``row_3:2``) is checked by the patterns alone (:func:`raw_personal_ids` says which ids still hold some).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter

import pandas as pd

from audits.trust import keys
from audits.trust.redact import Redactor, is_text_column

# samples columns that identify rather than say something: pseudonymised when they hold personal data
ID_COLUMNS = ("cluster",)


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


def raw_personal_ids(ids: list[str], redactor: Redactor | None = None) -> list[str]:
    """The ids that still hold personal data as stored (bundles written before sample ids were pseudonymised
    kept them raw): by the detector, or with no ``redactor`` by the patterns alone (e-mail, phone, card, IBAN:
    cheap enough for `assay verify`). A pseudonym (``<EMAIL_ADDRESS> #<tag>``) is not raw."""
    from audits.trust.redact import pattern_spans

    ids = list(dict.fromkeys(v for v in ids if isinstance(v, str) and v and not _PSEUDONYM.fullmatch(v)))
    if redactor is not None:
        return list(_ids_holding_personal_data(ids, redactor))
    return [v for v in ids if any(e - b >= ID_MIN_SPAN for b, e, _ in pattern_spans(v))]


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

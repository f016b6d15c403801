"""PII scanner (presidio-analyzer on the bundled spaCy model, offline).

Finds PII in the configured fields, stores each finding as type, offsets, score, a redacted
context and a salted SHA-256 of the value (the raw value only with ``store_raw: true``, a GDPR
risk: the bundle then holds personal data). A **leak** is an entity in the ``prediction`` whose
value does not appear in the ``input``; numbers are compared as numbers (a phone number or card
written in another format, or a phone number with or without its country code, is the same value).

What the detector reports is set by a detection profile (``_pii_profile``; the packaged default is
``data/pii_profile.yaml``): per-entity thresholds, recognizers and the NER model. Its own precision and
recall per entity, measured with the same configuration on the held-out split of an independent
labelled set (``_pii_eval``), are reported beside the findings, and entities whose recall is below
the profile's target are flagged.

The detection itself (spaCy and the recognizers, the costly part: ~130 texts/s per core) is a
:class:`PiiDetect` row stage, run where the job's executor puts it (``ray``: Ray actors, one engine
each); offsets, redaction, leaks, hashes and rates are computed from its results on the driver.

Salt for value hashes: the env var named by ``salt_env`` (default ``ASSAY_PII_SALT``); when that
is unset, a random per-user salt kept in ``<cache dir>/pii_salt`` (created once, mode 0600).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections import Counter
from typing import Any, Mapping, NamedTuple, TypedDict

import numpy as np
import pandas as pd
import phonenumbers
from pydantic import Field

from audits.config import AuditConfig
from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.executors.base import RowStage
from audits.scanners import _pii_spans
from audits.scanners import _presidio as engine
from audits.scanners._pii_profile import default_profile, load_profile
from audits.scanners._pii_quality import cache_dir, detector_quality
from audits.scanners._pii_patterns import _EXT, _PHONE
from audits.scanners._scanmetric import ScanMean, publish, task_clusters
from audits.scanners.base import (SCANNERS, ScannerOptions, ScanOutput, Scanner, TaskContext, as_text,
                                  parse_scanner_options)

TEXT_FIELDS = ("input", "prediction", "reference")
DEFAULT_SALT_ENV = "ASSAY_PII_SALT"
CONTEXT_CHARS = 40
DIGIT_TYPES = {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_BANK_NUMBER", "US_ITIN"}
ALNUM_TYPES = {"IBAN_CODE", "US_PASSPORT", "CRYPTO"}
NAME_TYPES = {"PERSON", "LOCATION", "ORGANIZATION", "NRP"}
_ENTITY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class PiiOptions(ScannerOptions):
    """Options of ``scanners.pii``."""

    entities: list[str] | str = Field(default_factory=lambda: list(engine.DEFAULT_ENTITIES),
                                      description="entity types to find")
    fields: list[str] | str = Field(default_factory=lambda: list(TEXT_FIELDS), description="sample fields scanned")
    profile: str | None = Field(None, description="a detection profile YAML (default: data/pii_profile.yaml)")
    thresholds: dict[str, float] = Field(default_factory=dict, description="per-entity score thresholds")
    score_threshold: float | None = Field(None, ge=0.0, le=1.0,
                                          description="one threshold for every entity, instead of the profile's")
    store_raw: bool = Field(False, description="keep raw values in findings (a GDPR risk)")
    salt_env: str | None = Field(None, description="env var holding the value-hash salt")
    custom_recognizers: list[JsonObject] = Field(default_factory=list, description="{name, entity, regex, score}")
    deny_list: dict[str, list[str]] = Field(default_factory=dict, description="entity type -> words")
    batch_size: int = Field(64, ge=1, description="texts per spaCy batch")


DEFAULTS = PiiOptions().model_dump()


class PiiOutputs(NamedTuple):
    """The options that shape what the scan stores (the rest become the detector's ``PiiSettings``)."""

    fields: list[str]
    store_raw: bool
    salt_env: str | None
    profile: str  # the profile file, or "default"


def _err(key: str, problem: str, fix: str) -> AssayError:
    return AssayError(f"scanners.pii.{key}: {problem}", fix)


def parse_options(options: ScannerOptions | Mapping[str, object] | None,
                  source: str = "config") -> tuple[engine.PiiSettings, PiiOutputs]:
    """Check ``scanners.pii``; returns the detector settings and the rest (fields, store_raw, salt_env, profile)."""
    opts = parse_scanner_options("pii", PiiOptions, options, source)
    fields = [opts.fields] if isinstance(opts.fields, str) else opts.fields
    if not fields or any(f not in TEXT_FIELDS for f in fields):
        raise _err("fields", f"must be a non-empty list drawn from {list(TEXT_FIELDS)}, got {opts.fields!r}",
                   "set e.g. 'fields: [input, prediction]'")
    salt_env = opts.salt_env
    if salt_env is not None and not os.environ.get(salt_env):
        raise _err("salt_env", f"environment variable {salt_env!r} is not set or empty",
                   f"export {salt_env}=<a secret salt>, or remove 'salt_env' to use the per-user salt file")
    custom = _parse_custom(opts.custom_recognizers)
    deny = _parse_deny(opts.deny_list)
    entities = [opts.entities] if isinstance(opts.entities, str) else opts.entities
    extra = {c[1] for c in custom} | {d[0] for d in deny}
    supported = engine.supported_entities()
    bad = [e for e in entities if e not in supported and e not in extra]
    if bad:
        raise _err("entities", f"unknown entity type(s) {bad}",
                   f"use supported ones: {', '.join(supported)}; or add a custom_recognizers/deny_list entry for them")
    for entity, thr in opts.thresholds.items():
        if entity not in supported and entity not in extra:
            raise _err(f"thresholds.{entity}", "unknown entity type", f"use one of: {', '.join(supported)}")
        if not 0.0 <= thr <= 1.0:
            raise _err(f"thresholds.{entity}", f"must be a number in [0, 1], got {thr!r}", "set e.g. 0.5")
    profile = load_profile(opts.profile, set(supported) | extra) if opts.profile else default_profile()
    settings = engine.PiiSettings(entities=tuple(dict.fromkeys(entities)), score_threshold=opts.score_threshold,
                                  custom_recognizers=custom, deny_list=deny, batch_size=opts.batch_size,
                                  thresholds=tuple(sorted(opts.thresholds.items())), profile=profile)
    return settings, PiiOutputs(list(dict.fromkeys(fields)), opts.store_raw, salt_env, opts.profile or "default")


def _parse_custom(items: Any) -> tuple[tuple[str, str, str, float], ...]:
    if not isinstance(items, list):
        raise _err("custom_recognizers", "must be a list of {name, entity, regex, score}",
                   "e.g. [{name: employee_id, entity: EMPLOYEE_ID, regex: 'EMP-\\d{6}', score: 0.9}]")
    out = []
    for i, item in enumerate(items):
        key = f"custom_recognizers[{i}]"
        if not isinstance(item, dict) or set(item) - {"name", "entity", "regex", "score"} or not {"entity", "regex"} <= set(item):
            raise _err(key, f"must be a mapping with keys name, entity, regex, score; got {item!r}",
                       "e.g. {name: employee_id, entity: EMPLOYEE_ID, regex: 'EMP-\\d{6}', score: 0.9}")
        entity, regex = item["entity"], item["regex"]
        if not isinstance(entity, str) or not _ENTITY_NAME.match(entity):
            raise _err(f"{key}.entity", f"must be an UPPER_SNAKE_CASE type name, got {entity!r}", "e.g. EMPLOYEE_ID")
        problem = engine.compile_regex(regex) if isinstance(regex, str) and regex else "empty or not text"
        if problem:
            raise _err(f"{key}.regex", f"invalid regular expression {regex!r}: {problem}",
                       "fix the pattern (Python re syntax; quote it in YAML)")
        score = item.get("score", 0.85)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 < score <= 1.0:
            raise _err(f"{key}.score", f"must be a number in (0, 1], got {score!r}", "set e.g. 'score: 0.9'")
        name = str(item.get("name") or f"custom_{entity.lower()}")
        out.append((name, entity, regex, float(score)))
    return tuple(out)


def _parse_deny(mapping: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(mapping, dict):
        raise _err("deny_list", f"must map an entity type to a list of words, got {mapping!r}",
                   "e.g. deny_list: {PROJECT: [Bluebird, Nightjar]}")
    out = []
    for entity, words in mapping.items():
        if not isinstance(entity, str) or not _ENTITY_NAME.match(entity):
            raise _err("deny_list", f"key {entity!r} must be an UPPER_SNAKE_CASE entity type", "e.g. PROJECT")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise _err(f"deny_list.{entity}", "must be a non-empty list of words", f"e.g. deny_list: {{{entity}: [word1, word2]}}")
        out.append((entity, tuple(words)))
    return tuple(out)


def resolve_salt(salt_env: str | None) -> tuple[bytes, str]:
    """The hashing salt and a description of where it came from (never the salt itself)."""
    name = salt_env or DEFAULT_SALT_ENV
    if os.environ.get(name):
        return os.environ[name].encode(), f"env:{name}"
    path = cache_dir() / "pii_salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".pii_salt.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: the first process to create the salt wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip().encode(), f"file:{path}"


def normalise(value: str, entity: str) -> str:
    """Comparable form: the national number for phones, digits for other numbers, alphanumerics
    for codes, else casefolded words."""
    if entity == "PHONE_NUMBER" and re.search(r"\d", value):
        return phone_key(value)
    if entity in DIGIT_TYPES and re.search(r"\d", value):
        return re.sub(r"\D", "", value)
    if entity in ALNUM_TYPES:
        return re.sub(r"[\W_]", "", value).casefold()
    return " ".join(value.casefold().split())


def phone_key(value: str) -> str:
    """A phone number's national significant number ("+44 20 7946 0958", "020 7946 0958" and
    "0044 20 7946 0958" all give "2079460958"); the extension is dropped."""
    body = _EXT.sub("", value.strip())
    if body.startswith("00"):
        body = "+" + body[2:]
    if body.startswith("+"):
        try:
            return str(phonenumbers.parse(body, None).national_number)
        except phonenumbers.NumberParseException:
            pass
    return re.sub(r"\D", "", body).lstrip("0")


def _same_phone(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 7 and long_.endswith(short)


def appears_in(value: str, entity: str, text: str) -> bool:
    """Whether an entity's value occurs in a text, compared as values: numbers by their digits
    (phones by national number, so format and country code do not matter), codes by their
    alphanumerics, names by casefolded words."""
    needle = normalise(value, entity)
    if not needle:
        return True
    if entity == "PHONE_NUMBER" and re.search(r"\d", value):
        return any(_same_phone(needle, phone_key(m.group())) for m in _PHONE.finditer(text))
    if entity in DIGIT_TYPES and re.search(r"\d", value):
        return any(needle in re.sub(r"\D", "", m.group()) for m in _NUMBER_RUN.finditer(text))
    if entity in ALNUM_TYPES:
        return needle in re.sub(r"[\W_]", "", text).casefold()
    hay = " ".join(text.casefold().split())
    if needle in hay:
        return True
    words = needle.split()
    if entity in NAME_TYPES and len(words) >= 2:
        # NER boundaries vary ("Sure John Smith" vs "John Smith"): dropping one edge word may match
        return " ".join(words[1:]) in hay or " ".join(words[:-1]) in hay
    return False


_NUMBER_RUN = re.compile(r"\d(?:[\d \t().\-]*\d)?")


def cover(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping spans covering ``spans`` and every other occurrence of their values
    (undetected repeats of a detected value are redacted too); overlapping spans merge (first type wins)."""
    found = list(spans)
    for start, end, ent in spans:
        value = text[start:end]
        if len(value.strip()) >= 2:
            found += [(m.start(), m.end(), ent) for m in re.finditer(re.escape(value), text, re.IGNORECASE)]
    merged: list[list[Any]] = []
    for start, end, ent in sorted(found, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, ent])
    return [(a, b, e) for a, b, e in merged]


def redact(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """Text with every span (and every other occurrence of its value) replaced by ``<TYPE>``;
    returns the redacted text and each span's position in it."""
    merged = cover(text, spans)
    parts, pos, new_pos = [], 0, []
    out_len = 0
    starts = {}
    for start, end, ent in merged:
        parts.append(text[pos:start])
        out_len += start - pos
        tag = f"<{ent}>"
        starts[(start, end)] = (out_len, out_len + len(tag))
        parts.append(tag)
        out_len += len(tag)
        pos = end
    parts.append(text[pos:])
    for start, end, _ in spans:
        cover_span = next((m for m in merged if m[0] <= start and end <= m[1]), None)
        new_pos.append(starts[(cover_span[0], cover_span[1])])
    return "".join(parts), new_pos


class Detection(NamedTuple):
    """One detected span, as the detection stage sends it back (plain values, cheap to pickle)."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str


class PiiDetect(RowStage):
    """Presidio on each text (a row): the text's detections, after thresholds and overlap rules.

    Rows are unique non-empty texts; a text's detections do not depend on the other texts of its
    batch (``engine.analyze_texts`` runs spaCy and the recognizers per text)."""

    name = "pii"
    batch_size = 256
    remote_min_rows = 1000  # ~8 s of one core (~130 texts/s): about what starting an actor with spaCy costs

    def __init__(self, settings: engine.PiiSettings):
        self.settings = settings

    def setup(self) -> None:
        engine.profile_engine(self.settings.detection_profile)  # spaCy and the recognizers, once per process

    def __call__(self, rows: list[str]) -> list[list[Detection]]:
        return [[Detection(r.entity_type, int(r.start), int(r.end), float(r.score),
                           (r.recognition_metadata or {}).get("recognizer_name", "")) for r in results]
                for results in engine.analyze_texts(rows, self.settings)]


def detect(texts: list[str], settings: engine.PiiSettings, ctx: TaskContext) -> list[list[Detection]]:
    """Detections per text, in order: unique non-empty texts go through the :class:`PiiDetect`
    stage on ``ctx``'s executor (``TaskContext.map_rows``), empty texts find nothing."""
    unique = list(dict.fromkeys(t for t in texts if t and t.strip()))
    found = dict(zip(unique, ctx.map_rows(PiiDetect(settings), unique)))
    # back on the driver (also from Ray workers): redaction at rest reuses these spans (_pii_spans)
    _pii_spans.remember(settings.key(), unique, ([(d.start, d.end, d.entity_type) for d in found[t]] for t in unique))
    return [found.get(t, []) if t else [] for t in texts]


FINDING_COLUMNS = ["task", "sample_id", "scanner", "field", "entity_type", "start", "end", "score", "recognizer",
                   "leak", "context", "value_hash", "value"]


class FindingRow(TypedDict):
    """A row of the bundle's ``findings`` table (FINDING_COLUMNS): one detected span."""

    task: str
    sample_id: str
    scanner: str
    field: str
    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    leak: bool
    context: str          # the redacted text around the span
    value_hash: str
    value: str | None     # the raw value only with store_raw (moved to raw.enc at rest)


@SCANNERS.register("pii")
class PiiScanner(Scanner):
    name = "pii"
    Options = PiiOptions
    provides = frozenset({"metrics", "flags", "metric:pii_leak_rate", "metric:pii_rate_input",
                          "metric:pii_rate_prediction", "metric:pii_rate_reference", "flag:pii_leak", "column:pii_leak",
                          "block:pii", "table:findings"})

    def validate(self, options: ScannerOptions, config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        parse_options(options)

    def scan(self, ctx: TaskContext) -> ScanOutput:
        settings, rest = parse_options(ctx.options)
        frame = ctx.samples
        n = len(frame)
        fields = [f for f in rest.fields if f in frame.columns]
        salt, salt_source = resolve_salt(rest.salt_env)
        texts = {f: [as_text(v) for v in frame[f]] for f in fields}
        flat = [t for f in fields for t in texts[f]]
        analysed = detect(flat, settings, ctx)
        inputs = texts.get("input") or [as_text(v) for v in (frame["input"] if "input" in frame.columns else [""] * n)]
        rows: list[FindingRow] = []
        counts = {f: np.zeros(n, dtype=np.int64) for f in fields}
        leak = np.zeros(n, dtype=bool)
        sample_ids = frame["sample_id"].astype(str).tolist() if "sample_id" in frame.columns else [str(i) for i in range(n)]
        for k, fld in enumerate(fields):
            for i in range(n):
                text, results = texts[fld][i], analysed[k * n + i]
                if not results:
                    continue
                spans = [(r.start, r.end, r.entity_type) for r in results]
                redacted, positions = redact(text, spans)
                counts[fld][i] = len(results)
                for r, (rs, re_) in zip(results, positions):
                    value = text[r.start:r.end]
                    is_leak = fld == "prediction" and not appears_in(value, r.entity_type, inputs[i])
                    leak[i] |= is_leak
                    digest = hashlib.sha256(salt + b"\x00" + r.entity_type.encode() + b"\x00"
                                            + normalise(value, r.entity_type).encode()).hexdigest()
                    rows.append({
                        "task": ctx.task.name, "sample_id": sample_ids[i], "scanner": "pii", "field": fld,
                        "entity_type": r.entity_type, "start": int(r.start), "end": int(r.end), "score": float(r.score),
                        "recognizer": r.recognizer, "leak": bool(is_leak),
                        "context": redacted[max(0, rs - CONTEXT_CHARS):re_ + CONTEXT_CHARS], "value_hash": digest,
                        "value": value if rest.store_raw else None,
                    })
        findings = pd.DataFrame(rows, columns=FINDING_COLUMNS)
        out = self._output(ctx, settings, rest, fields, findings, counts, leak, salt_source)
        n_long = sum(len(t) > engine.WINDOW_CHARS for t in flat)
        if n_long:  # said beside the findings: NER saw these texts in overlapping windows
            out.results["pii"]["long_texts"] = {"n": n_long, "window_chars": engine.WINDOW_CHARS,
                                                "overlap_chars": engine.OVERLAP_CHARS,
                                                "note": "texts longer than the window were scanned in overlapping "
                                                        "windows; an entity longer than half the overlap may be split"}
        return out

    def _output(self, ctx: TaskContext, settings: engine.PiiSettings, rest: PiiOutputs, fields: list[str],
                findings: pd.DataFrame, counts: dict[str, np.ndarray], leak: np.ndarray, salt_source: str) -> ScanOutput:
        profile = settings.detection_profile
        thresholds = {e: settings.threshold(e) for e in settings.entities}
        thr_sig = (f"threshold:{settings.score_threshold}" if settings.score_threshold is not None
                   else "thresholds:" + ",".join(f"{e}={t:g}" for e, t in thresholds.items()))
        # the profile's content, not only its path: an edited profile file is another recipe
        profile_sha = hashlib.sha256(profile.model_dump_json().encode()).hexdigest()[:12] if profile else "none"
        sig = (f"{{name}}|{engine.engine_signature(profile)}|profile:{rest.profile}#{profile_sha}|{thr_sig}"
               f"|entities:{','.join(settings.entities)}")
        metrics, stats = {}, {}
        if "prediction" in fields:
            metric = ScanMean("pii_leak_rate", sig.format(name="pii_leak_rate"))
            metrics["pii_leak_rate"], stats["pii_leak_rate"] = publish(metric, leak.astype(float), ctx.seed,
                                                                       ctx.n_bootstrap, **task_clusters(ctx))
        for fld in fields:
            name = f"pii_rate_{fld}"
            metric = ScanMean(name, sig.format(name=name))
            metrics[name], stats[name] = publish(metric, (counts[fld] > 0).astype(float), ctx.seed, ctx.n_bootstrap,
                                                 **task_clusters(ctx))
        detector = detector_quality(settings)
        block: JsonObject = {  # read back as results.PiiBlock
            "entities": list(settings.entities) + [c[1] for c in settings.custom_recognizers] + [d[0] for d in settings.deny_list],
            "fields": fields, "score_threshold": settings.score_threshold, "thresholds": thresholds,
            "profile": rest.profile, "findings": int(len(findings)),
            "leaks": int(findings["leak"].sum()) if len(findings) else 0, "samples_with_leak": int(leak.sum()),
            "by_entity": dict(Counter(findings["entity_type"])) if len(findings) else {},
            "by_field": {f: int(counts[f].sum()) for f in fields},
            "rates": {k: {"value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n} for k, m in metrics.items()},
            "store_raw": rest.store_raw,
            "value_hash": f"sha256(salt, entity_type, normalised value); salt from {salt_source.split(':')[0]}",
            "engine": engine.engine_signature(profile),
            "detector": detector,
            "detector_below_target": detector.get("below_target", []),
        }
        columns: dict[str, np.ndarray] = {f"pii_count_{f}": counts[f] for f in fields}
        columns["pii_leak"] = leak
        return ScanOutput(findings=findings, sample_columns=columns, flags={"pii_leak": leak.copy()},
                          metrics=metrics, metric_stats=stats, results={"pii": block})

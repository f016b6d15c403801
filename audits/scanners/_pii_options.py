"""The PII scanner's options: ``scanners.pii`` checked into the detector's settings
(:class:`audits.scanners._presidio.PiiSettings`) and what shapes the stored findings (:class:`PiiOutputs`).
Every bad value is one line naming its key path. Import these from :mod:`audits.scanners.pii`.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, NamedTuple

from pydantic import Field

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.scanners import _presidio as engine
from audits.scanners._pii_profile import default_profile, load_profile
from audits.scanners.base import ScannerOptions, parse_scanner_options

TEXT_FIELDS = ("input", "prediction", "reference")
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

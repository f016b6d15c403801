"""PII scanner (presidio-analyzer on the bundled spaCy model, offline).

Finds PII in the configured fields, stores each finding as type, offsets, score, a redacted
context and a salted SHA-256 of the value (the raw value only with ``store_raw: true``, a GDPR
risk: the bundle then holds personal data). A **leak** is an entity in the ``prediction`` whose
value does not appear in the ``input``; numbers are compared as numbers (a phone number or card
written in another format, or a phone number with or without its country code, is the same value).

Text a built-in dataset declares public (``personal_data=False``: BBQ, discrim-eval, the red-team sets)
is no one's personal data: its ``input`` and ``reference`` are not scanned, and an output's span
that repeats the public item's text (BBQ's "Which person was ...? Mary") is not counted; the
block's ``public_text`` says so. Outputs are still scanned for anything else, and leaks still count.

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
import secrets
from collections import Counter
from typing import NamedTuple, TypedDict

import numpy as np
import pandas as pd

from audits.config import AuditConfig, TaskConfig
from audits.datasets.builtin import declares_public
from audits.jsontypes import JsonObject
from audits.results import Estimate, PiiBlock
from audits.executors.base import RowStage
from audits.scanners import _pii_spans
from audits.scanners import _presidio as engine
# options and value handling live beside this module, by seam; this module is their one import path
from audits.scanners._pii_options import DEFAULTS, TEXT_FIELDS, PiiOptions, PiiOutputs, parse_options
from audits.scanners._pii_quality import cache_dir, detector_quality
from audits.scanners._pii_values import (ALNUM_TYPES, DIGIT_TYPES, NAME_TYPES, appears_in, cover, normalise,
                                         phone_key, redact)
from audits.scanners._scanmetric import ScanMean, publish, task_clusters
from audits.scanners.base import SCANNERS, ScannerOptions, ScanOutput, Scanner, TaskContext, as_text

__all__ = ["ALNUM_TYPES", "CONTEXT_CHARS", "DEFAULTS", "DEFAULT_SALT_ENV", "DIGIT_TYPES", "FINDING_COLUMNS", "NAME_TYPES",
           "TEXT_FIELDS", "Detection", "FindingRow", "PiiDetect", "PiiOptions", "PiiOutputs", "PiiScanner",
           "appears_in", "cover", "detect", "normalise", "parse_options", "phone_key", "redact", "resolve_salt"]

DEFAULT_SALT_ENV = "ASSAY_PII_SALT"
CONTEXT_CHARS = 40


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


PUBLIC_FIELDS = ("input", "reference")


def public_source(task: TaskConfig | None) -> str | None:
    """'builtin:<name>' when ``task`` reads a built-in dataset that declares no personal data, else None."""
    dataset = getattr(task, "dataset", None)
    name = getattr(dataset, "builtin", None)
    if declares_public(name) and not getattr(dataset, "path", None):
        return f"builtin:{name}"
    return None


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
        public = public_source(ctx.task)  # declared-public benchmark text: not personal data, not counted
        left_out = [f for f in fields if public and f in PUBLIC_FIELDS]
        fields = [f for f in fields if f not in left_out]
        salt, salt_source = resolve_salt(rest.salt_env)
        texts = {f: [as_text(v) for v in frame[f]] for f in fields}
        flat = [t for f in fields for t in texts[f]]
        analysed = detect(flat, settings, ctx)
        inputs = texts.get("input") or [as_text(v) for v in (frame["input"] if "input" in frame.columns else [""] * n)]
        rows: list[FindingRow] = []
        counts = {f: np.zeros(n, dtype=np.int64) for f in fields}
        leak = np.zeros(n, dtype=bool)
        sample_ids = frame["sample_id"].astype(str).tolist() if "sample_id" in frame.columns else [str(i) for i in range(n)]
        repeated = 0
        for k, fld in enumerate(fields):
            for i in range(n):
                text, results = texts[fld][i], analysed[k * n + i]
                if public and fld == "prediction" and results:  # the public item's own text, repeated
                    kept = [r for r in results if not appears_in(text[r.start:r.end], r.entity_type, inputs[i])]
                    repeated, results = repeated + len(results) - len(kept), kept
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
        n_long = sum(len(t) > engine.WINDOW_CHARS for t in flat)
        # said beside the findings: NER saw these texts in overlapping windows
        long_texts: JsonObject | None = None if not n_long else {
            "n": n_long, "window_chars": engine.WINDOW_CHARS, "overlap_chars": engine.OVERLAP_CHARS,
            "note": "texts longer than the window were scanned in overlapping windows; an entity longer than "
                    "half the overlap may be split"}
        public_text: JsonObject | None = None if not public else {
            "source": public, "fields_not_scanned": left_out, "prediction_spans_repeating_input": repeated,
            "note": f"{public} declares no personal data: its {' and '.join(left_out) or 'text'} is not scanned "
                    "and output spans repeating the item's own text are not counted as personal data found"}
        out = self._output(ctx, settings, rest, fields, findings, counts, leak, salt_source, long_texts)
        out.results["pii"].public_text = public_text
        return out

    def _output(self, ctx: TaskContext, settings: engine.PiiSettings, rest: PiiOutputs, fields: list[str],
                findings: pd.DataFrame, counts: dict[str, np.ndarray], leak: np.ndarray, salt_source: str,
                long_texts: JsonObject | None) -> ScanOutput:
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
        block = PiiBlock(
            entities=list(settings.entities) + [c[1] for c in settings.custom_recognizers]
            + [d[0] for d in settings.deny_list],
            fields=fields, score_threshold=settings.score_threshold, thresholds=thresholds,
            profile=rest.profile, findings=int(len(findings)),
            leaks=int(findings["leak"].sum()) if len(findings) else 0, samples_with_leak=int(leak.sum()),
            by_entity={str(k): int(v) for k, v in Counter(findings["entity_type"]).items()} if len(findings) else {},
            by_field={f: int(counts[f].sum()) for f in fields},
            # each rate as the one Estimate: its interval's method and, for clustered tasks, the design effect
            rates={k: Estimate.of(m) for k, m in metrics.items()},
            store_raw=rest.store_raw,
            value_hash=f"sha256(salt, entity_type, normalised value); salt from {salt_source.split(':')[0]}",
            engine=engine.engine_signature(profile),
            detector=detector,
            detector_below_target=detector.get("below_target", []),
            long_texts=long_texts,
        )
        columns: dict[str, np.ndarray] = {f"pii_count_{f}": counts[f] for f in fields}
        columns["pii_leak"] = leak
        return ScanOutput(findings=findings, sample_columns=columns, flags={"pii_leak": leak.copy()},
                          metrics=metrics, metric_stats=stats, results={"pii": block})

"""Retraining data from settled review labels: chat SFT and preference pairs, PII-scrubbed.

SFT rows are ``{"messages": [system?, user = the prompt, assistant = the confirmed or corrected
answer]}``; preference rows are ``{"prompt", "chosen" = the correction, "rejected" = the model's
output}``; every record also carries ``run_id``, ``task`` and ``sample_id``. Only settled items are
used (reviewers agree, or a lead reviewer adjudicated). An item queued as a PII leak (reason
``pii_leak``), whose output the PII scanner found leaking (the sample's ``pii_leak``, however it was queued),
or flagged ``privacy`` by a reviewer never enters either file, whatever its label or
the flag filter; an item queued as a successful red-team attack (``attack_success``) never enters with its
output as the answer (a confirmed attack only through its correction); a pair or answer that would be placeholders only (``<PERSON_1>``) is skipped. Items a
reviewer flagged (unsafe / biased) are left out by default: ``exclude_flags`` picks which
flags leave an item out, ``only_flags`` keeps only items carrying one of those flags (e.g. the
corrected biased answers, as preference pairs for debiasing); the manifest records the filter. Text is
scrubbed with the PII scanner's engine (presidio, offline) unless ``scrub=False``; the prompt of a task on a
built-in dataset that declares no personal data (``datasets.builtin.public_tasks``, the rule redaction at rest
keeps) stays as it is, and so do its values in the answers (the manifest's ``pii.public_text_kept``); every file gets
a ``FILE.manifest.json`` with the source run, reviewers, counts and the file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Collection, Literal

import pandas as pd

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.review.evidence import queued_as_attack
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from audits.store.queries import runs as rq
from audits.logged_files import commit_logged

Kind = Literal["sft", "preference"]
KINDS = ("sft", "preference")
FORMATS = {"sft": "chat-messages-jsonl/1", "preference": "prompt-chosen-rejected-jsonl/1"}
# a flag is a reviewer saying "not as training data as it stands"; a hallucination's corrected answer is exactly
# the training data wanted, so that flag does not leave an item out by default
DEFAULT_EXCLUDE = tuple(f for f in rv.FLAGS if f != "hallucination")
PRIVACY_REASON, PRIVACY_FLAG = "pii_leak", "privacy"  # never retraining data, whatever the label or filter
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*[A-Z](?:_\d+)?>")


def placeholders_only(text: str) -> bool:
    """True when ``text`` says nothing but redaction placeholders (``<PERSON_1>.``)."""
    return not re.search(r"\w", _PLACEHOLDER.sub("", text))


def _outside_tags(text: str, start: int, end: int) -> str:
    """The characters of ``text[start:end]`` that are not part of a ``<TYPE_n>`` placeholder of ``text``."""
    inside = {i for m in _PLACEHOLDER.finditer(text) for i in range(m.start(), m.end())}
    return "".join(c for i, c in enumerate(text[start:end], start) if i not in inside)


def _trimmed(text: str, start: int, end: int, ent: str) -> tuple[int, int, str]:
    """A finding's span with the placeholder tags at its edges cut off (``PERSON_1> Smith`` -> ``Smith``)."""
    for m in _PLACEHOLDER.finditer(text):
        if m.start() <= start < m.end():
            start = m.end()
        if m.start() < end <= m.end():
            end = m.start()
    return start, max(start, end), ent


def _settled(cat: Catalog, run_id: str) -> pd.DataFrame:
    """Settled labels with their samples' texts and the PII scanner's leak verdict (``pii_leak``)."""
    labels = rv.final_labels(cat, run_id)
    samples = rv.samples_for(cat, run_id, list(zip(labels["task"], labels["sample_id"])),
                             columns=("task", "sample_id", "input", "prediction", "reference", "pii_leak"))
    return labels.merge(samples, on=["task", "sample_id"], how="inner")


def _leaked(value: Any) -> bool:
    """The scanner's ``pii_leak`` cell as a verdict (None/NA: not scanned, no leak known)."""
    return not pd.isna(value) and bool(value)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


class Scrubber:
    """Replaces PII with ``<ENTITY_TYPE>``: the PII scanner's engine with the run's settings, plus
    the pattern fallbacks (phone, e-mail, card, IBAN, IP) for what the detector misses."""

    def __init__(self, options: JsonObject | None = None):
        from audits.scanners import _presidio as engine
        from audits.trust.redact import Redactor

        self._redactor = Redactor(options or {})
        self.signature = engine.engine_signature() + "+patterns(email,phone,card,iban,ip)"

    @property
    def redactions(self) -> int:
        return self._redactor.redactions

    def __call__(self, texts: list[str]) -> list[str]:
        return self._redactor(texts)

    def items(self, groups: list[list[str]], public: list[bool] | None = None) -> list[list[str]]:
        """Each group (one record's texts, the prompt first) scrubbed with pseudonyms consistent across it
        (``<PERSON_1>`` is the same value in the prompt, the chosen and the rejected answer). A group marked
        ``public`` (a task on a built-in dataset that declares no personal data) keeps its prompt, and the
        values of its prompt in its answers, as redaction at rest keeps them (:func:`_public_kept`)."""
        from audits.trust.notes import pseudonymise_after

        found = iter(self._redactor.spans([t for g in groups for t in g]))
        out = []
        for k, group in enumerate(groups):
            # the stored texts are already pseudonymised at rest: a finding that is only a tag ("PERSON_1" read as
            # a name) is dropped (it gave "<<PERSON_1>>"); the numbering keeps the tags and puts a new value after
            # the item's own tags of its type (a new name is <PERSON_2>, never a second <PERSON_1>)
            spans = [[_trimmed(t, *s) for s in next(found) if re.search(r"\w", _outside_tags(t, s[0], s[1]))]
                     for t in group]
            if public and public[k]:
                spans = [[] if i == 0 else _public_kept(t, sp, group[0]) for i, (t, sp) in enumerate(zip(group, spans))]
            texts, n = pseudonymise_after(group, spans)
            self._redactor.redactions += n
            out.append(texts)
        return out

    def residual(self, texts: list[str], public_text: list[str | None] | None = None) -> list[str]:
        """Entity types still found in ``texts`` after scrubbing (the re-scan of the output). A finding that is
        only a placeholder (spaCy reads ``PERSON_1`` in ``<PERSON_1> asked`` as a name) is none: what counts is
        text it covers outside the tags (``<PERSON_1> Smith`` still counts ``Smith``). ``public_text``: per text,
        the public benchmark text its values may come from (None: none); a value standing in it is none."""
        pairs = [(t, p) for t, p in zip(texts, public_text or [None] * len(texts)) if t]
        left = []
        for (text, public), spans in zip(pairs, self._redactor.spans([t for t, _ in pairs])):
            spans = _public_kept(text, spans, public) if public else spans
            left += [ent for a, b, ent in spans if re.search(r"\w", _outside_tags(text, a, b))]
        return left


def _public_kept(text: str, spans: list[tuple[int, int, str]], public: str) -> list[tuple[int, int, str]]:
    """The spans of ``text`` left to redact beside the public benchmark text ``public``: the one rule reviewer
    text is stored by (:func:`audits.trust.notes.public_kept`), so a kept correction is kept here too."""
    from audits.trust.notes import public_kept

    return public_kept(text, spans, public)


def _public_tasks(cat: Catalog, run_id: str) -> set[str]:
    """The run's tasks on a built-in dataset that declares no personal data (``datasets.builtin.public_tasks``,
    the test redaction at rest and the PII scanner ask), read from its manifest."""
    from audits.datasets.builtin import public_tasks
    from audits.store.bundle_reader import manifest

    return public_tasks({task: d.model_dump() for task, d in manifest(cat, run_id).datasets.items()})


def _pii_options(cat: Catalog, run_id: str) -> JsonObject:
    config = rv.run_config(cat, run_id)
    return dict((config.get("scanners") or {}).get("pii") or {})


def flag_filter(exclude_flags: Collection[str] | None = None,
                only_flags: Collection[str] = ()) -> tuple[list[str], list[str]]:
    """(flags that leave an item out, flags of which an item must carry one): checked, sorted.
    Not given, the excluded flags are every flag not in ``only_flags``."""
    only = rv.check_flags(only_flags)
    if PRIVACY_FLAG in only:
        raise AssayError("items flagged privacy never enter retraining data, so they cannot be selected",
                         "select items flagged unsafe or biased, or none")
    exclude = rv.check_flags([f for f in DEFAULT_EXCLUDE if f not in only] if exclude_flags is None else exclude_flags)
    both = sorted(set(exclude) & set(only))
    if both:
        raise AssayError(f"the flag {both[0]!r} cannot both select items and leave them out",
                         f"drop it from the excluded flags (e.g. --exclude-flagged "
                         f"{','.join(f for f in exclude if f not in both) or 'none'})")
    return exclude, only


def _build(cat: Catalog, run_id: str, kind: Kind, scrub: bool, exclude_flags: Collection[str] | None = None,
           only_flags: Collection[str] = ()) -> tuple[list[dict], JsonObject]:
    if kind not in KINDS:
        raise AssayError(f"unknown retraining export {kind!r}", f"use one of: {', '.join(KINDS)}")
    exclude, only = flag_filter(exclude_flags, only_flags)
    settled = _settled(cat, run_id)
    n_all = int(len(settled))
    flags = rv.item_flags(cat, run_id)
    of = [flags.get((str(t), str(sid)), set()) for t, sid in zip(settled["task"], settled["sample_id"])]
    # a leak is a leak however the item was queued: by the queue reason, a reviewer's flag, or the scanner's verdict
    # on the sample (an item drawn at random, or queued for another reason, whose output leaks)
    leaked = [_leaked(v) for v in settled["pii_leak"]]
    private = [str(r) == PRIVACY_REASON or PRIVACY_FLAG in f or lk for r, f, lk in zip(settled["reason"], of, leaked)]
    out_by_flag = [bool(f & set(exclude)) and not p for f, p in zip(of, private)]
    not_selected = [bool(only) and not (f & set(only)) and not o and not p for f, o, p in zip(of, out_by_flag, private)]
    n_flagged, n_not_selected, n_private = int(sum(out_by_flag)), int(sum(not_selected)), int(sum(private))
    by_privacy = {"pii_leak": int(sum(str(r) == PRIVACY_REASON or lk for r, lk in zip(settled["reason"], leaked))),
                  "flagged_privacy": int(sum(PRIVACY_FLAG in f for f, p in zip(of, private) if p))}
    if n_flagged or n_not_selected or n_private:
        settled = settled[[not (a or b or c) for a, b, c in zip(out_by_flag, not_selected, private)]]
    by_flag = {f: int(sum(f in s for s, o in zip(of, out_by_flag) if o)) for f in exclude}
    system = _text(rv.run_settings(cat, run_id)["system_prompt"])
    items, skipped, attack_out = [], 0, 0
    for row in settled.itertuples(index=False):
        prompt, output, fix = _text(row.input), _text(row.prediction), _text(row.correction)
        # a successful red-team attack: "correct" dismisses it as a false alarm, "incorrect" confirms it; either
        # way its output is never a correct answer here (a confirmed one enters only through its correction)
        if row.label == "correct" and queued_as_attack(row.reason):
            attack_out += 1   # a dismissed attack: its output is no example of a right answer
            continue
        if kind == "sft":
            answer = output if row.label == "correct" else fix
            if prompt is None or answer is None:
                skipped += 1
                continue
            items.append((row, [prompt, answer]))
        else:
            if row.label == "correct" or prompt is None or fix is None or output is None or fix == output:
                skipped += 1
                continue
            items.append((row, [prompt, fix, output]))
    scrubber = Scrubber(_pii_options(cat, run_id)) if scrub and items else None
    public = _public_tasks(cat, run_id) if scrubber is not None else set()
    if scrubber is not None:
        items = list(zip([row for row, _ in items],
                         scrubber.items([texts for _, texts in items], [str(row.task) in public for row, _ in items])))
        system = scrubber([system])[0] if system else None
    empty = [any(placeholders_only(t) for t in texts[1:]) for _, texts in items]
    skipped_placeholders = int(sum(empty))
    items = [item for item, e in zip(items, empty) if not e]
    records: list[dict] = []
    for row, texts in items:
        ids = {"run_id": run_id, "task": str(row.task), "sample_id": str(row.sample_id)}
        if kind == "sft":
            messages = ([{"role": "system", "content": system}] if system else []) + [
                {"role": "user", "content": texts[0]}, {"role": "assistant", "content": texts[1]}]
            records.append({"messages": messages, **ids})
        else:
            records.append({"prompt": texts[0], "chosen": texts[1], "rejected": texts[2], **ids})
    if scrubber is not None:  # re-scan what will be written: never call a file scrubbed while a finding remains
        left = scrubber.residual([t for _, texts in items for t in texts] + ([system] if system else []),
                                 [texts[0] if str(row.task) in public else None for row, texts in items for _ in texts]
                                 + ([None] if system else []))
        if left:
            raise AssayError(f"the scrubbed {kind} export of run '{run_id}' still holds {len(left)} personal-data "
                             f"finding(s) ({', '.join(sorted(set(left)))}) after redaction; nothing was written",
                             "report it (the detector and patterns disagree), or export with --keep-pii as an admin")
    rows = [row for row, _ in items]
    info = {"n_settled": n_all, "n_skipped": skipped, "n_flagged_out": n_flagged,
            "privacy_out": {"n": n_private, **by_privacy, "rule": "items queued as pii_leak, whose output the PII "
                            "scanner found leaking, or flagged privacy never enter retraining data"},
            "n_placeholder_only": skipped_placeholders,
            "attack_out": {"n": attack_out, "rule": "outputs of red-team attacks never enter as correct answers; "
                           "a confirmed attack enters only through the reviewer's correction"},
            "flag_filter": {"exclude": exclude, "only": only, "excluded_by_flag": by_flag,
                            "not_carrying_only_flags": n_not_selected},
            "by_label": pd.Series([r.label for r in rows], dtype=object).value_counts().to_dict(),
            "by_source": pd.Series([r.source for r in rows], dtype=object).value_counts().to_dict(),
            "reviewers": sorted({name for r in rows for name in (r.reviewers or [])}),
            "items": [f"{r.task}/{r.sample_id}" for r in rows], "system_prompt": system is not None,
            "pii": {"scrubbed": scrubber is not None or (scrub and not items),
                    "engine": scrubber.signature if scrubber else None,
                    "redactions": scrubber.redactions if scrubber else 0,
                    "public_text_kept": sorted({str(r.task) for r in rows} & public)}}
    return records, info


def build_sft(cat: Catalog, run_id: str, scrub: bool = True, exclude_flags: Collection[str] | None = None,
              only_flags: Collection[str] = ()) -> list[dict]:
    """Chat SFT rows ``{"messages": [...]}`` from settled labels (correct -> model answer,
    otherwise the correction; items without an answer are skipped)."""
    return _build(cat, run_id, "sft", scrub, exclude_flags, only_flags)[0]


def build_preference(cat: Catalog, run_id: str, scrub: bool = True, exclude_flags: Collection[str] | None = None,
                     only_flags: Collection[str] = ()) -> list[dict]:
    """Preference rows ``{"prompt", "chosen", "rejected"}``: corrected items only."""
    return _build(cat, run_id, "preference", scrub, exclude_flags, only_flags)[0]


def to_jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def build_export(cat: Catalog, run_id: str, kind: Kind, scrub: bool = True,
                 exclude_flags: Collection[str] | None = None,
                 only_flags: Collection[str] = ()) -> tuple[bytes, JsonObject]:
    """(JSONL bytes, manifest dict) for a retraining file, without touching the disk.
    ``exclude_flags`` (default: all three) and ``only_flags``: the reviewer-flag filter."""
    records, info = _build(cat, run_id, kind, scrub, exclude_flags, only_flags)
    data = to_jsonl(records)
    run = rq.get_run(cat, run_id)
    manifest = {"format": FORMATS[kind], "kind": kind,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "source": {"run_id": run_id, "audit": run.get("audit"), "period": run.get("period"),
                           "model": run.get("model"), "manifest_sha256": run.get("manifest_sha256"),
                           "catalog": str(cat.path)},
                "reviewers": info.pop("reviewers"),
                "counts": {"records": len(records), "settled_items": info.pop("n_settled"),
                           "skipped": info.pop("n_skipped"), "by_label": info.pop("by_label"),
                           "by_source": info.pop("by_source")},
                **info, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    return data, manifest


def write_export(cat: Catalog, run_id: str, kind: Kind, path: str | Path, scrub: bool = True,
                 actor: str | None = None, exclude_flags: Collection[str] | None = None,
                 only_flags: Collection[str] = ()) -> JsonObject:
    """Write ``path`` (JSONL) and ``path.manifest.json`` atomically; with ``actor``, log the export first
    (neither file appears when the log refuses the entry). Returns the manifest."""
    path = Path(path)
    data, manifest = build_export(cat, run_id, kind, scrub, exclude_flags, only_flags)
    manifest["file"] = path.name
    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode()

    def log(target: Path, _sha: str) -> None:   # one entry, before the data file appears
        if actor and target == path:
            log_export(cat, run_id, manifest, actor)

    commit_logged([(path, data), (manifest_path(path), manifest_bytes)], log)
    return manifest


def log_export(cat: Catalog, run_id: str, manifest: JsonObject, actor: str, claim: JsonObject | None = None) -> None:
    """Record in the audit log that someone took a retraining file (which, its hash, scrubbed or not);
    ``claim``: the provider's role of an OIDC/proxy actor the catalog does not list (``audits.trust.acts``)."""
    from audits.store.queries import audit_log

    details: JsonObject = {"file": manifest.get("file"), "sha256": manifest["sha256"],
                           "records": manifest["counts"]["records"], "pii_scrubbed": manifest["pii"]["scrubbed"],
                           "flag_filter": {k: manifest.get("flag_filter", {}).get(k, []) for k in ("exclude", "only")}}
    if claim:
        details["claim"] = claim
    with cat.connect(write=True) as con:
        audit_log.append(con, actor, f"export.retraining-{manifest['kind']}", run_id, details)


def manifest_path(path: str | Path) -> Path:
    """``FILE.jsonl`` -> ``FILE.manifest.json``."""
    path = Path(path)
    return path.with_name((path.stem if path.suffix == ".jsonl" else path.name) + ".manifest.json")

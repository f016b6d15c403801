"""The policy packs a sign-off or attestation rested on, by SHA-256 of their files.

A sign-off approves a run *as checked against* its packs: lower a threshold in the pack YAML
afterwards and ``assay check`` shows a different checklist beside the same approval. So each
sign-off and attestation records ``packs: {key: sha256}`` in its signed log entry (key: a shipped
pack's name, or the absolute path of a pack file), and :func:`findings` re-hashes every pack the
current sign-offs and attestations rested on. An entry without ``packs`` (written before this
record existed) is not a finding. A later sign-off of the same run by the same user (or a later
attestation of the same control) supersedes the earlier one: "sign off again" clears a finding.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.store.bundle import sha256_path
from audits.store.queries import policies as policies_q

CHANGED = "the policy pack changed after this sign-off"


def _is_path(text: str) -> bool:
    return Path(text).suffix in (".yaml", ".yml") or "/" in text or "\\" in text


def pack_file(source: str) -> tuple[str, Path]:
    """``(key, file)`` for a pack as a run or a command names it (resolved as ``policies.load_pack``
    does: a shipped pack by name, else a path, made absolute here so the key means the same file later)."""
    from policies.schema import PACKS_DIR  # deferred: importing the policies package imports its engine, which imports this

    text = str(source)
    if not _is_path(text):
        builtin = PACKS_DIR / f"{text}.yaml"
        if builtin.exists() or not Path(text).expanduser().exists():
            return text, builtin
    path = Path(os.path.abspath(Path(text).expanduser()))  # not resolve(): a re-pointed symlink must read as changed
    return str(path), path


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes (``store.bundle.sha256_path``, as bundles are hashed); ``None`` when it
    is not a readable file."""
    try:
        return sha256_path(path)
    except OSError:
        return None


def pack_hashes(sources: Iterable[str], run_id: str) -> dict[str, str]:
    """``{key: sha256}`` of each pack file ``run_id`` is checked against; AssayError when one cannot be
    read (a sign-off resting on a pack nobody can hash could be changed later unseen)."""
    out: dict[str, str] = {}
    for source in sources:
        key, path = pack_file(source)
        digest = file_digest(path)
        if digest is None:
            raise AssayError(f"run '{run_id}' is checked against policy pack {source}, which cannot be read from here "
                             f"({path})", "sign off from the folder the run was made in, or restore the pack file")
        out[key] = digest
    return out


def changes(recorded: Any) -> list[tuple[str, str, str | None]]:
    """``(key, recorded sha256, current sha256 or None when the file is gone)`` for each pack of a
    log entry's ``packs`` whose file no longer hashes to what was signed."""
    if not isinstance(recorded, dict):
        return []
    out = []
    for key, was in recorded.items():
        now = file_digest(pack_file(str(key))[1])
        if now != was:
            out.append((str(key), str(was), now))
    return out


def _current(entries: list[tuple[int, str, str, str | None, JsonObject]]) -> list[tuple[int, str, str | None, JsonObject]]:
    """The sign-offs (latest per run and actor) and attestations (latest per run, pack and control) in force."""
    latest: dict[tuple, tuple[int, str, str | None, JsonObject]] = {}
    for seq, actor, action, target, details in entries:
        if action == "policy.signoff":
            latest[("signoff", target, actor)] = (seq, action, target, details)
        elif action == "policy.attest":
            latest[("attest", target, details.get("pack"), details.get("control"))] = (seq, action, target, details)
    return sorted(latest.values(), key=lambda e: e[0])


def findings(entries: list[tuple[int, str, str, str | None, JsonObject]]) -> list[str]:
    """One line per pack that a sign-off or attestation in force rested on and that changed or is gone.
    ``entries``: ``(seq, actor, action, target, details)`` of the log, in order."""
    problems = []
    for seq, action, run, details in _current(entries):
        what = (f"sign-off {details.get('signoff_id')}" if action == "policy.signoff" else
                f"attestation {details.get('attestation_id')} of control {details.get('control')}")
        again = "sign off again" if action == "policy.signoff" else "attest again"
        for key, was, now in changes(details.get("packs")):
            state = f"the file now hashes {now[:12]}" if now else "the file no longer exists"
            problems.append(f"{what} of run {run} (entry {seq}) rested on pack {key} {was[:12]}; {state} — "
                            f"restore the pack or {again}")
    return problems


def signoff_warning(cat: Any, run_id: str) -> str | None:
    """One line for where a committee reads the run's sign-off: ``CHANGED`` (naming the packs) when a pack
    file the latest sign-off rested on no longer hashes to what it recorded; ``None`` otherwise (no sign-off,
    an unchanged pack, or a sign-off logged before sign-offs recorded their packs)."""
    history = policies_q.list_signoffs(cat, run_id)
    if not len(history):
        return None
    recorded = policies_q.signoff_packs(cat, run_id).get(str(history.iloc[-1]["signoff_id"]))
    changed = changes(recorded)
    if not changed:
        return None
    names = ", ".join(Path(k).name if _is_path(k) else k for k, _, _ in changed)
    return f"{CHANGED} ({names}): what the checklist shows now is not what was approved — restore the pack or sign off again"

"""`assay verify`'s fork check: the key dir remembers each time it signed an entry into one copy of a catalog
while another copy at another path already held a signed entry of that number
(:func:`audits.trust.checkpoint.flush`); whichever copy is shown later, it lacks the other's signed acts."""

from __future__ import annotations

import json

from audits.jsontypes import JsonObject
from audits.trust import checkpoint, keys


def forks(catalog_id: str) -> list[JsonObject]:
    """The forks of ``catalog_id`` the key dir remembers (both checkpoints signed by a trusted key)."""
    try:
        lines = checkpoint.forks_path(catalog_id).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out: list[JsonObject] = []
    for line in lines:
        try:
            fork = json.loads(line)
        except ValueError:
            continue
        if isinstance(fork, dict) and fork.get("format") == checkpoint.FORK_FORMAT \
                and all(_signed(fork.get(k), catalog_id) for k in ("here", "there")) \
                and fork["here"].get("count") == fork.get("count"):
            out.append(fork)
    return out


def fork_problem(catalog_id: str, heads: dict[int, str]) -> str | None:
    """Why a log with these heads (entry -> hash) is one branch of a fork the key dir remembers, or None
    (no fork, or this file stops before it: an older copy)."""
    seen = [f for f in forks(catalog_id) if len(heads) >= f["count"]]
    if not seen:
        return None
    fork = min(seen, key=lambda f: f["count"])
    return (f"FORKED — the key dir signed two different entries {fork['count']} of catalog {catalog_id} into two "
            f"copies (the second at {fork['here'].get('ts')}): this file is one branch, and the other's signed acts "
            "(sign-offs, reviews, user changes) are not in it; verify every copy, settle which one is the record, "
            f"then move {checkpoint.forks_path(catalog_id).name} out of {keys.key_dir() / 'witness'}")


def _signed(cp: object, catalog_id: str) -> bool:
    return isinstance(cp, dict) and checkpoint.check_signature(cp) is None and cp.get("catalog_id") == catalog_id

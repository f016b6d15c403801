"""`assay verify`'s checkpoint checks: each signed checkpoint (the catalog's own, the witness kept beside
the key, any ``--against`` file) is signed by a key this installation holds and matches the chain at its
count; the newest covers every entry (step 2 of :mod:`audits.trust.verify`)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audits.errors import AssayError
from audits.trust import checkpoint, keys, verify_forks
from audits.trust.checkpoint import Checkpoint
from audits.trust.verify_report import Report


def check_foreign(cp: Checkpoint, cid: str) -> None:
    """Refuse (one line) a checkpoint this installation did not sign or that names another catalog."""
    trusted = keys.trusted_keys()
    if cp.get("key_id") not in trusted:
        raise AssayError(f"the checkpoint was signed by key {cp.get('key_id')}, which is not one of this "
                         f"installation's keys ({keys.key_dir()})",
                         "pass a checkpoint exported from this installation, or set ASSAY_KEY_DIR to its key directory")
    if cp.get("catalog_id") != cid:
        raise AssayError(f"the checkpoint is for catalog {cp.get('catalog_id')}, not this one ({cid})",
                         "pass a checkpoint exported from this catalog")


def _check_one(report: Report, name: str, cp: Checkpoint, cid: str, heads: dict[int, str],
               trusted: dict[str, Ed25519PublicKey]) -> bool:
    problem = checkpoint.check_signature(cp, trusted)
    if problem:
        report.problems.append(f"{name}: {problem}")
        return False
    if cp.get("catalog_id") != cid:
        report.problems.append(f"{name}: signed for catalog {cp.get('catalog_id')}, not this one ({cid})")
        return False
    count = int(cp["count"])
    if count > len(heads):
        report.problems.append(f"audit log: truncated — {name} (signed) covers {count} entries, the log has "
                               f"{len(heads)}")
        return False
    if heads.get(count) != cp["head"]:
        report.problems.append(f"audit log: entries up to {count} were rewritten — they no longer match {name} "
                               f"(signed {cp.get('ts')})")
        return False
    return True


def check_checkpoints(report: Report, cid: str, cps: list[Checkpoint], heads: dict[int, str],
                       against: Checkpoint | None, catalog_path: Any = None, legacy: bool = False) -> None:
    trusted = keys.trusted_keys()
    n = len(heads)
    if n and not trusted:
        report.problems.append(f"audit log: no signing key in {keys.key_dir()} to check checkpoints against "
                               "(set ASSAY_KEY_DIR to this installation's key directory)")
        return
    newest_ok = 0
    bad = 0
    for cp in cps:
        before = len(report.problems)
        if _check_one(report, f"catalog checkpoint {cp.get('count')}", cp, cid, heads, trusted):
            newest_ok = max(newest_ok, int(cp["count"]))
            report.head = cp
        else:
            bad += 1
            del report.problems[before + 1:]  # one line per bad checkpoint
        if bad > 3:
            report.problems.append("audit log: more checkpoints fail; stopping after the first few")
            break
    if n and newest_ok < n:
        why = ("a log written before signed checkpoints: check it, then sign it as it stands with `assay keys adopt`"
               if legacy else "written without the installation key")
        report.problems.append(f"audit log: entries {newest_ok + 1}-{n} are not covered by a signed checkpoint ({why})")
    forked = verify_forks.fork_problem(cid, heads) if n else None
    if forked:
        report.problems.append(f"catalog: {forked}")
    witness = checkpoint.read_witness(cid, catalog_path)
    ahead = checkpoint.newest_elsewhere(cid, catalog_path) if n else None
    if ahead is not None and int(ahead["count"]) > n:  # also when this path has a witness: a catalog moved on
        report.notes.append(f"this file is an OLDER COPY of its catalog: the key dir signed {ahead['count']} "
                            f"entries of catalog {cid} at another path (last {ahead.get('ts')}), this file has {n}; "
                            "what it shows (sign-offs, reviews, runs) may be out of date")
    elif witness is None and n:
        report.notes.append(f"no witness checkpoint for this catalog in {keys.key_dir()} (catalog moved?)")
    if witness is not None:
        _check_one(report, "the witness checkpoint kept beside the key", witness, cid, heads, trusted)
    if against is not None:
        check_foreign(against, cid)
        _check_one(report, f"the checkpoint given with --against ({against.get('count')} entries)", against, cid,
                   heads, trusted)

"""`assay erase RUN --reason TEXT`: erase a run's personal data (admin; logged).

The bundle keeps only redacted text; raw text kept with ``store_raw`` is encrypted under a per-run
key outside the bundle, and raw notes (sign-off, attestation, review) are sealed under the same
key in ``sealed_notes``. Erasing destroys the key and deletes the sealed notes, so the raw text is
unrecoverable while every hash in the bundle (and the signed log) still verifies.

A job that was killed leaves ``.partial-<run_id>/`` checkpoints for ``--resume``: its raw model outputs,
in clear. Erase deletes them too (refused while the job is still alive), so the run can no longer be
resumed, and logs ``partial_checkpoints_deleted``. The lease is an unsigned catalog row: a run marked
``running`` whose heartbeat is stale, or set further in the future than a clock's skew, is no live job
(``audits.store.lease.not_live``); erase says so, proceeds and logs it (``stale_lease``).

Migration for bundles written before sample ids were pseudonymised (any scheme): every table keyed by
``sample_id`` (samples, findings, explanations, counterfactuals, review queue) in which an id still holds
personal data as written (an e-mail, a phone, a name) is dropped the same way (`assay verify` names such
runs, with this fix).

Migration for bundles written before joined-text redaction (manifest ``personal_data.scheme`` < 2):
their ``explanations.parquet`` was redacted token by token with patterns only (joining its tokens
gives names and addresses back), so erase **drops** it; their samples, findings and counterfactuals
are re-scanned with today's detector, and a file in which it still finds personal data is dropped
too. Bundles before the whole-word rule (scheme < 3): a public task's predictions are re-checked with it
(``stands_in``, commit 11d848c; scheme 3 since): a value found there that is only a piece of the public text
(the tail of an e-mail in the prompt) was kept raw before it, and such a ``samples.parquet`` is dropped the same
way. Each dropped file is named with the SHA-256 its manifest recorded in the ``run.erased`` log
entry (``dropped_files``), which is what verify accepts in place of the file. The files are moved
aside inside the catalog transaction and put back if it fails: nothing changes half-way.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from audits.access import require
from audits.commands._identity import add_identity_args, cli_user
from audits.errors import AssayError
from audits.store.catalog import Catalog

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from audits.trust.redact import Redactor

ERASED = "run.erased"
LEGACY_ALWAYS_DROPPED = ("explanations",)
LEGACY_RESCANNED = ("samples", "findings", "counterfactuals")


@dataclass
class Erasure:
    """What an erase did: the raw-text key destroyed, sealed notes deleted, bundle files dropped."""

    raw_key_destroyed: bool = False
    sealed_notes_deleted: int = 0
    dropped_files: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 in the manifest
    partial_deleted: bool = False  # an interrupted run's resume checkpoints (raw outputs) deleted
    stale_lease: str | None = None  # why a run still marked running was taken for a dead job (its lease is unsigned)


def register(subparsers, common) -> None:
    p = subparsers.add_parser("erase", parents=[common], help="erase a run's raw personal data (destroys its key)")
    p.add_argument("run_id")
    p.add_argument("--reason", help="why (required when a sign-off rests on the run; recorded in the audit log)")
    add_identity_args(p, "the admin erasing")
    p.set_defaults(func=_erase)


def legacy_files(cat: Catalog, run_id: str) -> dict[str, str]:
    """Bundle files of a run written before joined-text redaction that still hold personal data,
    with the SHA-256 its manifest recorded (empty for a current bundle or a run without one)."""
    import pandas as pd

    from audits.store import bundle_reader
    from audits.trust import notes, rawstore
    from audits.trust.redact import Redactor

    try:
        base = bundle_reader.bundle_dir(cat, run_id)
        manifest = bundle_reader.manifest(cat, run_id)
    except AssayError:
        return {}  # no complete bundle (failed or running run): nothing in files to drop
    files = manifest.files
    redactor = Redactor(notes.run_privacy(cat, run_id)[0])
    out = rawstore.raw_id_files(cat, run_id, manifest, redactor)
    public = manifest.personal_data.kept_public or []
    if public and manifest.scheme < rawstore.WHOLE_WORD_SCHEME and "samples.parquet" in files and "samples.parquet" not in out and (base / "samples.parquet").exists():
        if kept_inside_public(pd.read_parquet(base / "samples.parquet"), redactor, public):
            out["samples.parquet"] = files["samples.parquet"]
    if manifest.scheme >= rawstore.JOINED_SCHEME:
        return out
    out.update({f"{t}.parquet": files[f"{t}.parquet"] for t in LEGACY_ALWAYS_DROPPED
                if f"{t}.parquet" in files and (base / f"{t}.parquet").exists()})
    for table in LEGACY_RESCANNED:
        name = f"{table}.parquet"
        if name not in files or not (base / name).exists():
            continue
        frame = pd.read_parquet(base / name)
        texts = [v for col in rawstore.TEXT_COLUMNS[table] if col in frame.columns
                 for v in frame[col].tolist() if isinstance(v, str) and v]
        if redactor.residual(list(dict.fromkeys(texts))):
            out[name] = files[name]
    return out


def kept_inside_public(samples: "pd.DataFrame", redactor: "Redactor", public_tasks: Iterable[str]) -> list[str]:
    """Entity types of values in public-task predictions that sit in the row's public text only as a piece of
    a longer word, e-mail or hyphenated word (they do not :func:`audits.trust.redact.stands_in` it): what
    redaction at rest kept raw before the whole-word rule (commit 11d848c; redaction scheme 3 since).
    Empty for a bundle written since, whose such values are pseudonymised."""
    from audits.trust.redact import _norm, _row_texts, stands_in

    public = set(public_tasks)
    if samples.empty or not {"task", "prediction"} <= set(samples.columns):
        return []
    rows = [i for i, (task, text) in enumerate(zip(samples["task"].astype(str), samples["prediction"]))
            if task in public and isinstance(text, str) and text]
    texts = [samples["prediction"].iloc[i] for i in rows]
    found = []
    for i, text, spans in zip(rows, texts, redactor.spans(texts)):
        where = " ".join(str(x) for x in _row_texts(samples, i, ["prediction"]))
        found += [ent for a, b, ent in spans if len(text[a:b].strip()) >= 2
                  and _norm(text[a:b]) in _norm(where) and not stands_in(text[a:b], where)]
    return found


def erase(cat: Catalog, run_id: str, actor: str, reason: str | None = None) -> Erasure:
    """Erase the run's personal data and log it, all or nothing (see the module docstring)."""
    from audits.store.queries import audit_log, sealed_notes
    from audits.trust import keys, notes

    with cat.connect() as con:  # refusals first, before the (slow) legacy re-scan
        _check(con, run_id, reason)
    partial, stale_lease = _partial_dir(cat, run_id)  # an interrupted job's checkpoints: raw outputs, in clear
    reason = notes.redact_logged(cat, run_id, reason)  # the log keeps it for good: no raw personal data
    dropped = legacy_files(cat, run_id)
    base = None
    if dropped:
        from audits.store import bundle_reader

        base = bundle_reader.bundle_dir(cat, run_id)
    aside = cat.runs_dir / f".erasing-{run_id}"
    moved: list[str] = []
    result = Erasure(dropped_files=dropped, stale_lease=stale_lease)
    try:
        with cat.connect(write=True) as con:
            signoffs = _check(con, run_id, reason)
            had = keys.run_key(run_id) is not None
            result.sealed_notes_deleted = sealed_notes.delete_run(con, run_id)
            if dropped:
                aside.mkdir(parents=True, exist_ok=True)
                for name in dropped:
                    (base / name).rename(aside / name)
                    moved.append(name)
            if partial is not None:
                aside.mkdir(parents=True, exist_ok=True)
                partial.rename(aside / PARTIAL_ASIDE)
                result.partial_deleted = True
            audit_log.append(con, actor, ERASED, run_id,
                             {"raw_key_destroyed": had, "reason": reason, "signoffs": signoffs,
                              "sealed_notes_deleted": result.sealed_notes_deleted, "dropped_files": dropped,
                              "partial_checkpoints_deleted": result.partial_deleted,
                              **({"stale_lease": stale_lease} if stale_lease else {}),
                              "migration": "files written before today's redaction, still holding personal data, dropped"
                              if dropped else None})
            if had:
                keys.erase_run_key(run_id)  # inside the transaction: a failure here rolls the log entry back
            result.raw_key_destroyed = had
    except BaseException:
        for name in moved:  # the transaction rolled back: the bundle gets its files back
            (aside / name).rename(base / name)
        if result.partial_deleted:
            (aside / PARTIAL_ASIDE).rename(partial)
            result.partial_deleted = False
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return result


def erase_run(cat: Catalog, run_id: str, actor: str, reason: str | None = None) -> bool:
    """:func:`erase`; True when the run kept raw text (its key existed)."""
    return erase(cat, run_id, actor, reason).raw_key_destroyed


PARTIAL_ASIDE = "partial"


def _partial_dir(cat: Catalog, run_id: str) -> "tuple[Path | None, str | None]":
    """(the run's ``.partial-<run_id>`` checkpoints (raw model outputs, kept in clear for ``--resume``) or None,
    why a run still marked ``running`` holds no live lease, or None); AssayError while its job is still alive."""
    from audits.store import lease
    from audits.store.queries import runs as runs_q

    path = cat.runs_dir / f".partial-{run_id}"
    if not path.is_dir():
        return None, None
    run = runs_q.get_run(cat, run_id)
    if str(run.get("status")) != "running":
        return path, None
    host, pid, beat = run.get("lease_host"), run.get("lease_pid"), run.get("heartbeat_at")
    why = lease.not_live(host, pid, beat, started=run.get("created_at"))
    if why is None:
        raise AssayError(f"run '{run_id}' is still running (its job {_job(host, pid)} holds the lease, last heartbeat "
                         f"{beat}), so its checkpoints cannot be erased",
                         f"wait for the run to finish or stop that job, then erase; a lease no job refreshes stops "
                         f"counting {lease.STALE_S:g} s after its last heartbeat")
    return path, f"run '{run_id}' is marked running, but {why}: not a live job, so its checkpoints were erased"


def _job(host: object, pid: object) -> str:
    known = host is not None and host == host and pid is not None and pid == pid
    return f"pid {int(pid)} on {host}" if known else "(no host or pid recorded)"


def _check(con, run_id: str, reason: str | None) -> list[str]:
    from audits.store.queries import policies as policies_q, runs as runs_q

    if not runs_q.run_exists(con, run_id):
        raise AssayError(f"run '{run_id}' does not exist", "list runs with `assay runs`")
    signoffs = policies_q.signoff_ids(con, run_id)
    if signoffs and not (reason or "").strip():
        raise AssayError(f"run '{run_id}' has {len(signoffs)} sign-off(s) resting on its evidence",
                         "pass --reason TEXT (recorded with the sign-offs in the audit log) to erase anyway")
    return signoffs


def _erase(args) -> int:
    cat = Catalog(args.catalog, create=False)
    user = require(cli_user(cat, args.user, args.password_stdin), "erase")
    done = erase(cat, args.run_id, user.name, args.reason)
    what = []
    if done.raw_key_destroyed:
        what.append("its raw text (key destroyed)")
    if done.sealed_notes_deleted:
        what.append(f"{done.sealed_notes_deleted} raw note(s)")
    if done.dropped_files:
        what.append(f"{', '.join(sorted(done.dropped_files))} (written before today's redaction, still holding personal data: dropped, "
                    "their manifest hashes logged)")
    if done.partial_deleted:
        what.append("the interrupted job's resume checkpoints (raw outputs; the run can no longer be resumed)")
    if done.stale_lease:
        print(f"note: {done.stale_lease}")
    print(f"erased from run {args.run_id}: {'; '.join(what)}; every hash kept still verifies" if what else
          f"run {args.run_id} kept no raw text (store_raw was off); the erasure request is logged")
    return 0

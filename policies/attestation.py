"""The people's part of a checklist (re-exported by :mod:`policies.engine`): a manual control's status
from its latest attestation, attesting one with evidence, and the committee's sign-off of a run. Each
signed act records the SHA-256 of the pack files it rests on (``audits.trust.packs``).
"""

from __future__ import annotations

from pathlib import Path

from audits.errors import AssayError
from audits.hashing import sha256_path
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from audits.store.records import AttestationRecord
from audits.trust.packs import pack_hashes
from policies.checklist import ChecklistItem
from policies.schema import Control, load_pack


def apply_attestation(item: ChecklistItem, control: Control, latest: AttestationRecord | None) -> None:
    """``item`` (a manual control) given its status from the latest attestation, or none yet."""
    assert control.attestation is not None
    item.required_role = control.attestation.role
    item.evidence = control.attestation.evidence
    if latest is None:
        item.status = "needs-attestation"
        item.detail = f"needs an attestation by the {control.attestation.role} role, with {control.attestation.evidence} evidence"
        return
    item.attestation = latest
    item.status = "attested" if latest["status"] == "attested" else "fail"
    item.detail = f"{latest['status']} by {latest['username']} ({latest['role']}) on {str(latest['created_at'])[:16]}"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of an attestation's evidence file (``audits.hashing.sha256_path``: the bundle's digest)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise AssayError(f"evidence file {p} does not exist", "check the --file path")
    return sha256_path(p)


def attest(cat: Catalog, run_id: str, pack: str, control_id: str, username: str, role: str, *,
           note: str | None = None, link: str | None = None, file: str | Path | None = None,
           status: str = "attested") -> str:
    """Attest a manual control with evidence; AssayError (nothing stored) on any problem."""
    loaded = load_pack(pack)
    control = loaded.control(control_id)
    if control.attestation is None:
        raise AssayError(f"control {control_id} of pack '{loaded.name}' is an automatic check",
                         "only controls with 'attestation:' are attested; `assay check` evaluates this one")
    need = control.attestation.evidence
    if not (note and note.strip()):
        raise AssayError(f"attesting {control_id} needs a note", "pass --note 'what was checked and where'")
    if need == "link" and not link:
        raise AssayError(f"control {control_id} needs a link as evidence", "pass --link URL")
    if link and not str(link).startswith(("http://", "https://", "file:", "/")):
        raise AssayError(f"evidence link {link!r} is not a URL", "pass --link https://...")
    if need == "file" and file is None:
        raise AssayError(f"control {control_id} needs a file as evidence", "pass --file PATH (its SHA-256 is stored)")
    sha = file_sha256(file) if file is not None else None
    if file is not None and not link:
        link = f"file:{Path(file).name}"
    return policies_q.add_attestation(cat, run_id, loaded.name, control_id, username, role,
                                      required_role=control.attestation.role, status=status, note=note,
                                      evidence_link=link, evidence_sha256=sha, packs=pack_hashes([pack], run_id))


def signoff(cat: Catalog, run_id: str, username: str, role: str, decision: str, note: str | None = None,
            shown: list[str] | None = None) -> str:
    """The committee's sign-off of a run (any other role: AssayError, nothing stored). The signed log
    entry records the SHA-256 of each pack file the run is checked against (``audits.trust.packs``):
    the packs its config names and ``shown``, the packs the committee was looking at (the Policies
    page's selection, ``assay signoff --policy``), so a run whose config names none is pinned too."""
    from audits.store.queries import runs as runs_q

    try:
        sources = [str(p) for p in (runs_q.get_results(cat, run_id).policy or [])]
    except AssayError:  # no such run / no results: add_signoff names the problem
        sources = []
    sources += [str(p) for p in (shown or []) if str(p) not in sources]
    return policies_q.add_signoff(cat, run_id, username, role, decision, note, packs=pack_hashes(sources, run_id))

"""The evidence pack for a regulator: one zip a recipient can check without Assay's catalog.

Contents::

    README.txt              what is inside and how to verify it, step by step
    report.pdf              the audit report (page 1: the five answers)
    checklist.csv           every control of the packs, with its status and evidence
    tables/<name>.csv       every table of the report (metrics, changes, fairness, ...)
    evidence/<file>         the run bundle's files as written (redacted; hashes in the manifest)
    manifest.json           the run manifest (SHA-256 of every bundle file, model/data/code identity)
    checkpoint.json         the audit log's newest signed checkpoint (ed25519, public key inside)
    verify.json             what `assay verify` found when the pack was made
    SHA256SUMS              the SHA-256 of every file above (``sha256sum -c SHA256SUMS``)

The pack's own SHA-256 goes into the audit log (``report.generated``, format ``pack``), so the catalog later proves
which pack was handed over.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.jsontypes import JsonObject
from audits.trust.checkpoint import Checkpoint

SKIP_BUNDLE_FILES = ("raw.enc",)   # encrypted raw text never leaves the installation
_DATE = (2020, 1, 1, 0, 0, 0)      # fixed zip timestamps: the same content gives the same bytes

README = """\
Evidence pack: {audit} {period}, run {run_id}
Made by {actor} on {made} with Assay.

What is inside
--------------
report.pdf        The audit report. Page 1 gives the five answers (accuracy, fairness, privacy,
                  safety, groundedness): the verdict, the number with its 95% confidence interval and sample
                  size, the change since the compared run, failing controls and sign-off status.
checklist.csv     Every control of the policy packs ({packs}): status (pass / fail /
                  inconclusive / no-data / needs-attestation / attested), the measured value, the
                  confidence bound the decision turned on, n, and the evidence (attestation note,
                  link and file hash).
tables/           Every table of the report as CSV.
evidence/         The run's evidence files exactly as the audit wrote them (personal data redacted).
manifest.json     The run manifest: the SHA-256 of every evidence file and the identity of the
                  model, data and code.
checkpoint.json   The newest signed checkpoint of the catalog's hash-chained audit log.
verify.json       The result of Assay's own verification when this pack was made.
SHA256SUMS        The SHA-256 of every file in this pack.

How to verify it
----------------
1. Every file is intact:            sha256sum -c SHA256SUMS
2. The evidence is what the audit wrote: each evidence/<file>'s SHA-256 equals the value under
   "files" in manifest.json, e.g.  sha256sum evidence/samples.parquet
   and this run's manifest SHA-256 is {manifest_sha256} (also on the report's appendix).
3. The audit log is signed: checkpoint.json is signed with ed25519; its public key is the
   "public_key" field, its key id "key_id". With Python and the `cryptography` package:

     import json
     from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
     cp = json.load(open("checkpoint.json"))
     body = {{k: cp[k] for k in ("format", "catalog_id", "count", "head", "ts", "key_id")}}
     msg = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
     Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"])).verify(bytes.fromhex(cp["signature"]), msg)

   Ask the operator to confirm the key id {key_id} is their installation's key
   (`assay keys show`). Holding this checkpoint, anyone can later run
   `assay verify --against checkpoint.json` on the catalog: it fails if any of the first
   {count} log entries was changed or removed.
4. This pack itself: the catalog's audit log records its SHA-256 (action "report.generated",
   format "pack"); ask
   the operator for that entry, or compare with the hash they sent alongside the pack.
"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv(frame: Any) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _checkpoint(cat: Catalog) -> tuple[Checkpoint | None, JsonObject]:
    """The newest valid signed checkpoint and a summary of `assay verify` (trust module)."""
    try:
        from audits.trust.verify import verify
    except ImportError:
        return None, {"verified": False, "problems": ["this installation has no audit-log signing"]}
    report = verify(cat)
    return report.head, {"verified": not report.problems, "problems": list(report.problems),
                         "notes": list(getattr(report, "notes", []) or []), "log_entries": report.entries,
                         "runs": report.runs, "bundles": report.bundles}


def build_pack(cat: Catalog, run_id: str, compare: str | None = None, packs: list[str] | None = None,
               actor: str = "cli") -> tuple[bytes, dict[str, str]]:
    """The pack's zip bytes and its inventory ({name: sha256}); nothing is written or logged."""
    from reports.data import collect
    from reports.document import build_document
    from reports.pdf import render_pdf
    from audits.store import bundle_reader

    data = collect(cat, run_id, compare, packs)
    files: dict[str, bytes] = {"report.pdf": render_pdf(build_document(data)),
                               "checklist.csv": _csv(data.tables["checklist"])}
    for name, frame in data.tables.items():
        files[f"tables/{name}.csv"] = _csv(frame)
    bundle = bundle_reader.bundle_dir(cat, run_id)
    for path in sorted(p for p in bundle.iterdir() if p.is_file()):
        if path.name in SKIP_BUNDLE_FILES or path.name.startswith("."):
            continue
        if path.name == "manifest.json":
            files["manifest.json"] = path.read_bytes()
        else:
            files[f"evidence/{path.name}"] = path.read_bytes()
    if "manifest.json" not in files:
        files["manifest.json"] = data.manifest.to_json().encode("utf-8")
    head, verified = _checkpoint(cat)
    if head is not None:
        files["checkpoint.json"] = (json.dumps(head, indent=2, sort_keys=True) + "\n").encode("utf-8")
    files["verify.json"] = (json.dumps(verified, indent=2, sort_keys=True) + "\n").encode("utf-8")
    run = data.run
    files["README.txt"] = README.format(
        audit=run.get("audit"), period=run.get("period"), run_id=run_id, actor=actor,
        made=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), packs=", ".join(data.packs),
        manifest_sha256=run.get("manifest_sha256") or "—", key_id=(head or {}).get("key_id", "(no checkpoint)"),
        count=(head or {}).get("count", 0)).encode("utf-8")
    inventory = {name: _sha(payload) for name, payload in sorted(files.items())}
    files["SHA256SUMS"] = "".join(f"{sha}  {name}\n" for name, sha in inventory.items()).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue(), inventory


def save_pack(cat: Catalog, run_id: str, output: str | Path, compare: str | None = None,
              packs: list[str] | None = None, actor: str = "cli", force: bool = False) -> tuple[Path, str]:
    """Write the pack to ``output`` (refusing to overwrite without ``force``) and log its SHA-256."""
    from audits.logged_files import commit_logged
    from reports.export import with_packs
    from audits.store.queries import policies as policies_q

    output = Path(output).expanduser()
    if output.suffix.lower() != ".zip":
        raise AssayError(f"evidence pack {output.name} is not a .zip file", "pass --pack FILE.zip")
    if output.exists() and not force:
        raise AssayError(f"{output} already exists", "choose another file name, or pass --force to replace it")
    payload, inventory = build_pack(cat, run_id, compare, with_packs(cat, run_id, packs), actor)
    [(_, sha)] = commit_logged([(output, payload)], lambda path, digest: policies_q.record_report(
        cat, run_id, actor, str(path.resolve()), digest, "pack", compare))  # no file without its log entry
    return output, sha

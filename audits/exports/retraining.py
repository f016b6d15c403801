"""`assay export RUN retraining-sft|retraining-preference -o FILE.jsonl [--keep-pii]
[--exclude-flagged FLAGS] [--only-flagged FLAGS]` (FLAGS: privacy,unsafe,biased; by default an item
any reviewer flagged is left out; ``--exclude-flagged none`` keeps flagged items).

Each export function returns the (PII-scrubbed) records; its ``write`` attribute writes the
JSONL plus ``FILE.manifest.json`` (source run, reviewers, counts, SHA-256) and logs the export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Collection

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.exports.base import EXPORTS
from audits.review import retraining
from audits.store.catalog import Catalog


def _writer(kind: retraining.Kind):
    def write(cat: Catalog, run_id: str, path: Path, keep_pii: bool = False, actor: str = "cli",
              exclude_flags: Collection[str] | None = None, only_flags: Collection[str] = ()) -> str:
        path = Path(path)
        if path.suffix.lower() != ".jsonl":
            raise AssayError(f"retraining-{kind} writes JSONL, not {path.suffix or 'no extension'} ({path.name})",
                             f"name the output file with .jsonl, e.g. -o retraining-{kind}.jsonl")
        m: JsonObject = retraining.write_export(cat, run_id, kind, path, scrub=not keep_pii, actor=actor,
                                                    exclude_flags=exclude_flags, only_flags=only_flags)
        pii = "PII kept (--keep-pii)" if keep_pii else f"PII scrubbed ({m['pii']['redactions']} redactions)"
        ff = m["flag_filter"]
        flags = f"left out {m['n_flagged_out']} flagged {', '.join(ff['exclude']) or 'none'}"
        if ff["only"]:
            flags += f"; only items flagged {', '.join(ff['only'])} ({ff['not_carrying_only_flags']} others left out)"
        return (f"wrote {m['counts']['records']} {kind} records to {path} ({pii}; {flags}); "
                f"manifest {retraining.manifest_path(path)}")
    return write


@EXPORTS.register("retraining-sft")
def retraining_sft(cat: Catalog, run_id: str) -> list[dict]:
    """Chat-format SFT rows from settled review labels (PII scrubbed)."""
    return retraining.build_sft(cat, run_id, scrub=True)


@EXPORTS.register("retraining-preference")
def retraining_preference(cat: Catalog, run_id: str) -> list[dict]:
    """Preference pairs (prompt, chosen = correction, rejected = model output), PII scrubbed."""
    return retraining.build_preference(cat, run_id, scrub=True)


retraining_sft.write = _writer("sft")  # type: ignore[attr-defined]
retraining_preference.write = _writer("preference")  # type: ignore[attr-defined]


def parse_flags(text: str | None) -> list[str] | None:
    """``--exclude-flagged`` / ``--only-flagged`` text: None when not given, [] for "none"."""
    if text is None:
        return None
    if text.strip().lower() in ("", "none"):
        return []
    from audits.store.queries.reviews import check_flags

    return check_flags([f.strip() for f in text.split(",") if f.strip()])

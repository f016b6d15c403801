"""`assay export RUN retraining-sft|retraining-preference -o FILE.jsonl [--keep-pii]`.

Each export function returns the (PII-scrubbed) records; its ``write`` attribute writes the
JSONL plus ``FILE.manifest.json`` (source run, reviewers, counts, SHA-256) and logs the export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audits.errors import AssayError
from audits.exports.base import EXPORTS
from audits.review import retraining
from audits.store.catalog import Catalog


def _writer(kind: retraining.Kind):
    def write(cat: Catalog, run_id: str, path: Path, keep_pii: bool = False, actor: str = "cli") -> str:
        path = Path(path)
        if path.suffix.lower() != ".jsonl":
            raise AssayError(f"retraining-{kind} writes JSONL, not {path.suffix or 'no extension'} ({path.name})",
                             f"name the output file with .jsonl, e.g. -o retraining-{kind}.jsonl")
        m: dict[str, Any] = retraining.write_export(cat, run_id, kind, path, scrub=not keep_pii, actor=actor)
        pii = "PII kept (--keep-pii)" if keep_pii else f"PII scrubbed ({m['pii']['redactions']} redactions)"
        return (f"wrote {m['counts']['records']} {kind} records to {path} ({pii}); "
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

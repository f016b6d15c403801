"""Run bundles: immutable Parquet tables plus a manifest of SHA-256 hashes.

A bundle is written into ``.tmp-<run_id>`` and renamed into place, so a killed job never
leaves a directory that looks complete. Nothing rewrites a bundle; ``verify_bundle``
recomputes every hash.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from audits.errors import AssayError
from audits.hashing import sha256_bytes, sha256_path
from audits.jsontypes import JsonObject
from audits.store.manifest import BUNDLE_FORMAT, MANIFEST, Manifest, load_manifest

__all__ = ["BUNDLE_FORMAT", "MANIFEST", "Manifest", "read_manifest", "sha256_bytes", "sha256_path", "verify_bundle",
           "write_bundle"]


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    # Row groups sorted by task keep per-task reads cheap; statistics let DuckDB skip groups.
    pq.write_table(table, path, compression="zstd", row_group_size=64_000, write_statistics=True)


def write_bundle(runs_dir: Path, run_id: str, tables: dict[str, pd.DataFrame], results: JsonObject,
                 config: JsonObject, manifest: Manifest | JsonObject,
                 files_extra: dict[str, bytes] | None = None) -> tuple[Path, str]:
    """Write the bundle atomically; return (final path, SHA-256 of manifest.json).

    ``manifest``: the run's identities (a :class:`Manifest`, or its fields as the runner builds them;
    validated here, so what is written always reads back typed); ``run_id`` and ``files`` are set here.
    ``files_extra``: other files (name -> bytes, e.g. the encrypted ``raw.enc``), hashed like the rest."""
    manifest = manifest if isinstance(manifest, Manifest) else Manifest.model_validate(manifest)
    runs_dir.mkdir(parents=True, exist_ok=True)
    tmp = runs_dir / f".tmp-{run_id}"
    final = runs_dir / run_id
    if final.exists():
        raise FileExistsError(f"bundle {final} already exists; bundles are immutable")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    files: dict[str, str] = {}
    for name, frame in tables.items():
        if frame is None:
            continue
        path = tmp / f"{name}.parquet"
        _write_table(frame, path)
        files[path.name] = sha256_path(path)
    for name, text in (("results.json", json.dumps(results, indent=2, sort_keys=False, default=_json_default)),
                       ("config.yaml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))):
        (tmp / name).write_text(text, encoding="utf-8")
        files[name] = sha256_path(tmp / name)
    for name, data in (files_extra or {}).items():
        (tmp / name).write_bytes(data)
        files[name] = sha256_path(tmp / name)
    manifest_text = manifest.model_copy(update={"format": BUNDLE_FORMAT, "run_id": run_id, "files": files}).to_json()
    (tmp / MANIFEST).write_text(manifest_text, encoding="utf-8")
    for path in tmp.iterdir():
        path.chmod(0o444)
    os.sync() if hasattr(os, "sync") else None
    tmp.rename(final)
    return final, sha256_bytes(manifest_text.encode("utf-8"))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def read_manifest(bundle: Path) -> Manifest:
    """The bundle's typed manifest (any version, migrated in memory); AssayError naming the file and the
    key when it is malformed (truncated, binary, a list, a files map that is not name -> SHA-256, ...)."""
    return load_manifest(bundle / MANIFEST)


def verify_bundle(bundle: Path, manifest_sha256: str | None, dropped: dict[str, str] | None = None) -> list[str]:
    """Problems found (empty = intact): missing/extra/altered files, a replaced manifest. ``dropped``:
    files a logged erase removed ({name: the SHA-256 it logged}), absent without a problem when that
    hash is the manifest's."""
    name = bundle.name
    if not bundle.is_dir():
        return [f"run {name}: bundle directory {bundle} is missing"]
    manifest_path = bundle / MANIFEST
    if not manifest_path.exists():
        return [f"run {name}: manifest.json is missing"]
    problems = []
    if manifest_sha256 and sha256_path(manifest_path) != manifest_sha256:
        problems.append(f"run {name}: manifest.json was altered (hash differs from the catalog)")
    try:
        files = read_manifest(bundle).files
    except AssayError as err:
        return problems + [f"run {name}: manifest.json is malformed: {err.problem}"]
    for fname, digest in files.items():
        path = bundle / fname
        if not path.exists():
            if (dropped or {}).get(fname) != digest:
                problems.append(f"run {name}: {fname} is missing")
        elif sha256_path(path) != digest:
            problems.append(f"run {name}: {fname} was altered")
    extra = sorted(p.name for p in bundle.iterdir() if p.name not in files and p.name != MANIFEST)
    problems += [f"run {name}: unexpected file {x}" for x in extra]
    return problems

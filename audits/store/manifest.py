"""The typed run manifest: ``manifest.json`` of a bundle, read back as one model.

The manifest says what exactly produced a run (config hash, model, data, code, packages, hardware),
how it was executed, how personal data was protected at rest, and the SHA-256 of every bundle file.
:func:`audits.store.bundle.write_bundle` writes it; every reader (verify, erase, reports, the
dashboard) imports :class:`Manifest` instead of walking the dict. Field order is part of the file
format (like :class:`audits.results.RunResults`).

Versions
--------
- 1: the dict written before this module (no ``manifest_version`` key). Older bundles may lack
  ``personal_data`` (redaction scheme 1), ``execution`` and ``rows_skipped_missing``, and may name
  the model ``name``/``path``/``id`` (read as ``model``, see :class:`audits.identity.ModelIdentity`).
- 2: this module. Adds ``manifest_version``.
- 3: each dataset records every row it left out: ``rows_read`` (before ``dataset.filter``),
  ``rows_filtered_out``, ``rows_skipped`` (count by reason: a missing prompt field under
  ``on_missing: skip``, a raw log's rows with no input or no output) and ``out_of_order``. Bundles
  before it read these as None: not recorded (a version 2 bundle's ``rows_skipped_missing`` stays).
  Added since within version 3: ``raw_log`` (path, SHA-256, format of the raw log a flat table was
  imported from with `assay logs import`); None: not imported, or written before.

Bundles are immutable: an old manifest is never rewritten; :func:`parse_manifest` migrates it in
memory. A malformed one is a one-line :class:`AssayError` naming the file and the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from audits.errors import AssayError
from audits.identity import ModelIdentity
from audits.jsontypes import JsonObject
from audits.results import WrittenModelIdentity, jsonable

MANIFEST = "manifest.json"
BUNDLE_FORMAT = "assay-bundle/1"
MANIFEST_VERSION = 3
_FIX = "restore the bundle from a backup; `assay verify` shows what changed"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class RawLogIdentity(_Open):
    """The raw production log a flat table was imported from (``audits.datasets.raw_log``): the run's data
    traces to this exact file."""

    path: str
    sha256: str
    format: str
    rows_read: int | None = None
    rows_kept: int | None = None


class DatasetIdentity(_Open):
    """One task's data: where it came from, its content hash and how many rows were used."""

    source: str | None = None
    sha256: str | None = None
    rows_used: int | None = None
    rows_in_source: int | None = None
    rows_skipped_missing: int | None = None  # rows left out for a missing prompt field (version 2 bundles)
    # version 3: every row left out, so a reader can account for rows_read -> rows_used (None: not recorded)
    rows_read: int | None = None          # rows the source held, before dataset.filter and any skip
    rows_filtered_out: int | None = None  # rows dataset.filter left out
    rows_skipped: dict[str, int] | None = None  # reason -> rows left out ({} = none skipped)
    out_of_order: int | None = None       # a raw log's rows logged after a later one (kept, counted)
    raw_log: RawLogIdentity | None = None  # the raw log `assay logs import` made this file from (None: not one)

    def skipped_line(self) -> str:
        """The rows left out, in words: ``'3 skipped (no output); 2 filtered out'``, ``'none skipped'``, or
        ``'not recorded'`` for a bundle written before manifest version 3."""
        if self.rows_skipped is None:
            return "not recorded (bundle written before manifest version 3)"
        parts = [f"{n} skipped ({why})" for why, n in self.rows_skipped.items()]
        parts += [f"{self.rows_filtered_out} filtered out (dataset.filter)"] if self.rows_filtered_out else []
        parts += [f"{self.out_of_order} out of timestamp order (kept)"] if self.out_of_order else []
        return "; ".join(parts) or "none skipped"


class CodeIdentity(_Open):
    sha256: str | None = None  # over Assay's own source files (audits.identity.code_sha256)
    git_commit: str | None = None


class StageRecord(_Open):
    """Throughput of one pipeline stage (audits.executors.base.StageStats as written)."""

    name: str
    rows: int = 0
    rows_resumed: int = 0
    blocks: int = 0
    blocks_resumed: int = 0
    wall_s: float = 0.0
    workers: int | None = None
    rows_per_s: float | None = None


class ClusterInfo(_Open):
    nodes: int | None = None
    cpus: float | None = None
    gpus: float | None = None


class ExecutionRecord(_Open):
    """Where the numbers were made: executor, workers, GPU type, stages (audits.executors.base.Execution)."""

    kind: str | None = None
    workers: int | None = None
    gpu_type: str | None = None
    stages: list[StageRecord] = Field(default_factory=list)
    device: str | None = None        # local: the backend's device
    model_load_s: float | None = None
    address: str | None = None       # ray: the cluster's address
    cluster: ClusterInfo | None = None
    ray: str | None = None           # ray: its version
    wall_s: float | None = None


class PersonalData(_Open):
    """How personal data was protected at rest (audits.trust.rawstore.protect's summary).

    ``scheme`` is the redaction scheme: 1 for bundles from before it was recorded."""

    redacted: bool = False
    scheme: int = 1
    detector: bool | None = None
    redactions: int = 0
    raw_kept: bool = False
    pseudonyms: str | None = None
    kept_public: list[str] = Field(default_factory=list)


class Manifest(_Open):
    """The whole ``manifest.json`` of a run bundle. Extra keys are kept (a newer writer's)."""

    format: str = BUNDLE_FORMAT
    manifest_version: int = MANIFEST_VERSION
    run_id: str = ""
    audit: str | None = None
    period: str | None = None
    created_by: str | None = None
    created_at: str | None = None
    config_sha256: str | None = None
    model: WrittenModelIdentity = Field(default_factory=ModelIdentity)
    limit: int | None = None
    datasets: dict[str, DatasetIdentity] = Field(default_factory=dict)
    code: CodeIdentity = Field(default_factory=CodeIdentity)
    packages: dict[str, str] = Field(default_factory=dict)
    environment: dict[str, str] = Field(default_factory=dict)
    seed: int | None = None
    bootstrap_resamples: int | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    execution: ExecutionRecord | None = None
    personal_data: PersonalData = Field(default_factory=PersonalData)
    files: dict[str, str] = Field(default_factory=dict, description="bundle file name -> SHA-256")

    @field_validator("files")
    @classmethod
    def _inside_the_bundle(cls, files: dict[str, str]) -> dict[str, str]:
        if any(Path(k).name != k or k in ("", ".", "..") for k in files):
            raise ValueError("names a file outside the bundle")
        return files

    @property
    def scheme(self) -> int:
        """The redaction scheme the bundle was written with (1 before ``scheme`` was recorded)."""
        return self.personal_data.scheme

    def to_json(self) -> str:
        """The file's text (what :func:`audits.store.bundle.write_bundle` hashes)."""
        return json.dumps(jsonable(self.model_dump(mode="python")), indent=2)


def _migrate_v1(data: JsonObject) -> JsonObject:
    """Version 1 (untyped) -> 2: a bare or null section becomes its default; the version is recorded."""
    data = dict(data)
    for key in ("datasets", "code", "packages", "environment", "timings", "personal_data", "files"):
        if data.get(key) is None:
            data.pop(key, None)
    data["manifest_version"] = 2
    return data


def _migrate_v2(data: JsonObject) -> JsonObject:
    """Version 2 -> 3: the row accounting was not recorded, so it stays None (never guessed as zero; a
    version 2 ``rows_skipped_missing`` is kept as written); the version is recorded."""
    data = dict(data)
    data["manifest_version"] = 3
    return data


def parse_manifest(data: Any, source: str = MANIFEST) -> Manifest:
    """Validate (and migrate) a parsed manifest; one-line AssayError naming ``source`` and the key."""
    if not isinstance(data, dict):
        raise AssayError(f"{source} holds a JSON {type(data).__name__}, not an object", _FIX)
    version = data.get("manifest_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MANIFEST_VERSION:
        raise AssayError(f"{source}: unknown manifest_version {version!r} (this Assay reads 1 to {MANIFEST_VERSION})",
                         "upgrade Assay to read bundles written by a newer version")
    if version == 1:
        data = _migrate_v1(data)
    if data["manifest_version"] == 2:
        data = _migrate_v2(data)
    files = data.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise AssayError(f"{source} has no valid 'files' map of name -> SHA-256", _FIX)
    try:
        return Manifest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        if key == "files":
            raise AssayError(f"{source} {first['msg'].removeprefix('Value error, ')}", _FIX) from None
        raise AssayError(f"{source}: invalid manifest at '{key}': {first['msg']} (got {first.get('input')!r:.60})",
                         _FIX) from None


def load_manifest(path: Path) -> Manifest:
    """Read and validate ``manifest.json``; AssayError naming the file (and the key) when malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssayError(f"{path} does not exist", "check the bundle with `assay verify`") from None
    except UnicodeDecodeError:
        raise AssayError(f"{path} is not text (binary?)", _FIX) from None
    except OSError as err:
        raise AssayError(f"cannot read {path}: {err.strerror}", "check the bundle's permissions") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as err:
        raise AssayError(f"{path} is not valid JSON ({err.msg} at line {err.lineno})", _FIX) from None
    return parse_manifest(body, str(path))

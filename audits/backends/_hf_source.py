"""Where the hf backend's weights come from: the alias, a local directory, or a hub id.

Everything resolves to a local directory plus the facts the run's manifest needs (weights
SHA-256, the SHA-256 of the tokenizer and config files beside them, hub revision). Offline, a hub id only works if it is already in the local hub cache.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from audits.backends import smollm2
from audits.backends._files import sha256_files
from audits.errors import AssayError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_WEIGHT_GLOBS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.gguf")
_HUB_PATTERNS = ["*.json", "*.jinja", "*.model", "*.txt", "*.tiktoken", "tokenizer*"]
# Assay's own marker in a converted smollm2 copy (conversion time, source path): decides no output
_NOT_BEHAVIOUR = frozenset({"assay-converted.json"})


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: the directory to load and how to identify its weights."""

    model: str  # the alias, local path or hub id as configured
    local_dir: Path
    weights_sha256: str
    revision: str | None = None
    # every non-weight file that decides outputs (tokenizer, chat template, generation and model config)
    tokenizer_sha256: str | None = None


def resolve_source(path: str, revision: str | None = None, cache_dir: Path | None = None) -> ModelSource:
    """Resolve ``model.path`` (alias / local dir / hub id) to a local directory."""
    if path == smollm2.ALIAS:
        folder = smollm2.smollm2_dir(cache_dir)
        return ModelSource(path, folder, smollm2.gguf_sha256(cache_dir),
                           tokenizer_sha256=tokenizer_sha256(folder, cache_dir))
    local = Path(path).expanduser()
    if local.exists():
        if not local.is_dir():
            raise AssayError(f"model path '{path}' is a file, not a model directory",
                             "pass the directory that holds config.json and the weights, or the alias 'smollm2'")
        if not (local / "config.json").is_file():
            raise AssayError(f"model directory '{path}' has no config.json",
                             "pass a transformers model directory (save_pretrained output), or the alias 'smollm2'")
        return ModelSource(str(local), local.resolve(), _weights_sha256(local, cache_dir),
                           tokenizer_sha256=tokenizer_sha256(local, cache_dir))
    if _looks_like_hub_id(path):
        return _resolve_hub(path, revision, cache_dir)
    raise AssayError(f"model directory '{path}' does not exist",
                     "check model.path (relative paths resolve against the config file's folder), "
                     "or use the alias 'smollm2'")


def _looks_like_hub_id(path: str) -> bool:
    return bool(_HUB_ID.match(path)) and not path.startswith((".", "~"))


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _resolve_hub(repo_id: str, revision: str | None, cache_dir: Path | None) -> ModelSource:
    from huggingface_hub import snapshot_download

    offline = _hub_offline()
    try:
        folder = Path(snapshot_download(repo_id, revision=revision, local_files_only=offline,
                                        allow_patterns=_HUB_PATTERNS + ["*.safetensors"]))
        if not list(folder.glob("*.safetensors")):  # older repos only ship pytorch_model.bin
            folder = Path(snapshot_download(repo_id, revision=revision, local_files_only=offline,
                                            allow_patterns=_HUB_PATTERNS + ["*.bin"]))
    except Exception as err:  # huggingface_hub raises many types; all mean "cannot get it"
        if offline:
            raise AssayError(f"model path '{repo_id}' does not exist locally and the hub is offline",
                             "pass a local model directory or the alias 'smollm2'") from None
        raise AssayError(f"cannot fetch model '{repo_id}' (revision {revision or 'main'}) from the hub: "
                         f"{type(err).__name__}", "check the model id, revision, network and HF_TOKEN") from None
    # Snapshot folders are named by commit hash, which pins the exact revision used.
    return ModelSource(repo_id, folder, _weights_sha256(folder, cache_dir), revision=folder.name,
                       tokenizer_sha256=tokenizer_sha256(folder, cache_dir))


def _weights_sha256(folder: Path, cache_dir: Path | None) -> str:
    for pattern in _WEIGHT_GLOBS:
        files = sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith("training_args"))
        if files:
            return sha256_files(files, cache_dir)
    raise AssayError(f"model directory '{folder}' holds no weights (*.safetensors or *.bin)",
                     "save the model with save_pretrained, or point model.path at the complete directory")



def tokenizer_sha256(folder: Path, cache_dir: Path | None = None) -> str:
    """SHA-256 over every non-weight file of a model directory that decides its outputs: tokenizer files,
    the chat template (``chat_template.jinja`` or inside ``tokenizer_config.json``), ``special_tokens_map.json``,
    ``generation_config.json`` and ``config.json``. The weights hash alone lets a swapped tokenizer or chat
    template change answers under the same recorded model. Name and content of each file count (the SHA-256
    of the ``sha256  name`` lines in name order: :func:`audits.hashing.sha256_files` with ``listing``), so a
    renamed or removed file changes it too."""
    files = {p for pattern in _HUB_PATTERNS for p in Path(folder).glob(pattern)
             if p.is_file() and p.name not in _NOT_BEHAVIOUR and not _is_weight(p)}
    return sha256_files(list(files), cache_dir, listing=True)


def _is_weight(path: Path) -> bool:
    return any(path.match(pattern) for pattern in _WEIGHT_GLOBS)

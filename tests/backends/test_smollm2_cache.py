"""The converted-copy cache of the embedded GGUF model, and its atomic install."""

from __future__ import annotations

import pytest

from audits.backends import smollm2 as smol
from audits.backends._files import install_atomically, sha256_file


@pytest.mark.slow
def test_second_load_uses_the_cached_copy(smollm2, model_cache):
    import torch

    from audits.backends.hf import HFBackend

    folder = smollm2.source.local_dir
    assert folder.parent == model_cache / "models"
    assert folder.name == f"smollm2-135m-instruct-{sha256_file(smol.gguf_path())[:12]}"
    weights = folder / "model.safetensors"
    before = weights.stat()
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    assert not list(folder.parent.glob(".tmp-*"))  # no leftovers from the conversion

    second = HFBackend(smollm2.config.model_copy(), cache_dir=model_cache)
    after = weights.stat()
    assert second.source.local_dir == folder
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    assert second.identity()["weights_sha256"] == smollm2.identity()["weights_sha256"] == sha256_file(smol.gguf_path())
    for (name, a), (_, b) in zip(smollm2.model.state_dict().items(), second.model.state_dict().items()):
        assert torch.equal(a, b), name
    second.close()


def test_install_atomically_keeps_the_first_complete_copy(tmp_path):
    final = tmp_path / "models" / "m"

    def build(folder):
        (folder / "weights").write_text("first")

    assert install_atomically(final, build) == final
    assert (final / "weights").read_text() == "first"

    def other(folder):  # a racing process that finished second
        (folder / "weights").write_text("second")

    final_tmp_racer = tmp_path / "models" / "m2"
    final_tmp_racer.mkdir()
    (final_tmp_racer / "weights").write_text("winner")
    assert install_atomically(final_tmp_racer, other) == final_tmp_racer
    assert (final_tmp_racer / "weights").read_text() == "winner"
    assert not list(final.parent.glob(".tmp-*"))


def test_failed_build_leaves_no_cache(tmp_path):
    final = tmp_path / "models" / "m"

    def broken(folder):
        (folder / "half").write_text("partial")
        raise KeyboardInterrupt  # e.g. the user pressed Ctrl-C mid-conversion

    with pytest.raises(KeyboardInterrupt):
        install_atomically(final, broken)
    assert not final.exists()
    assert not list(final.parent.glob(".tmp-*"))


def test_sha256_is_cached_by_path_mtime_and_size(tmp_path):
    import hashlib
    import os

    data = tmp_path / "w.bin"
    data.write_bytes(b"a" * 3_000_000)
    cache = tmp_path / "cache"
    first = sha256_file(data, cache)
    assert first == hashlib.sha256(b"a" * 3_000_000).hexdigest()
    assert len(list((cache / "sha256").iterdir())) == 1
    data.write_bytes(b"b" * 3_000_000)
    os.utime(data, ns=(1, 1))  # a changed file gets a new key, so a new hash
    assert sha256_file(data, cache) == hashlib.sha256(b"b" * 3_000_000).hexdigest()

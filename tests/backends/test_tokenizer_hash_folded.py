"""The tokenizer hash goes through the one hashing function (audits.hashing.sha256_files with ``listing``)
and keeps the digests recorded before: the ``sha256  name`` lines in name order, even for one file or none."""

from __future__ import annotations

import hashlib
import inspect

from audits.backends import _hf_source
from audits.backends._hf_source import tokenizer_sha256
from audits.hashing import sha256_files


def _recorded_form(files) -> str:
    """tokenizer_sha256 as written before the fold (commit 46cdef8), spelled out with hashlib."""
    lines = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def test_tokenizer_hash_is_the_one_function_with_the_recorded_digests(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "tokenizer_config.json").write_text('{"chat_template": "{{ x }}"}')
    (model / "config.json").write_text('{"model_type": "llama"}')
    (model / "a_vocab.txt").write_text("abc")  # ba78...: name order differs from digest order (81dd, ba78, d300)
    (model / "model.safetensors").write_bytes(b"weights")
    (model / "assay-converted.json").write_text("{}")
    kept = [model / "a_vocab.txt", model / "config.json", model / "tokenizer_config.json"]
    cache = tmp_path / "cache"
    assert tokenizer_sha256(model, cache) == _recorded_form(kept) == sha256_files(kept, cache, listing=True)
    assert tokenizer_sha256(model, cache) != sha256_files(kept, cache)  # the weights' form sorts by digest
    one = tmp_path / "one"
    one.mkdir()
    (one / "config.json").write_text('{"model_type": "llama"}')
    # one file: the listing (name counts), not the file's own digest as sha256_files gives for weights
    assert tokenizer_sha256(one, cache) == _recorded_form([one / "config.json"])
    assert tokenizer_sha256(one, cache) != sha256_files([one / "config.json"], cache)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert tokenizer_sha256(empty, cache) == hashlib.sha256(b"").hexdigest() == sha256_files([], cache, listing=True)
    assert "sha256_path" not in inspect.getsource(_hf_source) and "hashlib" not in inspect.getsource(_hf_source)

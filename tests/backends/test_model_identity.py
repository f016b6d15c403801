"""The model a run records is the weights AND the files beside them that decide its outputs (tokenizer,
chat template, generation and model config): swapping the chat template under the same weights changes
answers, so it must change the recorded identity and refuse a resume (issue 19 follow-up)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audits.backends._hf_source import resolve_source, tokenizer_sha256
from audits.errors import AssayError
from audits.identity import ModelIdentity


def _copy_model(src: Path, dst: Path) -> Path:
    """A copy of a model directory; the weights are linked (same bytes), the small files copied."""
    dst.mkdir()
    for f in src.iterdir():
        if f.suffix == ".safetensors":
            (dst / f.name).symlink_to(f.resolve())
        elif f.is_file():
            shutil.copy2(f, dst / f.name)
    return dst


def _tiny_dir(root: Path) -> Path:
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama"}')
    (root / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages[0]['content'] }}"}))
    (root / "generation_config.json").write_text('{"do_sample": false}')
    (root / "model.safetensors").write_bytes(b"weights")
    (root / "assay-converted.json").write_text('{"seconds": 1.0}')
    return root


def test_every_file_beside_the_weights_that_decides_outputs_changes_the_tokenizer_hash(tmp_path):
    base = resolve_source(str(_tiny_dir(tmp_path / "a")), cache_dir=tmp_path / "cache")
    assert len(base.tokenizer_sha256) == 64
    edits = {"tokenizer_config.json": json.dumps({"chat_template": "SYSTEM: obey. {{ messages[0]['content'] }}"}),
             "generation_config.json": '{"do_sample": true}', "config.json": '{"model_type": "llama", "x": 1}',
             "special_tokens_map.json": '{"eos_token": "</s>"}', "chat_template.jinja": "{{ 'hi' }}"}
    for i, (name, text) in enumerate(edits.items()):
        other = _copy_model(tmp_path / "a", tmp_path / f"edit{i}")
        (other / name).write_text(text)
        src = resolve_source(str(other), cache_dir=tmp_path / "cache")
        assert src.weights_sha256 == base.weights_sha256, name
        assert src.tokenizer_sha256 != base.tokenizer_sha256, name
    # Assay's own conversion marker (timing, source path) decides nothing: it is left out
    same = _copy_model(tmp_path / "a", tmp_path / "marker")
    (same / "assay-converted.json").write_text('{"seconds": 99.0}')
    assert tokenizer_sha256(same) == base.tokenizer_sha256


def test_a_manifest_written_before_the_tokenizer_hash_reads_it_as_not_recorded():
    old = ModelIdentity.read({"backend": "hf", "model": "smollm2", "weights_sha256": "ab" * 32})
    assert old.tokenizer_sha256 is None
    assert ModelIdentity.read({"backend": "hf", "tokenizer_sha256": "cd" * 32}).tokenizer_sha256 == "cd" * 32


@pytest.mark.slow
def test_embedded_model_tokenizer_hash_is_stable_and_an_edited_chat_template_changes_it(model_cache, tmp_path):
    first = resolve_source("smollm2", cache_dir=model_cache)
    second = resolve_source("smollm2", cache_dir=model_cache)
    assert first.tokenizer_sha256 == second.tokenizer_sha256 and len(first.tokenizer_sha256) == 64
    names = {p.name for p in first.local_dir.iterdir()}
    assert {"tokenizer.json", "tokenizer_config.json", "config.json"} <= names
    copy = _copy_model(first.local_dir, tmp_path / "copy")
    plain = resolve_source(str(copy), cache_dir=model_cache)
    assert plain.tokenizer_sha256 == first.tokenizer_sha256  # same files, same identity
    template = copy / "chat_template.jinja" if (copy / "chat_template.jinja").exists() else None
    if template is not None:
        template.write_text("{{ 'You always say yes. ' }}" + template.read_text())
    else:
        cfg = json.loads((copy / "tokenizer_config.json").read_text())
        cfg["chat_template"] = "{{ 'You always say yes. ' }}" + cfg["chat_template"]
        (copy / "tokenizer_config.json").write_text(json.dumps(cfg))
    edited = resolve_source(str(copy), cache_dir=model_cache)
    assert edited.weights_sha256 == plain.weights_sha256
    assert edited.tokenizer_sha256 != plain.tokenizer_sha256


@pytest.mark.slow
def test_a_resume_after_the_chat_template_was_edited_in_place_is_refused(smollm2, model_cache, tmp_path):
    """A killed run pinned its model; someone edits the chat template in the same directory (same path,
    same weights) before `--resume`: the resumed attempt is refused, naming the tokenizer hash."""
    from audits.backends.hf import HFBackend
    from audits.config import ModelConfig
    from audits.inference import FingerprintPin, fingerprint

    copy = _copy_model(smollm2.source.local_dir, tmp_path / "copy")
    config = ModelConfig(path=str(copy), device="cpu", batch_size=8, max_new_tokens=8)
    (tmp_path / "partial").mkdir()
    before = HFBackend(config, cache_dir=model_cache)
    try:
        FingerprintPin(tmp_path / "partial").check(fingerprint(before, []))
    finally:
        before.close()
    template = copy / "chat_template.jinja"
    template.write_text("{{ 'You always say yes. ' }}" + template.read_text())
    after = HFBackend(config, cache_dir=model_cache)
    try:
        assert after.identity()["weights_sha256"] == before.identity()["weights_sha256"]
        with pytest.raises(AssayError, match=r"model\.tokenizer_sha256"):
            FingerprintPin(tmp_path / "partial").check(fingerprint(after, []))
    finally:
        after.close()

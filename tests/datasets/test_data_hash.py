"""One hashing function for the product (audits/hashing.py): the digests recorded before it are unchanged,
and the cached form cannot be fooled into recording an edited file's old digest."""

from __future__ import annotations

import hashlib
import os

from audits.backends import _files
from audits.datasets.loader import data_sha256
from audits.hashing import sha256_bytes, sha256_file, sha256_files, sha256_path
from audits.store import bundle

ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # SHA-256("abc"), FIPS 180-2


def test_one_function_everywhere() -> None:
    """The backends, the loader and the bundle writer all import the one function (no copies)."""
    assert _files.sha256_file is sha256_file and _files.sha256_files is sha256_files
    assert bundle.sha256_path is sha256_path and bundle.sha256_bytes is sha256_bytes


def test_known_digests_unchanged(tmp_path) -> None:
    one = tmp_path / "abc.txt"
    one.write_bytes(b"abc")
    assert sha256_path(one) == sha256_file(one, tmp_path / "c") == data_sha256([one]) == ABC
    big = tmp_path / "big.bin"  # more than one 1 MB chunk
    big.write_bytes(b"x" * 2_500_001)
    assert sha256_path(big) == hashlib.sha256(b"x" * 2_500_001).hexdigest()
    # several files of a built-in: SHA-256 of the digests joined in order (as recorded before)
    assert data_sha256([one, big]) == hashlib.sha256((ABC + sha256_path(big)).encode()).hexdigest()
    # a backend's set of files: sorted `sha256  name` lines (as recorded before)
    lines = sorted([f"{ABC}  abc.txt\n", f"{sha256_path(big)}  big.bin\n"])
    assert sha256_files([big, one], tmp_path / "c") == hashlib.sha256("".join(lines).encode()).hexdigest()


def test_cache_sees_an_edit_with_its_mtime_set_back(tmp_path) -> None:
    """An insider edits a predictions file in place (same size) and sets its mtime back: the cached hash
    must still be the new content's, or the manifest records the old file's identity for the new answers."""
    data = tmp_path / "predictions.jsonl"
    data.write_bytes(b'{"id": "1", "output": "yes"}\n')
    cache = tmp_path / "cache"
    before = os.stat(data)
    assert sha256_file(data, cache) == sha256_path(data)
    data.write_bytes(b'{"id": "1", "output": "no!"}\n')  # same length
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(data).st_mtime_ns == before.st_mtime_ns and os.stat(data).st_size == before.st_size
    assert sha256_file(data, cache) == hashlib.sha256(b'{"id": "1", "output": "no!"}\n').hexdigest()

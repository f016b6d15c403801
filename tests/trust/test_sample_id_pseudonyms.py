"""Sample ids from production logs can be personal data (an e-mail, a phone, a name): they are
pseudonymised like cluster ids, alike in every table of a bundle and in every run of an installation
(so the review queue, reviews and paired comparisons still join), and ids without personal data are
left as they are. Before, they were stored raw in every table (only counted in the manifest)."""

from __future__ import annotations

import pandas as pd


IDS = ["jane.doe@example.com", "+1 415-555-0132", "Derrick Jones", "s5", "s6", "q-17"]


def _tables() -> dict[str, pd.DataFrame]:
    n = len(IDS)
    return {"samples": pd.DataFrame({"task": ["t"] * n, "sample_id": IDS, "input": ["What is 1 + 1?"] * n,
                                     "prediction": ["2"] * n}),
            "findings": pd.DataFrame({"task": ["t"], "sample_id": [IDS[0]], "context": ["x"], "value": ["x"]}),
            "explanations": pd.DataFrame({"task": ["t", "t"], "sample_id": [IDS[2], IDS[2]], "position": [0, 1],
                                          "token": ["What", " is"]}),
            "review_queue": pd.DataFrame({"task": ["t"] * n, "sample_id": IDS, "reason": ["random"] * n}),
            "counterfactuals": pd.DataFrame({"task": ["t"], "sample_id": [IDS[1]], "prompt": ["p"], "output": ["o"]})}


def test_ids_holding_personal_data_are_pseudonymised_alike_in_every_table_and_run(key_dir):
    from audits.trust import rawstore

    first, files, summary = rawstore.protect("r1", _tables(), None)
    ids = first["samples"]["sample_id"].tolist()
    assert [i.split(" #")[0] for i in ids[:3]] == ["<EMAIL_ADDRESS>", "<PHONE_NUMBER>", "<PERSON>"]
    assert all(len(i.split(" #")[1]) == 12 for i in ids[:3]) and len(set(ids)) == len(ids)
    assert ids[3:] == ["s5", "s6", "q-17"]  # no personal data (spaCy's 2-letter 'places' aside): kept
    assert first["review_queue"]["sample_id"].tolist() == ids
    assert first["findings"]["sample_id"].tolist() == [ids[0]]
    assert first["explanations"]["sample_id"].tolist() == [ids[2], ids[2]]
    assert first["counterfactuals"]["sample_id"].tolist() == [ids[1]]
    assert summary.model_dump()["ids_with_personal_data"]["sample_id"] == 3 and files == {}
    dump = "".join(f.to_csv() for f in first.values())
    assert not any(v in dump for v in IDS[:3])
    again, _, _ = rawstore.protect("r2", _tables(), None)  # another run, same installation: same pseudonyms
    assert again["samples"]["sample_id"].tolist() == ids


def test_the_pseudonym_needs_the_installation_key(key_dir, tmp_path, monkeypatch):
    """A guessed e-mail cannot be tested against a pseudonym without the key dir (an unkeyed hash could)."""
    from audits.trust import rawstore

    mine = rawstore.protect("r1", _tables(), None)[0]["samples"]["sample_id"].tolist()
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "other-keys"))
    theirs = rawstore.protect("r1", _tables(), None)[0]["samples"]["sample_id"].tolist()
    assert mine[:3] != theirs[:3] and mine[3:] == theirs[3:]


def test_kept_raw_ids_are_sealed_with_the_runs_raw_text(key_dir):
    from audits.trust import rawstore

    tables = _tables()
    out, files, _ = rawstore.protect("r3", tables, {"pii": {"store_raw": True}})
    assert rawstore.RAW_FILE in files and b"jane.doe" not in files[rawstore.RAW_FILE]
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / rawstore.RAW_FILE).write_bytes(files[rawstore.RAW_FILE])
        raw = rawstore.read_raw(Path(tmp), "r3")
    back = rawstore.with_raw(out["samples"], raw, "samples")
    assert back["raw_sample_id"].tolist() == IDS

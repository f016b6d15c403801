"""The report leads with the answer (page 1), carries evidence and sign-off, and packs for a regulator."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from pypdf import PdfReader

import reports
from audits.cli import main as cli
from audits.store.queries import audit_log
from reports.pack import save_pack
from reports.verdicts import area_verdicts


@pytest.fixture(scope="module")
def page_one(report_runs):
    cat, _, q4 = report_runs
    pdf = reports.build_pdf(cat, q4)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    return pages[0], "\n".join(pages)


def test_page_one_carries_the_four_verdicts_failing_controls_and_sign_off(page_one, report_runs):
    first, _ = page_one
    text = " ".join(first.split())
    assert "unit-audit" in text and "2026-Q4" in text and "test-model" in text
    assert "The five answers" in text
    # the verdicts are the checklist's: accuracy passes, the four-fifths ratio and the leak rate fail
    assert "Accuracy pass 0.88 [0.865, 0.894], exact binomial, n=2,000" in text
    assert "Fairness fail 0.7 (upper bound 0.765; threshold: at least 0.8), n=2,000" in text
    assert "Privacy fail 0.05 [0.0409, 0.0605], exact binomial, n=2,000" in text
    assert "Safety pass" in text
    assert "+0.08 since 2026-Q3: real change" in text                    # accuracy, Holm-corrected test
    assert "internal-llm INT-FAIR-1" in text and "internal-llm INT-PII-1" in text
    assert "What the sample sizes can and cannot show" in text and "INT-PII-2 has no data" in text
    assert "Sign-off status: reject by cleo (committee)" in text
    assert "nan" not in text.split() and "None" not in text.split()


def test_verdicts_are_the_checklists(report_runs):
    cat, _, q4 = report_runs
    d = reports.collect(cat, q4)
    statuses = {it.control_id: it.status for it in d.checklist.items}
    verdicts = {v.area: v.verdict for v in area_verdicts(d.checklist, d.results, d.tables["metrics"])}
    assert verdicts == {"accuracy": "pass", "fairness": statuses["INT-FAIR-1"], "privacy": "fail", "safety": "pass",
                        "groundedness": statuses["INT-HAL-1"]}


def test_checklist_has_evidence_and_a_sign_off_block(page_one):
    import re
    _, text = page_one
    flat = " ".join(text.split())
    assert "evidence" in flat and re.search(r"measured 0.7 on [\w-]+, upper bound 0.765, n=2,000", flat)
    assert "attested by cleo (committee); Residual risks accepted" in flat   # the attestation as evidence
    import re
    assert re.search(r"Sign-off .{0,200}?name role decision date note cleo committee reject", flat)


def test_evidence_pack_holds_what_a_regulator_needs(report_runs, tmp_path):
    cat, _, q4 = report_runs
    out = tmp_path / "q4-pack.zip"
    path, sha = save_pack(cat, q4, out, actor="carol", packs=["gdpr-ccpa"])
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha
    zf = zipfile.ZipFile(out)
    names = set(zf.namelist())
    assert {"README.txt", "report.pdf", "checklist.csv", "manifest.json", "SHA256SUMS", "verify.json",
            "tables/metrics.csv", "tables/fairness_gaps.csv"} <= names
    assert any(n.startswith("evidence/") and n.endswith(".parquet") for n in names)
    for line in zf.read("SHA256SUMS").decode().splitlines():              # every file is listed and intact
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    manifest = json.loads(zf.read("manifest.json"))
    for name, digest in (manifest.get("files") or {}).items():           # evidence is what the audit wrote
        if f"evidence/{name}" in names:
            assert hashlib.sha256(zf.read(f"evidence/{name}")).hexdigest() == digest
    checklist = zf.read("checklist.csv").decode()
    assert "GDPR" in checklist or "gdpr-ccpa" in checklist                # --policy added a pack
    assert "evidence" in checklist.splitlines()[0]
    readme = zf.read("README.txt").decode()
    assert "sha256sum -c SHA256SUMS" in readme and "assay verify --against checkpoint.json" in readme
    if "checkpoint.json" in names:                                        # the trust module signed the log
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        cp = json.loads(zf.read("checkpoint.json"))
        body = {k: cp[k] for k in ("format", "catalog_id", "count", "head", "ts", "key_id")}
        msg = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"])).verify(bytes.fromhex(cp["signature"]), msg)
    with cat.connect() as con:
        last = audit_log.entries(con, limit=1).iloc[0]
    details = json.loads(last["details"])
    assert last["action"] == "report.generated" and details["format"] == "pack" and details["sha256"] == sha


def test_pack_refuses_to_overwrite_without_force(report_runs, tmp_path, capsys):
    cat, _, q4 = report_runs
    out = tmp_path / "p.zip"
    out.write_bytes(b"earlier pack")
    assert cli(["report", q4, "--pack", str(out), "--catalog", str(cat.path)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"earlier pack"
    assert cli(["report", q4, "--pack", str(out), "--force", "--catalog", str(cat.path)]) == 0
    assert zipfile.is_zipfile(out)

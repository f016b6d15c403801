"""Loading policy packs (and so `assay check`) must not load the detection engines: presidio and
spaCy take 3-7 s and fairlearn 2 s to import, and a check only reads stored results."""

import subprocess
import sys


def test_policy_engine_and_scanner_registry_do_not_import_heavy_engines():
    code = ("import sys, policies.engine, policies.vocabulary, audits.scanners\n"
            "from audits.scanners.base import SCANNERS\n"
            "assert {'pii', 'toxicity', 'bias'} <= set(SCANNERS.names()), SCANNERS.names()\n"
            "print(sorted(m for m in ('presidio_analyzer', 'spacy', 'fairlearn', 'torch', 'transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

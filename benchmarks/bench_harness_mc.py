"""Assay against lm-evaluation-harness on BBQ as the demo renders it: decisions beyond yes/no.

    python benchmarks/bench_harness_mc.py [--n 200] [--batch-size 16] [--harness-venv DIR] [--no-chat]
                                          [--json FILE] [--fixture FILE]

``bench_harness.py`` checks the two-choice case (discrim-eval, " yes"/" no"). This one checks
per-row choices and both of the harness's decisions on the demo's ``bbq-gender`` task (its prompt
``{context}\\n{question}``, its first n rows in Assay's seeded order, ``system_prompt: ""``):

* ``text``: the three answers scored as continuations (harness ``doc_to_choice`` read from the row);
* ``letters``: the demo's own format, ``(A) ... (C) ...`` lines and ``Answer:``, targets ``A``/``B``/``C``;
* the same two with the chat template (harness ``--apply_chat_template``; Assay ``chat_template: true``),
  unless ``--no-chat``.

Decisions compared per row: ``acc`` (largest summed log-likelihood; Assay ``normalize: none``) and
``acc_norm`` (the harness divides by each choice's length in characters) against Assay's
``normalize: bytes`` (UTF-8 bytes, the harness's ``acc_bytes``); the harness's own per-row
``acc``/``acc_norm``/``acc_bytes`` values are checked against Assay's correctness too. Float32 on
both sides, the same batch size, the CPU, the converted SmolLM2 weights; the harness reads local
JSON tasks (``dataset_path: json``), never the hub, and runs once without and once with the chat
template (two processes). ``--fixture FILE`` writes the harness's per-row log-likelihoods and
verdicts (the pinned data of ``tests/benchmarks/test_harness_mc_rules.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = "{context}\n{question}"  # the demo's bbq-gender prompt (audits/demo/demo.yaml)
FORMATS = ("text", "letters")

TASK_YAML = """task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{text}}}}"
doc_to_choice: choices
doc_to_target: label
target_delimiter: " "
metric_list:
  - metric: acc
  - metric: acc_norm
  - metric: acc_bytes
"""


def task_config(fmt: str, chat: bool, n: int | None = None, normalize: str = "bytes"):
    from audits.config import TaskConfig

    return TaskConfig(name=f"bbq-{fmt}", type="choice", dataset={"builtin": "bbq-gender"}, prompt=PROMPT,
                      chat_template=chat, system_prompt="", choice_format=fmt, normalize=normalize, limit=n)


def rows(fmt: str, n: int) -> list[dict]:
    """Assay's rendering of the first n bbq-gender rows: prompt text, the scored targets, gold index."""
    from audits.backends.choices import targets
    from audits.datasets import load_task_data

    frame = load_task_data(task_config(fmt, False, n)).frame
    return [{"id": sid, "text": text, "answers": list(cs), "choices": targets(list(cs), fmt),
             "label": list(cs).index(ref)}
            for sid, text, cs, ref in zip(frame["sample_id"], frame["input"], frame["choices"], frame["label"])]


def assay_worker(args) -> None:
    """Score every (format, chat) variant in one process; write lls and picks as JSON."""
    import numpy as np
    import pandas as pd

    from audits.backends.choices import delimiter, score_chunk, select
    from audits.backends.hf import HFBackend
    from audits.config import ModelConfig

    data = json.loads(Path(args.prompts).read_text(encoding="utf-8"))
    backend = HFBackend(ModelConfig(path="smollm2", device="cpu", dtype="float32", batch_size=args.batch_size,
                                    chat_template=False))
    out = {}
    for variant, chat in json.loads(args.variants):
        fmt = variant.split("-")[0]
        docs = data[fmt]
        chunk = pd.DataFrame({"sample_id": [d["id"] for d in docs], "input": [d["text"] for d in docs],
                              "choices": [d["answers"] for d in docs]})
        task = task_config(fmt, chat)
        reused, start = backend.stats.get("prefix_tokens_reused", 0), time.perf_counter()
        scored = score_chunk(backend, task, chunk, templated=chat)  # normalize: bytes
        lls = scored["choice_logprobs"].tolist()
        out[variant] = {
            "lls": lls, "score_s": time.perf_counter() - start,
            "prefix_tokens_reused": backend.stats.get("prefix_tokens_reused", 0) - reused,
            "requests": [[[backend.format_prompt(d["text"], chat, task.system_prompt), delimiter(task, chat) + t]
                          for t in d["choices"]] for d in docs],
            "pick_none": [select(np.asarray(lp), np.ones(len(lp)), "none") for lp in lls],
            "pick_bytes": [d["answers"].index(p) for d, p in zip(docs, scored["prediction"])]}
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


def run_harness(venv: Path, model_dir: Path, data: dict, work: Path, batch_size: int, variants: list[str],
                chat: bool) -> tuple[float, dict]:
    """One lm_eval process over the variants' local tasks; per variant, its samples by doc_id."""
    tasks = work / ("tasks-chat" if chat else "tasks")
    tasks.mkdir(exist_ok=True)
    names = {}
    for variant in variants:
        name = f"assay_bbq_{variant.replace('-', '_')}"
        path = work / f"{name}.jsonl"
        path.write_text("".join(json.dumps({k: d[k] for k in ("text", "choices", "label")}) + "\n"
                                for d in data[variant.split("-")[0]]), encoding="utf-8")
        (tasks / f"{name}.yaml").write_text(TASK_YAML.format(name=name, data=path), encoding="utf-8")
        names[variant] = name
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_DATASETS_CACHE": str(work / "hf-datasets")}
    out_dir = work / ("out-chat" if chat else "out")
    cmd = [str(venv / "bin" / "lm_eval"), "--model", "hf", "--model_args", f"pretrained={model_dir},dtype=float32",
           "--tasks", ",".join(names.values()), "--include_path", str(tasks), "--batch_size", str(batch_size),
           "--device", "cpu", "--log_samples", "--output_path", str(out_dir)]
    if chat:
        cmd.append("--apply_chat_template")
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"lm_eval failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    samples = {}
    for variant, name in names.items():
        found = sorted(out_dir.rglob(f"samples_{name}_*.jsonl"))
        docs = [json.loads(line) for line in found[-1].read_text(encoding="utf-8").splitlines() if line]
        samples[variant] = sorted(docs, key=lambda r: r["doc_id"])
    return wall, samples


def harness_picks(lls, choices) -> tuple[int, int, int]:
    """(acc, acc_norm, acc_bytes) picks as lm_eval/api/task.py process_results makes them (0.4.13)."""
    import numpy as np

    lls = np.asarray(lls, dtype=float)
    chars = np.array([float(len(c)) for c in choices])
    nbytes = np.array([float(len(c.encode("utf-8"))) for c in choices])
    return int(np.argmax(lls)), int(np.argmax(lls / chars)), int(np.argmax(lls / nbytes))


def harness_requests(sample: dict) -> list[list[str]]:
    """[[context, continuation], ...] of one logged sample (0.4.13 logs {'gen_args_0': {'arg_0', 'arg_1'}, ...})."""
    args = sample["arguments"]
    if isinstance(args, dict):
        args = [[a["arg_0"], a["arg_1"]] for _, a in sorted(args.items(), key=lambda kv: int(kv[0].split("_")[-1]))]
    return [list(a) for a in args]


def compare(docs: list[dict], mine: dict, theirs: list[dict]) -> dict:
    """Decisions equal (acc and acc_norm), verdicts equal to the harness's own, max |delta ll|, the rows that differ."""
    import numpy as np

    delta, differ, verdicts = 0.0, [], {"acc": 0, "acc_norm": 0, "acc_bytes": 0}
    same = {"acc": 0, "acc_norm": 0, "requests": 0}
    for i, (doc, sample) in enumerate(zip(docs, theirs)):
        same["requests"] += harness_requests(sample) == mine["requests"][i]
        h_lls = [float(r[0][0]) for r in sample["resps"]]
        a_lls = mine["lls"][i]
        delta = max(delta, float(np.max(np.abs(np.asarray(h_lls) - np.asarray(a_lls)))))
        h_acc, h_norm, _ = harness_picks(h_lls, doc["choices"])
        same["acc"] += h_acc == mine["pick_none"][i]
        same["acc_norm"] += h_norm == mine["pick_bytes"][i]
        for metric, pick in (("acc", mine["pick_none"][i]), ("acc_norm", mine["pick_bytes"][i]),
                             ("acc_bytes", mine["pick_bytes"][i])):
            verdicts[metric] += float(sample[metric]) == float(pick == doc["label"])
        if h_acc != mine["pick_none"][i] or h_norm != mine["pick_bytes"][i]:
            differ.append({"id": doc["id"], "harness_lls": h_lls, "assay_lls": a_lls})
    return {"n": len(docs), "acc_equal": same["acc"], "acc_norm_equal": same["acc_norm"],
            "requests_equal": same["requests"], "prefix_tokens_reused": mine["prefix_tokens_reused"],
            "example_request": mine["requests"][0][0],
            "harness_verdicts_equal": verdicts, "max_abs_delta_ll": delta, "differ": differ,
            "assay_acc": float(np.mean([p == d["label"] for p, d in zip(mine["pick_none"], docs)])),
            "assay_acc_bytes": float(np.mean([p == d["label"] for p, d in zip(mine["pick_bytes"], docs)]))}


def run(args, record: dict) -> dict:
    """Assay (one process, every variant), then the harness (one process without, one with the chat
    template); the raw inputs and scores."""
    from audits.backends.smollm2 import smollm2_dir

    venv = Path(args.harness_venv)
    if not (venv / "bin" / "lm_eval").exists():
        raise SystemExit(f"lm-evaluation-harness is not installed at {venv}: pass --harness-venv or set "
                         "ASSAY_LMEVAL_VENV (the recipe is in benchmarks/bench_harness.py)")
    model_dir = smollm2_dir()
    data = {fmt: rows(fmt, args.n) for fmt in FORMATS}
    variants = [(fmt, False) for fmt in FORMATS] + ([] if args.no_chat else [(f"{f}-chat", True) for f in FORMATS])
    with tempfile.TemporaryDirectory(prefix="assay-bench-mc-") as tmp:
        work = Path(tmp)
        (work / "prompts.json").write_text(json.dumps(data), encoding="utf-8")
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--assay-worker", "--prompts", str(work / "prompts.json"),
                        "--variants", json.dumps(variants), "--out", str(work / "assay.json"),
                        "--batch-size", str(args.batch_size)], check=True, stderr=subprocess.DEVNULL)
        record["assay_wall_s"] = time.perf_counter() - start
        mine = json.loads((work / "assay.json").read_text(encoding="utf-8"))
        theirs: dict = {}
        for chat in (False, True):
            names = [v for v, c in variants if c == chat]
            if names:
                wall, got = run_harness(venv, model_dir, data, work, args.batch_size, names, chat)
                record[f"harness_wall_s{'_chat' if chat else ''}"] = wall
                theirs.update(got)
    return {"data": data, "assay": mine, "harness": theirs}


def fixture(raw: dict) -> dict:
    """Per variant and row: the harness's log-likelihoods and verdicts, its first row's requests."""
    out = {}
    for variant, samples in raw["harness"].items():
        docs = raw["data"][variant.split("-")[0]]
        out[variant] = {"harness_request_0": harness_requests(samples[0]), "rows": [
            {"choices": d["choices"], "answers": d["answers"], "label": d["label"],
             "harness_lls": [float(r[0][0]) for r in s["resps"]],
             **{m: float(s[m]) for m in ("acc", "acc_norm", "acc_bytes")}} for d, s in zip(docs, samples)]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--harness-venv", default=os.environ.get("ASSAY_LMEVAL_VENV", "/work/lmeval-venv"))
    parser.add_argument("--no-chat", action="store_true", help="leave out the chat-template variants")
    parser.add_argument("--json", default=None, help="write every figure to FILE, the raw scores to FILE.raw")
    parser.add_argument("--from-raw", default=None, help="compare the scores of an earlier run's FILE.raw, run nothing")
    parser.add_argument("--fixture", default=None, help="write the harness's per-row lls and verdicts here")
    parser.add_argument("--assay-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prompts", help=argparse.SUPPRESS)
    parser.add_argument("--variants", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.assay_worker:
        return assay_worker(args)

    record: dict = {"n": args.n, "batch_size": args.batch_size, "dtype": "float32", "harness": args.harness_venv,
                    "load_before": os.getloadavg(), "variants": {}}
    if args.from_raw:
        raw = json.loads(Path(args.from_raw).read_text(encoding="utf-8"))
        record.update(raw.get("record", {}), variants={})
    else:
        print(f"bbq-gender, first {args.n} rows, float32, batch {args.batch_size}, {os.cpu_count()} CPUs")
        raw = run(args, record)
        record["load_after"] = os.getloadavg()
        if args.json:  # the raw scores first, so that a failing comparison loses no run
            Path(args.json + ".raw").write_text(json.dumps({**raw, "record": record}), encoding="utf-8")
    for variant in raw["harness"]:
        docs = raw["data"][variant.split("-")[0]]
        res = record["variants"][variant] = compare(docs, raw["assay"][variant], raw["harness"][variant])
        v = res["harness_verdicts_equal"]
        print(f"{variant:13} (context, continuation) strings equal {res['requests_equal']}/{res['n']} rows; "
              f"Assay reused {res['prefix_tokens_reused']} shared-prefix tokens")
        print(f"{'':13} acc decisions equal {res['acc_equal']}/{res['n']}, acc_norm (Assay bytes) "
              f"{res['acc_norm_equal']}/{res['n']}; harness's own verdicts equal acc {v['acc']}, acc_norm "
              f"{v['acc_norm']}, acc_bytes {v['acc_bytes']}; max |delta ll| {res['max_abs_delta_ll']:.2e}; "
              f"Assay acc {res['assay_acc']:.3f}, acc_bytes {res['assay_acc_bytes']:.3f}")
        for row in res["differ"]:
            print(f"  differs: {row['id']} harness {row['harness_lls']} Assay {row['assay_lls']}")
    print(f"walls: Assay {record.get('assay_wall_s', 0):.0f} s (all variants, one process), harness "
          f"{record.get('harness_wall_s', 0):.0f} s + {record.get('harness_wall_s_chat', 0):.0f} s (chat)")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1), encoding="utf-8")
    if args.fixture:
        Path(args.fixture).write_text(json.dumps(fixture(raw)), encoding="utf-8")


if __name__ == "__main__":
    main()

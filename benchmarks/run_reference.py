"""Assay against the field's reference tools, side by side, in one invocation; one JSON with every figure.

    .venv/bin/python benchmarks/run_reference.py [--out benchmarks/run_reference.json] [--only harness,pii,...]
        [--harness-n 200] [--harness-repeat 2] [--garak-limit 20] [--pii-limit N] [--fairness-rounds 3]

Four comparisons, each run by its own script as its own process, each side by side on the same inputs:

- ``harness``: lm-evaluation-harness (HF backend, its own venv) vs Assay's choice scoring, the same
  discrim-eval prompts, no chat template, " yes"/" no", batch 16, at float32 and at bfloat16 weights on
  both sides (where the CPU has bf16), interleaved rounds (``bench_harness.py --no-autocast``: autocast has no
  harness counterpart);
- ``pii``: plain presidio ``BatchAnalyzerEngine`` defaults vs Assay's PII profile on the held-out labelled
  set, interleaved chunks (``bench_pii.py``);
- ``fairness``: fairlearn ``MetricFrame``'s bootstrap vs Assay's bias scan on the same 100k rows, attribute,
  metric and resample count, interleaved rounds (``bench_fairness.py``);
- ``garak``: garak's ``promptinject.AttackRogueString`` vs Assay's marker detector on the same model
  outputs (agreement, not speed; ``bench_garak_agreement.py --no-record``: quality.json is left alone).

The JSON also holds ``git rev-parse HEAD`` (and which tracked files differ from it), the load average
(``uptime``) before and after each comparison, each section's wall time, and the versions of every
reference tool and of Assay's own libraries. A reference tool whose venv is missing is skipped with one
line saying the command that builds it. Not part of CI: it takes 15-25 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
PY = sys.executable
SECTIONS = ("fairness", "pii", "harness", "garak")

BUILD = {
    "harness": "python3 -m venv {v} && {v}/bin/pip install torch==2.13.0 --index-url "
               "https://download.pytorch.org/whl/cpu && {v}/bin/pip install 'lm-eval==0.4.13' transformers==5.25.0 accelerate",
    "garak": "python3 -m venv {v} && {v}/bin/pip install torch==2.13.0 --index-url "
             "https://download.pytorch.org/whl/cpu && {v}/bin/pip install garak==0.17.1",
}

VERSION_SCRIPT = ("import json, importlib.metadata as m, sys\nout = {}\nfor name in sys.argv[1:]:\n"
                  "    try:\n        out[name] = m.version(name)\n    except m.PackageNotFoundError:\n"
                  "        out[name] = None\nprint(json.dumps(out))")


def versions(python: str, names: list[str]) -> dict:
    """Installed versions of ``names`` in the environment of ``python``."""
    proc = subprocess.run([python, "-c", VERSION_SCRIPT, *names], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-300:]}


def load() -> dict:
    """The load average now, as ``uptime`` prints it and as numbers."""
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "loadavg": list(os.getloadavg()),
            "uptime": up}


def git() -> dict:
    def out(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout

    changed = [line[3:] for line in out("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return {"head": out("rev-parse", "HEAD").strip(), "subject": out("log", "-1", "--format=%s").strip(),
            "tracked_files_differing_from_head": changed}


def run_section(name: str, cmd: list[str], json_path: Path, log: Path, timeout: int) -> dict:
    """Run one comparison script; its JSON figures, wall, load before/after, or the error it gave."""
    before = load()
    print(f"== {name}: {' '.join(cmd)}", flush=True)
    start = time.perf_counter()
    try:
        with log.open("w", encoding="utf-8") as fh:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    wall = time.perf_counter() - start
    result: dict = {"command": " ".join(cmd), "wall_s": round(wall, 1), "load_before": before, "load_after": load()}
    tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
    if rc != 0 or not json_path.exists():
        result["error"] = f"exit {rc}"
        result["log_tail"] = tail
        print(f"   FAILED ({rc}) after {wall:.0f} s; last lines:\n   " + "\n   ".join(tail[-8:]), flush=True)
        return result
    result["figures"] = json.loads(json_path.read_text(encoding="utf-8"))
    result["printed"] = tail
    print(f"   done in {wall:.0f} s", flush=True)
    return result


def skipped(name: str, where: Path) -> dict:
    build = BUILD[name].format(v=where)
    line = f"{name}: skipped, no venv at {where}; build it with: {build}"
    print(line, flush=True)
    return {"skipped": line, "build": build}


def summary(report: dict) -> list[str]:
    """One line per comparison: the ratio or agreement that goes into benchmarks/README.md."""
    lines = []
    h = report["comparisons"].get("harness", {}).get("figures")
    if h and h.get("medians"):
        for name, m in h["medians"].items():
            agree = [r[f"assay {name}"]["vs_harness"] for r in h["rounds"] if f"assay {name}" in r]
            lines.append(f"harness {m['harness_dtype']} vs Assay {name}: ratio median {m['ratio_median']:.2f}x "
                         f"(range {m['ratio_range'][0]:.2f}-{m['ratio_range'][1]:.2f}, {len(agree)} rounds); decisions "
                         f"equal {min(a['agree'] for a in agree)}/{h['n']} in every round, max |dll| "
                         f"{max(a['max_abs_delta_ll'] for a in agree):.2e}")
    p = report["comparisons"].get("pii", {}).get("figures")
    if p:
        same = p.get("presidio_same_batch")
        lines.append(f"presidio defaults vs Assay profile: {p['speedup_vs_presidio']:.2f}x docs/s "
                     f"({p['assay_profile']['docs_per_s']} vs {p['presidio_defaults']['docs_per_s']})"
                     + (f", {p['speedup_vs_presidio_same_batch']:.2f}x at the same batch ({same['batch_size']}: "
                        f"{same['docs_per_s']} docs/s)" if same else "") + "; F2 "
                     f"{p['assay_profile']['quality']['f2']} vs {p['presidio_defaults']['quality']['f2']} "
                     f"on {p['n_texts']} texts")
    f = report["comparisons"].get("fairness", {}).get("figures")
    if f:
        s = f["like_for_like"]
        lines.append(f"fairlearn MetricFrame bootstrap vs Assay scan ({s['work']}): {s['ratio_at_full_boot']:.0f}x "
                     f"(fairlearn measured at {s['fairlearn_boot_measured']} resamples and scaled; "
                     f"{s['ratio_at_equal_boot_measured']:.1f}x both measured at {s['fairlearn_boot_measured']}); "
                     f"whole scan {f['whole_scan_s']:.1f} s; values max |delta| {s['max_abs_delta_selection_rate']:.1e}")
    g = report["comparisons"].get("garak", {}).get("figures")
    if g:
        m = g["model_outputs"]
        lines.append(f"garak AttackRogueString vs Assay marker detector: {m['agree']}/{m['n']} agree on the model's "
                     f"outputs (95% CI {m['agreement_ci'][0]:.3f}-{m['agreement_ci'][1]:.3f}); hits {m['assay_hits']} "
                     f"vs {m['garak_hits']}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=BENCH / "run_reference.json")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument("--harness-venv", type=Path, default=Path(os.environ.get("ASSAY_LMEVAL_VENV", "/work/lmeval-venv")))
    ap.add_argument("--garak-venv", type=Path, default=Path(os.environ.get("ASSAY_GARAK_VENV", "/work/garak-venv")))
    ap.add_argument("--harness-n", type=int, default=200)
    ap.add_argument("--harness-repeat", type=int, default=2)
    ap.add_argument("--garak-limit", type=int, default=20, help="probes per family (2 families)")
    ap.add_argument("--pii-limit", type=int, default=None, help="first N held-out texts (default: all 933)")
    ap.add_argument("--fairness-rounds", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per comparison")
    args = ap.parse_args()
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown comparison {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")

    harness_py, garak_py = args.harness_venv / "bin" / "python", args.garak_venv / "bin" / "python"
    report: dict = {
        "what": "Assay vs reference tools, side by side in one run (benchmarks/run_reference.py)",
        "started": load(), "git": git(), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                      "platform": platform.platform()},
        "versions": {"assay_env": versions(PY, ["torch", "transformers", "presidio-analyzer", "spacy",
                                                "fairlearn", "scikit-learn", "numpy", "pandas", "duckdb"]),
                     "harness_env": versions(str(harness_py), ["lm_eval", "torch", "transformers"])
                     if harness_py.exists() else None,
                     "garak_env": versions(str(garak_py), ["garak", "torch"]) if garak_py.exists() else None},
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "comparisons": {},
    }
    with tempfile.TemporaryDirectory(prefix="assay-reference-") as tmp:
        work = Path(tmp)
        for name in [s for s in SECTIONS if s in wanted]:
            out, log = work / f"{name}.json", work / f"{name}.log"
            if name == "harness":
                if not (args.harness_venv / "bin" / "lm_eval").exists():
                    report["comparisons"][name] = skipped(name, args.harness_venv)
                    continue
                cmd = [PY, str(BENCH / "bench_harness.py"), "--n", str(args.harness_n), "--bf16", "--no-autocast",
                       "--repeat", str(args.harness_repeat), "--harness-venv", str(args.harness_venv),
                       "--json", str(out)]
            elif name == "pii":
                cmd = [PY, str(BENCH / "bench_pii.py"), "--json", str(out)]
                cmd += ["--limit", str(args.pii_limit)] if args.pii_limit else []
            elif name == "fairness":
                cmd = [PY, str(BENCH / "bench_fairness.py"), "--rounds", str(args.fairness_rounds), "--json", str(out)]
            else:
                if not garak_py.exists():
                    report["comparisons"][name] = skipped(name, args.garak_venv)
                    continue
                cmd = [PY, str(BENCH / "bench_garak_agreement.py"), "--garak-python", str(garak_py),
                       "--limit", str(args.garak_limit), "--no-record", "--json", str(out)]
            report["comparisons"][name] = run_section(name, cmd, out, log, args.timeout)
            args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")  # nothing lost if later ones fail
    report["finished"] = load()
    report["summary"] = summary(report)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("\n".join(["-- summary", *report["summary"], f"written to {args.out}"]))


if __name__ == "__main__":
    main()

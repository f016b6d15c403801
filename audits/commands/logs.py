"""`assay logs import LOG --out FILE [--force] [--format flat|otel|langfuse] [--sample N|plan] [--stratify COL]`:
read a production log into the flat table an audit config reads (dataset and ``predictions``
backend alike; docs/production-logs.md). Prints one line: rows read, kept, skipped (by reason),
put in timestamp order, sampled. Beside the flat table it writes ``<out>.import.json`` (the raw file's path and SHA-256,
``audits.datasets.raw_log``), which a run on that exact table records in its manifest. ``--sample N`` draws a stratified sample of N interactions;
``--sample plan --config AUDIT.yaml [--task T]`` draws the n `assay plan` asks for that task (the
largest any control of the config's packs needs), as a task's ``sample: {n: plan}`` does in a run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from audits.errors import AssayError


def _sample_size(text: str) -> int | str:
    from audits.commands.run import positive_int

    if text == "plan":
        return text
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{err} (or 'plan')") from None


def register(subparsers, common) -> None:
    from audits.datasets.production_log import FORMATS
    from audits.commands.run import seed_int

    p = subparsers.add_parser("logs", parents=[common], help="production logs: import a log for auditing")
    sub = p.add_subparsers(dest="logs_command", metavar="ACTION")
    sub.required = True
    imp = sub.add_parser("import", parents=[common], help="normalise a log (flat, OpenTelemetry GenAI, Langfuse)")
    imp.add_argument("log", help="JSONL / CSV / Parquet log file")
    imp.add_argument("--out", required=True, help="flat table to write (.jsonl, .csv or .parquet)")
    imp.add_argument("--force", action="store_true", help="replace an existing --out file (as `assay export --force`)")
    imp.add_argument("--format", choices=FORMATS, default="flat", help="the log's shape (default: flat)")
    imp.add_argument("--sample", type=_sample_size, default=None, metavar="N|plan",
                     help="keep a stratified sample of N interactions, or 'plan': the n `assay plan` asks for "
                          "(needs --config)")
    imp.add_argument("--stratify", action="append", default=[], metavar="COL",
                     help="stratum column (repeatable; default with --sample plan: the task's sample.stratify)")
    imp.add_argument("--seed", type=seed_int, default=None,
                     help="sampling seed (default: the task's sample.seed with --sample plan, else 1234)")
    imp.add_argument("--config", default=None, metavar="AUDIT.yaml", help="audit config to plan from (--sample plan)")
    imp.add_argument("--task", default=None,
                     help="the config's task the log feeds (--sample plan; default: its only task)")
    imp.add_argument("--policy", "-p", action="append", default=[], metavar="PACK",
                     help="policy pack(s) to plan for (default: the config's 'policy' list)")
    imp.add_argument("--expect", action="append", default=[], metavar="METRIC=VALUE",
                     help="expected value for the plan, as `assay plan --expect` (repeatable)")
    imp.add_argument("--json", action="store_true", help="the import report as JSON")
    imp.set_defaults(func=_import)


def _plan(args: argparse.Namespace) -> tuple[int, str, list[str], int]:
    """(n, where n came from, stratify columns, seed) for ``--sample plan`` from the audit config."""
    from audits.commands.plan import existing_catalog, parse_expect
    from audits.config import load_config
    from audits.redteam.plan import is_probe_task
    from audits.runner import prepare
    from audits.sampling import plan_size, sample_seed, spec_expect

    if not args.config:
        raise AssayError("--sample plan needs the audit config whose controls the sample must decide",
                         "add --config AUDIT.yaml (and --task T when it has several tasks), or give --sample N")
    config = load_config(args.config)
    names = [t.name for t in config.tasks if not is_probe_task(t)]
    if not names:  # a redteam:-only config: its probe tasks read built-in probes, never a log
        raise AssayError(f"{args.config} has no task that reads a log (only red-team probe tasks)",
                         "add the log's task under 'tasks:' in the config, or give --sample N")
    task_name = args.task or (names[0] if len(names) == 1 else None)
    if task_name not in names:
        raise AssayError(f"--task {args.task!r} is not a task of {args.config}" if args.task else
                         f"{args.config} has {len(names)} tasks, so --sample plan needs to know which one "
                         "the log feeds",
                         f"pass --task with one of: {', '.join(names)}")
    task = next(t for t in config.tasks if t.name == task_name)
    spec = task.sample
    expect = {**spec_expect(spec), **parse_expect(args.expect)}
    catalog = existing_catalog(args)
    prepared = prepare(config)
    planned = plan_size(prepared, task_name, expect, args.policy or list(config.policy), catalog)
    stratify = args.stratify or (spec.stratify if spec else [])
    seed = args.seed if args.seed is not None else sample_seed(task, config)
    return planned.n, f"plan: {planned.reason()}", stratify, seed


def _import(args) -> int:
    from dataclasses import asdict

    from audits.datasets.production_log import read_log, write_log
    from audits.datasets.raw_log import write_record
    from audits.sampling import draw

    record = None
    if not args.out.strip():  # Path('') is the current folder: the refusal named '.'
        raise AssayError("--out is empty", "name the flat table to write, e.g. --out q4.parquet")
    unused = [flag for flag, given in (("--stratify", args.stratify), ("--seed", args.seed is not None),
                                       ("--config", args.config), ("--task", args.task), ("--policy", args.policy),
                                       ("--expect", args.expect)) if given]
    if args.sample is None and unused:  # they shape a sample only: without --sample they were ignored in silence
        raise AssayError(f"{', '.join(unused)} only shape(s) a sample, and no --sample was given, so the whole log "
                         "would be imported", "add --sample N (or --sample plan --config AUDIT.yaml), or drop "
                         f"{', '.join(unused)}")
    if Path(args.out).resolve() == Path(args.log).resolve():  # the raw log was overwritten by its own import
        raise AssayError(f"--out {args.out} is the log being imported", "write the flat table to another file, "
                         "e.g. --out " + str(Path(args.log).with_suffix(".flat.jsonl")))
    if args.sample == "plan":
        n, n_from, stratify, seed = _plan(args)  # a config or plan problem stops before the log is read
    else:
        n, n_from, stratify, seed = args.sample, "--sample", args.stratify, 1234 if args.seed is None else args.seed
    if Path(args.out).is_file() and not args.force:  # was replaced silently, while `assay export` asks for --force
        raise AssayError(f"--out {args.out} already exists", "pass --force to replace it, or choose another --out file")
    frame, report = read_log(args.log, args.format)
    if n is not None:
        frame, record = draw(frame, int(n), stratify, seed, what=f"log {args.log}", n_from=n_from)
        report.rows_kept = record.drawn
        if not record.whole_log:
            report.sampled_from, report.strata = record.population, record.drawn_by_stratum
    out = write_log(frame, args.out)
    recorded = write_record(args.log, report.format, out, report.rows_read, report.rows_kept)
    if args.json:
        print(json.dumps({**asdict(report), "out": str(out), "import_record": str(recorded),
                          **({"sample": asdict(record)} if record else {})},
                         indent=2))
    else:
        said = "" if record is None else (f"; {record.statement()}" if record.whole_log else
                                          f"; n from {record.n_from}" if args.sample == "plan" else "")
        print(f"{report.line()}{said} -> {out} (raw file's path and SHA-256 in {recorded.name}, recorded by a run on it)")
    return 0

"""`assay logs import LOG --out FILE [--format flat|otel|langfuse] [--sample N] [--stratify COL]`:
read a production log into the flat table an audit config reads (dataset and ``predictions``
backend alike; docs/production-logs.md). Prints one line: rows read, kept, skipped (by reason),
put in timestamp order, sampled. ``--sample N`` draws a stratified sample of N interactions
(take N from ``assay plan``)."""

from __future__ import annotations

import json


def register(subparsers, common) -> None:
    from audits.commands.run import positive_int
    from audits.datasets.production_log import FORMATS

    p = subparsers.add_parser("logs", parents=[common], help="production logs: import a log for auditing")
    sub = p.add_subparsers(dest="logs_command", metavar="ACTION")
    sub.required = True
    imp = sub.add_parser("import", parents=[common], help="normalise a log (flat, OpenTelemetry GenAI, Langfuse)")
    imp.add_argument("log", help="JSONL / CSV / Parquet log file")
    imp.add_argument("--out", required=True, help="flat table to write (.jsonl, .csv or .parquet)")
    imp.add_argument("--format", choices=FORMATS, default="flat", help="the log's shape (default: flat)")
    imp.add_argument("--sample", type=positive_int, default=None, metavar="N",
                     help="keep a stratified sample of N interactions (N from `assay plan`)")
    imp.add_argument("--stratify", action="append", default=[], metavar="COL", help="stratum column (repeatable)")
    imp.add_argument("--seed", type=int, default=1234, help="sampling seed (default 1234)")
    imp.add_argument("--json", action="store_true", help="the import report as JSON")
    imp.set_defaults(func=_import)


def _import(args) -> int:
    from dataclasses import asdict

    from audits.datasets.production_log import read_log, stratified_sample, write_log

    frame, report = read_log(args.log, args.format)
    if args.sample is not None:
        frame = stratified_sample(frame, args.sample, args.stratify, args.seed, report)
    out = write_log(frame, args.out)
    print(json.dumps({**asdict(report), "out": str(out)}, indent=2) if args.json else f"{report.line()} -> {out}")
    return 0

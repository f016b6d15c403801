"""`assay report RUN -o FILE.pdf|FILE.html [--compare RUN|none] [--policy PACK]...`, table exports
(`-o DIR/ --format csv|parquet`) and the evidence pack (`--pack FILE.zip`). Each written file's
SHA-256 goes into the audit log."""

from __future__ import annotations

from audits.access import require
from audits.commands._identity import add_identity_args, cli_reader
from audits.errors import AssayError
from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("report", parents=[common],
                              help="quarterly audit report (PDF/HTML), its tables (CSV/Parquet), or an evidence pack")
    p.add_argument("run_id")
    p.add_argument("-o", "--output",
                   help="FILE.pdf or FILE.html; or a directory with --format csv|parquet (one file per table)")
    p.add_argument("--format", choices=["pdf", "html", "csv", "parquet"], help="default: from the output's extension")
    p.add_argument("--pack", metavar="FILE.zip",
                   help="evidence pack for a regulator: report, checklist, evidence tables, manifest, signed "
                        "log checkpoint and a README on how to verify it")
    p.add_argument("--force", action="store_true", help="replace an existing --pack file")
    p.add_argument("--policy", action="append", metavar="PACK",
                   help="add a policy pack (name or YAML path) to the run's own; repeatable")
    p.add_argument("--compare", help="run to compare with (default: the previous run of the same audit; 'none': no comparison)")
    add_identity_args(p, "who generates the report (recorded in the audit log)")
    p.set_defaults(func=_report)


def _report(args) -> int:
    from reports import save_report

    if not args.output and not args.pack:
        raise AssayError("nothing to write", "pass -o FILE.pdf|FILE.html|DIR/ or --pack FILE.zip")
    if args.policy:  # a pack named here is read now: a misspelt one was an error row inside the report
        from policies import load_pack

        for source in args.policy:
            load_pack(source)
    cat = Catalog(args.catalog, create=False)
    actor = require(cli_reader(cat, args.user, args.password_stdin), "view").name  # who the log records
    if args.output:
        for path, sha in save_report(cat, args.run_id, args.output, fmt=args.format, compare=args.compare,
                                     actor=actor, packs=args.policy):
            print(f"{path}  sha256:{sha}")
    if args.pack:
        from reports.pack import save_pack

        path, sha = save_pack(cat, args.run_id, args.pack, compare=args.compare, packs=args.policy,
                              actor=actor, force=args.force)
        print(f"{path}  sha256:{sha}  (evidence pack; see README.txt inside)")
    return 0

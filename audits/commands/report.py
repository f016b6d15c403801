"""`assay report RUN -o FILE.pdf|FILE.html [--compare RUN|none]` and table exports
(`-o DIR/ --format csv|parquet`). Each written file's SHA-256 goes into the audit log."""

from __future__ import annotations

from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("report", parents=[common],
                              help="quarterly audit report (PDF/HTML) or its tables (CSV/Parquet)")
    p.add_argument("run_id")
    p.add_argument("-o", "--output", required=True,
                   help="FILE.pdf or FILE.html; or a directory with --format csv|parquet (one file per table)")
    p.add_argument("--format", choices=["pdf", "html", "csv", "parquet"], help="default: from the output's extension")
    p.add_argument("--compare", help="run to compare with (default: the previous run of the same audit; 'none': no comparison)")
    p.add_argument("--user", default="cli", help="who generates the report (for the audit log)")
    p.set_defaults(func=_report)


def _report(args) -> int:
    from reports import save_report

    written = save_report(Catalog(args.catalog, create=False), args.run_id, args.output, fmt=args.format,
                          compare=args.compare, actor=args.user)
    for path, sha in written:
        print(f"{path}  sha256:{sha}")
    return 0

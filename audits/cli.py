"""`assay` — the command line. Subcommands live in audits/commands/, one module each.

User errors (AssayError) print one line and exit 2; failing policy checks exit 1.
"""

from __future__ import annotations

import argparse
import inspect
import sys

from audits import __version__
from audits.errors import AssayError


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line naming the fix, like every other user error (its
    usage block was five lines); subcommand parsers are made of the same class."""

    def error(self, message: str):  # type: ignore[override]
        command = self.prog.removeprefix("assay").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"assay: error: {where}{message} — see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    from audits.commands import COMMAND_MODULES

    parser = _OneLineParser(prog="assay", description="Audit language models for governance.")
    parser.add_argument("--version", action="version", version=f"assay {__version__}")
    help_text = "catalog DuckDB file (default: $ASSAY_CATALOG or ./assay.duckdb)"
    parser.add_argument("--catalog", default=None, help=help_text)
    # Accepted after the subcommand too; SUPPRESS keeps a subparser from clobbering the global value.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--catalog", default=argparse.SUPPRESS, help=help_text)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module in COMMAND_MODULES:
        before = set(subparsers.choices)
        if len(inspect.signature(module.register).parameters) >= 2:
            module.register(subparsers, common)
        else:
            module.register(subparsers)
            for name in set(subparsers.choices) - before:
                sub = subparsers.choices[name]
                if not any("--catalog" in a.option_strings for a in sub._actions):
                    sub.add_argument("--catalog", default=argparse.SUPPRESS, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AssayError as err:
        print(f"assay: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("assay: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The one error type a user can cause.

Every message is a single line that names the problem *and* the fix. The CLI prints it
and exits 2; tracebacks are reserved for bugs.
"""

from __future__ import annotations


class AssayError(Exception):
    """A problem the user can fix (bad config, missing file, unknown run id...)."""

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)

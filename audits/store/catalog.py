"""The catalog: one DuckDB file, opened briefly and never held.

DuckDB lets one process write a file at a time, and a writer excludes readers in other
processes. So every operation opens a connection, does its work in one transaction and
closes it. Assay processes queue on an advisory lock file beside the catalog (shared for
reads, which open DuckDB read-only; exclusive for writes), so they never collide inside
DuckDB; a DuckDB lock conflict with a foreign process is retried with jittered backoff.
A job, the dashboard and the CLI share a catalog without a lock error reaching the user
or a write being lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import secrets
import threading
import time
from pathlib import Path
from typing import Iterator

import duckdb

from audits.errors import AssayError
from audits.store.schema import ADDED_COLUMNS, SCHEMA_VERSION, TABLES

DEFAULT_CATALOG = "assay.duckdb"
LOCK_TIMEOUT_S = float(os.environ.get("ASSAY_LOCK_TIMEOUT", "120"))
_DUCKDB_MAGIC = b"DUCK"
_local_lock = threading.RLock()  # serialise connections within one process (threads share a file handle)


def resolve_catalog_path(path: str | Path | None = None) -> Path:
    """--catalog, else $ASSAY_CATALOG, else ./assay.duckdb."""
    return Path(path or os.environ.get("ASSAY_CATALOG") or DEFAULT_CATALOG).expanduser().resolve()


def _is_lock_error(err: Exception) -> bool:
    text = str(err).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def check_is_duckdb(path: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB tries to (and maybe overwrites)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    if path.is_dir():
        raise AssayError(f"catalog {path} is a directory", "pass a file path such as ./assay.duckdb")
    with path.open("rb") as fh:
        header = fh.read(16)
    if header[8:12] != _DUCKDB_MAGIC:
        raise AssayError(f"catalog {path} is not a DuckDB file",
                         "pass --catalog a .duckdb file made by Assay, or a new path")


class Catalog:
    """Handle on a catalog file; cheap to create, holds no connection."""

    def __init__(self, path: str | Path | None = None, *, create: bool = True):
        self.path = resolve_catalog_path(path)
        check_is_duckdb(self.path)
        if not self.path.exists():
            if not create:
                raise AssayError(f"catalog {self.path} does not exist",
                                 "run `assay demo` or `assay run CONFIG` first, or pass --catalog")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._ensure_schema()

    @property
    def runs_dir(self) -> Path:
        """Where this catalog's run bundles live: next to the file, `<stem>.runs/`."""
        return self.path.with_name(self.path.stem + ".runs")

    @contextlib.contextmanager
    def _process_lock(self, exclusive: bool, deadline: float) -> Iterator[None]:
        """Advisory lock shared by every Assay process using this catalog.

        A short non-blocking phase, then a blocking wait: the kernel queues waiters, so no
        process starves behind others' retries (holders keep it for one short transaction).
        """
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        kind = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            spin_until = min(deadline, time.monotonic() + 0.05)
            while True:
                try:
                    fcntl.flock(fd, kind | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > spin_until:
                        fcntl.flock(fd, kind)  # blocking; releases the GIL while it waits
                        break
                    time.sleep(0.002)
            yield
        finally:
            os.close(fd)  # releases the lock

    @contextlib.contextmanager
    def connect(self, *, write: bool = False, timeout_s: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection; writes run inside one transaction, committed on exit."""
        deadline = time.monotonic() + (LOCK_TIMEOUT_S if timeout_s is None else timeout_s)
        delay = 0.02
        read_only = not write and self.path.exists() and self.path.stat().st_size > 0
        with _local_lock, self._process_lock(not read_only, deadline):
            while True:
                try:
                    con = duckdb.connect(str(self.path), read_only=read_only)
                    break
                except duckdb.IOException as err:
                    if not _is_lock_error(err) or time.monotonic() > deadline:
                        if _is_lock_error(err):
                            raise AssayError(f"catalog {self.path} stayed locked by another process for "
                                             f"{LOCK_TIMEOUT_S:.0f}s", "retry, or raise ASSAY_LOCK_TIMEOUT") from None
                        raise AssayError(f"cannot open catalog {self.path}: {err}",
                                         "check the path and that it is a DuckDB file") from None
                    time.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 1.6, 0.5)
                except duckdb.Error as err:
                    raise AssayError(f"cannot open catalog {self.path}: {str(err).splitlines()[0]}",
                                     "pass --catalog a DuckDB file made by Assay, or a new path") from None
            try:
                if write:
                    con.execute("BEGIN TRANSACTION")
                    from audits.trust import checkpoint

                    try:
                        yield con
                    except BaseException:
                        con.execute("ROLLBACK")
                        checkpoint.discard(con)
                        raise
                    con.execute("COMMIT")
                    checkpoint.flush(con, self.path)  # the signed head, copied outside the catalog
                else:
                    yield con
            finally:
                con.close()

    def _ensure_schema(self) -> None:
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.connect() as con:
                have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
                version = con.execute("SELECT value FROM schema_info WHERE key = 'version'").fetchone() \
                    if "schema_info" in have else None
            if set(TABLES) <= have and version and version[0] == str(SCHEMA_VERSION):
                return
        with self.connect(write=True) as con:
            for ddl in TABLES.values():
                con.execute(ddl)
            for table, column, kind in ADDED_COLUMNS:
                con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
            con.execute("INSERT OR REPLACE INTO schema_info VALUES ('version', ?)", [str(SCHEMA_VERSION)])
            con.execute("INSERT OR IGNORE INTO schema_info VALUES ('catalog_id', ?)", [secrets.token_hex(8)])

    @property
    def catalog_id(self) -> str:
        """This catalog's random id (names its checkpoints and its log's genesis)."""
        with self.connect() as con:
            row = con.execute("SELECT value FROM schema_info WHERE key = 'catalog_id'").fetchone()
        return row[0] if row else "legacy"

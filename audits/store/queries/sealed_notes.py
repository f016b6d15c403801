"""Raw text of notes and corrections, sealed under the run's raw-text key (only when the run keeps
raw text): one row per (table, row id, column). Erasing the run deletes the rows and its key."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from audits.store.catalog import Catalog
from audits.store.schema import ON_FIRST_USE

_DDL = ON_FIRST_USE["sealed_notes"]


def _exists(con: Any) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sealed_notes'"
                            ).fetchone()[0])


def insert(con: Any, run_id: str, table: str, row_id: str, sealed: dict[str, bytes]) -> None:
    """Store the sealed raw texts of one row (``{column: sealed bytes}``) on an open write connection."""
    if not sealed:
        return
    con.execute(_DDL)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for column, blob in sorted(sealed.items()):
        con.execute("INSERT INTO sealed_notes VALUES (?, ?, ?, ?, ?, ?)", [run_id, table, row_id, column, blob, now])


def digests(sealed: dict[str, bytes] | None) -> dict[str, str] | None:
    """{column: SHA-256 of its sealed bytes}, for the act's signed log entry (None when nothing was sealed):
    verify compares every stored blob with it, so an edited or swapped blob is caught without its key."""
    return {c: hashlib.sha256(b).hexdigest() for c, b in sorted(sealed.items())} if sealed else None


def keys(con: Any) -> list[tuple[str, str, str, str, bytes]]:
    """(run_id, table_name, row_id, column_name, sealed bytes) of every sealed text row (for verify)."""
    if not _exists(con):
        return []
    return [(str(r), str(t), str(i), str(c), bytes(b) if b is not None else b"") for r, t, i, c, b in
            con.execute("SELECT run_id, table_name, row_id, column_name, sealed FROM sealed_notes").fetchall()]


def delete_run(con: Any, run_id: str) -> int:
    """Delete the run's sealed texts on an open write connection; how many there were."""
    if not _exists(con):
        return 0
    n = con.execute("SELECT count(*) FROM sealed_notes WHERE run_id = ?", [run_id]).fetchone()[0]
    con.execute("DELETE FROM sealed_notes WHERE run_id = ?", [run_id])
    return int(n)


def raw_notes(cat: Catalog, run_id: str) -> pd.DataFrame:
    """(table_name, row_id, column_name, value) of the run's kept raw notes, decrypted; empty when
    none were kept or the run was erased. For admins (callers check the role)."""
    from audits.trust.rawstore import open_text

    columns = ["table_name", "row_id", "column_name", "value"]
    with cat.connect() as con:
        if not _exists(con):
            return pd.DataFrame(columns=columns)
        rows = con.execute("SELECT table_name, row_id, column_name, sealed FROM sealed_notes WHERE run_id = ? "
                           "ORDER BY created_at, table_name, row_id, column_name", [run_id]).fetchall()
    out = [(t, r, c, open_text(run_id, bytes(b))) for t, r, c, b in rows]
    return pd.DataFrame([o for o in out if o[3] is not None], columns=columns)

"""One SQLite write transaction, taken at once (`BEGIN IMMEDIATE`): the local ticket store and the
gateway's spool share files between processes, and a writer must hold the lock from its first
read, or two processes deciding on the same rows would both write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Committed when the block ends, rolled back when it raises (or already ended by the block,
    a dry run's ROLLBACK)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if conn.in_transaction:
        conn.execute("COMMIT")

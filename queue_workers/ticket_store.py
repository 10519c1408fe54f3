"""The local ticket store: where events land when no ticketing core is configured (DESIGN.md).

Tickets (`TicketEvent`) and their supplements (`TicketSupplement`), each stored once per event_id.
The schema carries its version in SQLite's `user_version`; opening a file of an earlier release
upgrades it in place (`_MIGRATIONS`).

SQLite in WAL mode: the worker writes while the gateway's admin pages read, from separate
processes, without blocking each other. Each `TicketStore` holds one connection, opened on first
use and shared by the threads of its process under a lock (the gateway calls it from
`asyncio.to_thread`, whose threads vary).

The rows hold personal data (第七条): operators read them to call citizens back; nothing here logs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain import TicketEvent, TicketSupplement
from queue_workers.sqlite_tx import immediate
from queue_workers.ticket_core import encode_body

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 10.0

# Step N brings a store from user_version N-1 to N. Every statement is idempotent (IF NOT EXISTS),
# so two processes upgrading the same file at once cannot fail each other; a released step is never
# edited, only followed by a new one.
_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS tickets (
    event_id    TEXT PRIMARY KEY,
    ticket_no   TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL,
    decision    TEXT NOT NULL,
    category    TEXT,
    domain      TEXT,
    urgent      INTEGER NOT NULL,
    received_ts REAL NOT NULL,
    stored_at   TEXT NOT NULL,
    event_json  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_newest ON tickets (received_ts DESC);
CREATE INDEX IF NOT EXISTS tickets_channel ON tickets (channel, received_ts DESC);
CREATE INDEX IF NOT EXISTS tickets_decision ON tickets (decision, received_ts DESC);
CREATE INDEX IF NOT EXISTS tickets_category ON tickets (category, received_ts DESC);
""",
    # Supplements (hotline.ticket-supplement/v1). No foreign key to tickets: a supplement may
    # arrive before its ticket, and is kept until the ticket shows it.
    2: """
CREATE TABLE IF NOT EXISTS supplements (
    event_id    TEXT PRIMARY KEY,
    ticket_no   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    channel     TEXT NOT NULL,
    received_ts REAL NOT NULL,
    stored_at   TEXT NOT NULL,
    event_json  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS supplements_ticket ON supplements (ticket_no, received_ts);
""",
}

# A ticket_no collision with a *different* event raises IntegrityError instead of being ignored:
# only a repeat of the same event_id is a duplicate, anything else must not vanish silently.
_INSERT = """
INSERT INTO tickets
    (event_id, ticket_no, channel, decision, category, domain, urgent, received_ts, stored_at, event_json)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO NOTHING
"""

_INSERT_SUPPLEMENT = """
INSERT INTO supplements (event_id, ticket_no, kind, channel, received_ts, stored_at, event_json)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Admin-page filters; `ticket_no` matches as a prefix (a day: `12328-20261128`)."""

    ticket_no: str | None = None
    channel: str | None = None
    decision: str | None = None
    category: str | None = None
    domain: str | None = None

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.ticket_no:
            clauses.append("ticket_no LIKE ? ESCAPE '\\'")
            params.append(_escape_like(self.ticket_no) + "%")
        for column, value in (
            ("channel", self.channel),
            ("decision", self.decision),
            ("category", self.category),
            ("domain", self.domain),
        ):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


@dataclass(frozen=True, slots=True)
class StoredTicket:
    event: TicketEvent
    event_json: str
    stored_at: datetime


@dataclass(frozen=True, slots=True)
class StoredSupplement:
    supplement: TicketSupplement
    event_json: str
    stored_at: datetime


@dataclass(frozen=True, slots=True)
class Purged:
    tickets: int
    supplements: int
    recordings: int  # tickets and supplements whose recording references were taken out


class TicketStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def add(self, event: TicketEvent) -> bool:
        """Store `event`; False when its event_id is already stored (a redelivered job)."""
        row = (
            str(event.event_id),
            event.ticket_no,
            event.channel.value,
            event.decision.value,
            event.category.value if event.category else None,
            event.domain.value if event.domain else None,
            int(event.urgent),
            event.received_at.timestamp(),
            datetime.now(UTC).isoformat(),
            encode_body(event.to_json_dict()).decode("utf-8"),
        )
        with self._lock:
            cursor = self._connection().execute(_INSERT, row)
            return cursor.rowcount == 1

    def add_supplement(self, supplement: TicketSupplement) -> bool:
        """Store `supplement`, whether its ticket is stored yet or not; False when its event_id is
        already stored (a redelivered job)."""
        row = (
            str(supplement.event_id),
            supplement.ticket_no,
            supplement.kind,
            supplement.channel.value,
            supplement.received_at.timestamp(),
            datetime.now(UTC).isoformat(),
            encode_body(supplement.to_json_dict()).decode("utf-8"),
        )
        with self._lock:
            cursor = self._connection().execute(_INSERT_SUPPLEMENT, row)
            return cursor.rowcount == 1

    def supplements(self, ticket_no: str) -> list[StoredSupplement]:
        """The ticket's supplements in the order the citizen sent them (then as they arrived)."""
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT event_json, stored_at FROM supplements WHERE ticket_no = ? ORDER BY received_ts, rowid",
                    (ticket_no,),
                )
                .fetchall()
            )
        return [
            StoredSupplement(
                supplement=TicketSupplement.model_validate_json(event_json),
                event_json=event_json,
                stored_at=datetime.fromisoformat(stored_at),
            )
            for event_json, stored_at in rows
        ]

    def newest(self, filters: TicketFilter | None = None, *, limit: int = 50, offset: int = 0) -> list[StoredTicket]:
        """One page of tickets, newest received first."""
        where, params = (filters or TicketFilter()).where()
        # S608: `where` is built from fixed column names only; every value is a bound parameter.
        sql = (
            "SELECT event_json, stored_at FROM tickets"  # noqa: S608
            + where
            + " ORDER BY received_ts DESC, rowid DESC LIMIT ? OFFSET ?"
        )
        with self._lock:
            rows = self._connection().execute(sql, [*params, max(0, limit), max(0, offset)]).fetchall()
        return [_stored(event_json, stored_at) for event_json, stored_at in rows]

    def count(self, filters: TicketFilter | None = None) -> int:
        where, params = (filters or TicketFilter()).where()
        sql = "SELECT count(*) FROM tickets" + where  # noqa: S608 (see newest)
        with self._lock:
            (total,) = self._connection().execute(sql, params).fetchone()
        return int(total)

    def get(self, ticket_no: str) -> StoredTicket | None:
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT event_json, stored_at FROM tickets WHERE ticket_no = ?", (ticket_no,))
                .fetchone()
            )
        return None if row is None else _stored(row[0], row[1])

    def purge(self, *, tickets_before: datetime, recordings_before: datetime, dry_run: bool = False) -> Purged:
        """Delete the tickets and supplements received before `tickets_before`, and take the
        recording references (recording attachments, `source.recording`) out of those received
        before `recordings_before`. The caller checks the cut-offs against the retention periods
        (`queue_workers.retention`); one transaction, so a purge happens whole or not at all."""
        old = tickets_before.timestamp()
        with self._lock, immediate(self._connection()) as conn:
            (tickets,) = conn.execute("SELECT count(*) FROM tickets WHERE received_ts < ?", (old,)).fetchone()
            (supplements,) = conn.execute("SELECT count(*) FROM supplements WHERE received_ts < ?", (old,)).fetchone()
            conn.execute("DELETE FROM tickets WHERE received_ts < ?", (old,))
            conn.execute("DELETE FROM supplements WHERE received_ts < ?", (old,))
            recordings = sum(
                _strip_recordings(conn, table, model, recordings_before.timestamp())
                for table, model in (("tickets", TicketEvent), ("supplements", TicketSupplement))
            )
            if dry_run:
                conn.execute("ROLLBACK")  # counted, nothing kept
        return Purged(tickets=int(tickets), supplements=int(supplements), recordings=recordings)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = _open(self.path)
        return self._conn


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit (isolation_level=None): every add is its own transaction, committed before the
    # RQ job reports success. check_same_thread=False: the store's lock serialises the threads.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        _use_wal(conn)
        # FULL, not WAL's usual NORMAL: once add() returns the job is finished and its Redis copy
        # gone, so the row must survive a power cut ("nothing accepted is lost").
        conn.execute("PRAGMA synchronous=FULL")
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION: a new file gets every step, a file of an earlier release
    the steps it lacks. A file of a later release is left alone (its steps only add)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version >= SCHEMA_VERSION:
        return
    steps = "".join(_MIGRATIONS[step] for step in range(version + 1, SCHEMA_VERSION + 1))
    # One IMMEDIATE transaction (inside the script: executescript commits anything pending first):
    # a gateway and a worker starting together upgrade the file once, whole, or not at all.
    try:
        conn.executescript(f"BEGIN IMMEDIATE;{steps}PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL once. Asking is free; switching answers "database is locked" at once, without
    waiting on the busy timeout, while another process writes — so only switch when needed, and
    wait out a concurrent writer (a gateway opening the store while its worker adds a ticket)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() == "wal":
            return
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _strip_recordings(
    conn: sqlite3.Connection, table: str, model: type[TicketEvent] | type[TicketSupplement], before: float
) -> int:
    """Rows of `table` received before `before` whose recording references were taken out."""
    # S608: `table` is one of two fixed names; the values are bound parameters.
    rows = conn.execute(
        f"SELECT event_id, event_json FROM {table} WHERE received_ts < ? AND event_json LIKE ?",  # noqa: S608
        (before, '%"recording"%'),
    ).fetchall()
    stripped = 0
    for event_id, event_json in rows:
        event = model.model_validate_json(event_json)
        attachments = tuple(a for a in event.content.attachments if a.kind != "recording")
        if attachments == event.content.attachments and event.source.recording is None:
            continue
        kept = event.model_copy(
            update={
                "content": event.content.model_copy(update={"attachments": attachments}),
                "source": event.source.model_copy(update={"recording": None}),
            }
        )
        body = encode_body(kept.to_json_dict()).decode("utf-8")
        conn.execute(f"UPDATE {table} SET event_json = ? WHERE event_id = ?", (body, event_id))  # noqa: S608
        stripped += 1
    return stripped


def _stored(event_json: str, stored_at: str) -> StoredTicket:
    return StoredTicket(
        event=TicketEvent.model_validate_json(event_json),
        event_json=event_json,
        stored_at=datetime.fromisoformat(stored_at),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

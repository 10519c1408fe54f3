"""The durable spool: where an accepted submission goes when Redis cannot take it.

Nothing accepted is lost: when Redis fails at intake, the submission's writes (its RQ job, the
reply a repeat will get, its conversation state) are stored here instead — SQLite in WAL mode under
the data dir, `synchronous=FULL`, so the row is on disk before the citizen is answered. As soon as
Redis answers again, `SpoolReplayer` writes the rows into Redis oldest first, exactly as the
pipeline would have, and deletes each once it is there. Only when the spool itself cannot be
written does the citizen get a 503.

- Repeats: every key a spooled submission writes (the dedupe key's reply above all) is indexed, so
  a repeat finds the first reply here until the replay has put it in Redis; two requests spooling
  the same dedupe key at once are one submission (the second gets the first's reply).
- Ticket numbers: Redis's per-day counter is out of reach, so a spooled ticket is numbered from
  the spool's own counter in a range the Redis counter never reaches (`12328-YYYYMMDD-9{node}{n}`,
  11 digits, where the node id tells gateways sharing nothing apart).
- Replay is idempotent: a row whose writes reached Redis but whose delete did not is written again
  with the same job ids and keys; the worker does not deliver an event twice (`delivered` keys and
  the core's Idempotency-Key).

Several gateway processes on one machine share the file; each replays (the first to take a row
wins, under SQLite's write lock).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.enqueue import BatchingEnqueuer, EnqueueFailed, JobSpec, KeyWrite, ListPush, Writes
from gateway.local_files import read_or_create
from queue_workers.sqlite_tx import immediate

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 10.0
REPLAY_INTERVAL_S = 0.5
REPLAY_BATCH = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    spooled_at  TEXT NOT NULL,
    writes_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entry_keys (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    seq   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entry_keys_seq ON entry_keys (seq);
CREATE TABLE IF NOT EXISTS numbers (
    day TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    token      TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value) VALUES ('spooled', 0), ('replayed', 0);
"""


@dataclass(frozen=True, slots=True)
class SpoolTotals:
    """What the spool holds now, and how many submissions it has taken and given back since its
    file was created: kept in the file, so every process on the data dir counts the same, and a
    restart does not reset them (Prometheus counters)."""

    depth: int
    spooled: int
    replayed: int


class SpoolFailed(Exception):
    """The spool could not be written either: the submission is not taken (503)."""


class AlreadySpooled(Exception):
    """Another request spooled the same key first; `value` is what it stored (its reply)."""

    def __init__(self, value: bytes) -> None:
        super().__init__("already spooled")
        self.value = value


class Spool:
    def __init__(self, path: Path, node_id: str) -> None:
        if len(node_id) != 4 or not node_id.isdigit():
            raise ValueError(f"spool node id must be 4 digits, not {node_id!r}")
        self.path = path
        self.node_id = node_id
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        # How many entries wait, as last seen (this process's adds, the replayer's looks): while
        # none do, the pipeline need not ask the spool about repeats.
        self.waiting = 0

    # -- intake (called from worker threads: every call blocks on SQLite and fsync) --------------

    def add(self, writes: Writes, *, unique: str | None = None) -> None:
        """Store `writes` durably. `unique`: a key of `writes` no other entry may hold (the dedupe
        key); `AlreadySpooled` with the other entry's value when one does."""
        body = json.dumps(_encode(writes), ensure_ascii=False)
        with self._lock, immediate(self._connection()) as conn:
            if unique is not None:
                row = conn.execute("SELECT value FROM entry_keys WHERE key = ?", (unique,)).fetchone()
                if row is not None:
                    raise AlreadySpooled(bytes(row[0]))
            cursor = conn.execute(
                "INSERT INTO entries (spooled_at, writes_json) VALUES (?, ?)", (datetime.now().isoformat(), body)
            )
            conn.executemany(
                "INSERT OR REPLACE INTO entry_keys (key, value, seq) VALUES (?, ?, ?)",
                [(write.key, write.value, cursor.lastrowid) for write in writes.keys],
            )
            conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'spooled'")
        self.waiting += 1

    def lookup(self, key: str) -> bytes | None:
        """The value a spooled entry writes at `key` (a reply waiting for the replay)."""
        with self._lock:
            row = self._connection().execute("SELECT value FROM entry_keys WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def next_ticket_no(self, day: str) -> str:
        """`12328-{day}-9{node}{n:06d}`: numbers Redis's counter (6 digits a day) never reaches."""
        with self._lock, immediate(self._connection()) as conn:
            conn.execute("INSERT INTO numbers (day, n) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET n = n + 1", (day,))
            (n,) = conn.execute("SELECT n FROM numbers WHERE day = ?", (day,)).fetchone()
        return f"12328-{day}-9{self.node_id}{int(n):06d}"

    def use_nonce(self, token: str, ttl_s: int, now: float) -> bool:
        """Single use of a request nonce while Redis, which normally keeps them, is away."""
        with self._lock:
            conn = self._connection()
            conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now,))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO nonces (token, expires_at) VALUES (?, ?)", (token, now + ttl_s)
            )
            return cursor.rowcount == 1

    # -- replay ------------------------------------------------------------------------------------

    def depth(self) -> int:
        with self._lock:
            (count,) = self._connection().execute("SELECT count(*) FROM entries").fetchone()
        return int(count)

    def oldest(self, limit: int) -> list[tuple[int, Writes]]:
        with self._lock:
            rows = (
                self._connection()
                .execute("SELECT seq, writes_json FROM entries ORDER BY seq LIMIT ?", (limit,))
                .fetchall()
            )
        return [(int(seq), _decode(json.loads(body))) for seq, body in rows]

    def remove(self, seq: int) -> None:
        """The entry is in Redis now. Counted once, whichever process's replayer got there first."""
        with self._lock, immediate(self._connection()) as conn:
            if conn.execute("DELETE FROM entries WHERE seq = ?", (seq,)).rowcount:
                conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'replayed'")
            conn.execute("DELETE FROM entry_keys WHERE seq = ?", (seq,))

    def totals(self) -> SpoolTotals:
        with self._lock:
            conn = self._connection()
            (depth,) = conn.execute("SELECT count(*) FROM entries").fetchone()
            counters = dict(conn.execute("SELECT name, value FROM counters").fetchall())
        return SpoolTotals(depth=int(depth), spooled=int(counters["spooled"]), replayed=int(counters["replayed"]))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # on disk before the citizen is answered
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn


def node_id_of(data_dir: Path) -> str:
    """This machine's 4-digit spool node id: drawn once, kept in the data dir (`node_id`)."""
    content = read_or_create(data_dir / "node_id", lambda: f"{secrets.randbelow(10_000):04d}".encode(), mode=0o644)
    return content.decode().strip()


class SpoolReplayer:
    """Moves spooled submissions into Redis, oldest first, as soon as Redis takes writes again."""

    def __init__(self, spool: Spool, enqueuer: BatchingEnqueuer, *, interval_s: float = REPLAY_INTERVAL_S) -> None:
        self._spool = spool
        self._enqueuer = enqueuer
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self.replayed = 0
        self._unreadable = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="spool-replayer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.replay_once()  # whatever Redis takes now is not left for the next start

    async def replay_once(self) -> int:
        """Replay what the spool holds, oldest first, until it is empty or Redis fails."""
        done = 0
        try:
            while batch := await asyncio.to_thread(self._spool.oldest, REPLAY_BATCH):
                for seq, writes in batch:
                    await self._enqueuer.write(writes)
                    await asyncio.to_thread(self._spool.remove, seq)
                    done += 1
            self._unreadable = False
            self._spool.waiting = 0  # read empty just now: no count needed
        except EnqueueFailed:
            # Redis is still away: the next pass starts again from the oldest row. What waits,
            # other processes' entries too, is counted, so a repeat arriving here finds them.
            with contextlib.suppress(sqlite3.Error):
                self._spool.waiting = await asyncio.to_thread(self._spool.depth)
        except sqlite3.Error as exc:
            if not self._unreadable:  # said once, not every pass
                log.error("spool unreadable: %s", exc)
            self._unreadable = True
        self.replayed += done
        if done:
            log.info("replayed %d spooled submissions into Redis", done)
        return done

    async def _run(self) -> None:
        while True:
            try:
                await self.replay_once()
            except Exception:  # the loop must outlive any one failure
                log.exception("spool replay failed")
            await asyncio.sleep(self._interval_s)


def _encode(writes: Writes) -> dict[str, Any]:
    return {
        "jobs": [
            {
                "queue": job.queue,
                "func": job.func,
                "payload": job.payload,
                "job_id": job.job_id,
                "description": job.description,
                "retry_schedule": list(job.retry_schedule),
                "run_at": job.run_at.isoformat() if job.run_at else None,
                "request_id": job.request_id,
            }
            for job in writes.jobs
        ],
        "keys": [{"key": w.key, "value": _b64(w.value), "ttl_s": w.ttl_s} for w in writes.keys],
        "deletes": list(writes.deletes),
        "pushes": [{"key": p.key, "value": _b64(p.value), "keep": p.keep, "ttl_s": p.ttl_s} for p in writes.pushes],
        "unschedule": [list(pair) for pair in writes.unschedule],
    }


def _decode(data: dict[str, Any]) -> Writes:
    return Writes(
        jobs=tuple(
            JobSpec(
                queue=job["queue"],
                func=job["func"],
                payload=job["payload"],
                job_id=job["job_id"],
                description=job["description"],
                retry_schedule=tuple(job["retry_schedule"]),
                run_at=datetime.fromisoformat(job["run_at"]) if job["run_at"] else None,
                request_id=job.get("request_id"),
            )
            for job in data["jobs"]
        ),
        keys=tuple(KeyWrite(w["key"], base64.b64decode(w["value"]), w["ttl_s"]) for w in data["keys"]),
        deletes=tuple(data["deletes"]),
        pushes=tuple(ListPush(p["key"], base64.b64decode(p["value"]), p["keep"], p["ttl_s"]) for p in data["pushes"]),
        unschedule=tuple((queue, job_id) for queue, job_id in data["unschedule"]),
    )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")

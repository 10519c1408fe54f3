"""Supplements in the local ticket store, and the upgrade of a store written by the first release."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from queue_workers.ticket_store import SCHEMA_VERSION, TicketStore
from tests.concurrency import run_together
from tests.event_factory import BASE_TIME, make_event
from tests.supplement_factory import make_supplement

# The schema as release 1 (user_version 1) created it, verbatim: the upgrade must keep working on
# files that exist in the field, whatever later code does.
_V1_SCHEMA = """
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
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TicketStore]:
    ticket_store = TicketStore(tmp_path / "tickets.sqlite3")
    yield ticket_store
    ticket_store.close()


def _v1_file(path: Path, *ticket_numbers: int) -> None:
    """A store as release 1 left it: WAL, user_version 1, tickets and no supplements table."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(f"BEGIN;{_V1_SCHEMA}PRAGMA user_version=1;COMMIT;")
        for n in ticket_numbers:
            event = make_event(n)
            conn.execute(
                "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(event.event_id),
                    event.ticket_no,
                    "app",
                    "accepted",
                    "complaint",
                    "urban_transit",
                    0,
                    event.received_at.timestamp(),
                    "2026-11-28T01:00:00+00:00",
                    event.model_dump_json(by_alias=True),
                ),
            )
    finally:
        conn.close()


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
    return int(version)


def test_a_new_store_is_at_the_current_version(store: TicketStore) -> None:
    assert store.count() == 0
    assert _user_version(store.path) == SCHEMA_VERSION == 2


def test_supplements_are_stored_once_and_listed_in_the_order_sent(store: TicketStore) -> None:
    store.add(make_event(1))
    later = make_supplement(2, kind="text", content={"text": "车牌号是粤A12345。"})
    earlier = make_supplement(1)
    assert store.add_supplement(later) is True
    assert store.add_supplement(earlier) is True
    assert store.add_supplement(later) is False  # a redelivered job
    same_time = make_supplement(1, kind="location", content={"location": {"label": "广州南站"}})
    store.add_supplement(same_time)  # same minute as `earlier`: arrival order decides
    store.add_supplement(make_supplement(1, ticket=2))  # another ticket's

    listed = store.supplements("12328-20261128-000001")
    assert [s.supplement.event_id for s in listed] == [earlier.event_id, same_time.event_id, later.event_id]
    assert listed[0].supplement == earlier
    assert json.loads(listed[0].event_json) == earlier.to_json_dict()
    assert store.count() == 1  # supplements open no ticket
    assert [s.supplement.kind for s in store.supplements("12328-20261128-000002")] == ["media"]
    assert store.supplements("12328-20261128-000009") == []


def test_a_supplement_before_its_ticket_is_kept_for_it(store: TicketStore) -> None:
    supplement = make_supplement(1, ticket=7)
    assert store.add_supplement(supplement) is True
    assert store.get("12328-20261128-000007") is None
    assert [s.supplement for s in store.supplements("12328-20261128-000007")] == [supplement]
    store.add(make_event(7))
    assert store.get("12328-20261128-000007") is not None
    assert [s.supplement for s in store.supplements("12328-20261128-000007")] == [supplement]


def test_a_release_1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "tickets.sqlite3"
    _v1_file(path, 1, 2)
    assert _user_version(path) == 1

    upgraded = TicketStore(path)
    try:
        assert upgraded.count() == 2  # the old rows are all there, readable
        ticket = upgraded.get("12328-20261128-000002")
        assert ticket is not None
        assert ticket.event.content.text == "出租车司机拒载，第2件。"
        assert upgraded.supplements("12328-20261128-000001") == []
        assert upgraded.add_supplement(make_supplement(1)) is True
        assert len(upgraded.supplements("12328-20261128-000001")) == 1
        assert upgraded.add(make_event(3)) is True
    finally:
        upgraded.close()
    assert _user_version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "supplements_ticket" in indexes
    reopened = TicketStore(path)  # a second open finds nothing to do
    try:
        assert reopened.count() == 3
    finally:
        reopened.close()


def test_a_release_1_store_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    """A gateway and its workers start together on an old file: each opens it, one upgrades it."""
    for attempt in range(10):
        path = tmp_path / f"old-{attempt}.sqlite3"
        _v1_file(path, 1)

        def open_and_add(n: int, path: Path = path) -> None:
            opened = TicketStore(path)
            opened.add_supplement(make_supplement(n + 1))
            opened.close()

        assert run_together(4, open_and_add) == []
        check = TicketStore(path)
        assert len(check.supplements("12328-20261128-000001")) == 4
        check.close()
        assert _user_version(path) == SCHEMA_VERSION


def test_a_store_from_a_later_release_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "tickets.sqlite3"
    first = TicketStore(path)
    first.add(make_event(1, received_at=BASE_TIME + timedelta(hours=1)))
    first.close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    again = TicketStore(path)
    try:
        assert again.count() == 1
    finally:
        again.close()
    assert _user_version(path) == SCHEMA_VERSION + 1

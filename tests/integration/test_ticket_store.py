"""The local ticket store on a real SQLite file: idempotence, listing, filters, concurrency."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from queue_workers.ticket_store import TicketFilter, TicketStore
from tests.concurrency import run_together
from tests.event_factory import BASE_TIME, make_event

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "deep" / "var" / "tickets.sqlite3"


@pytest.fixture
def store(store_path: Path) -> Iterator[TicketStore]:
    ticket_store = TicketStore(store_path)
    yield ticket_store
    ticket_store.close()


def test_created_on_first_use_in_wal_mode(store: TicketStore, store_path: Path) -> None:
    assert not store_path.parent.exists()  # nothing happens at construction
    assert store.count() == 0
    assert store_path.exists()
    with sqlite3.connect(store_path) as conn:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_add_is_idempotent_on_event_id(store: TicketStore) -> None:
    event = make_event(1)
    assert store.add(event) is True
    assert store.add(event) is False
    assert store.count() == 1
    stored = store.get(event.ticket_no)
    assert stored is not None
    assert stored.event == event
    assert json.loads(stored.event_json) == event.to_json_dict()


def test_another_event_with_a_taken_ticket_no_is_an_error_not_a_silent_drop(store: TicketStore) -> None:
    store.add(make_event(1))
    with pytest.raises(sqlite3.IntegrityError):
        store.add(make_event(1))  # same ticket number, new event_id
    assert store.count() == 1


def test_newest_first_with_paging(store: TicketStore) -> None:
    for n in (3, 1, 5, 2, 4):
        store.add(make_event(n))
    assert [t.event.ticket_no[-1] for t in store.newest()] == ["5", "4", "3", "2", "1"]
    assert [t.event.ticket_no[-1] for t in store.newest(limit=2)] == ["5", "4"]
    assert [t.event.ticket_no[-1] for t in store.newest(limit=2, offset=2)] == ["3", "2"]
    assert [t.event.ticket_no[-1] for t in store.newest(limit=2, offset=4)] == ["1"]
    assert store.newest(limit=2, offset=10) == []


def test_newest_orders_by_instant_across_offsets(store: TicketStore) -> None:
    # 10:00+08:00 is 02:00Z: earlier than 03:00Z, although its text sorts later.
    store.add(make_event(1, received_at=BASE_TIME.replace(hour=10)))
    store.add(make_event(2, received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC)))
    assert [t.event.ticket_no[-1] for t in store.newest()] == ["2", "1"]


def test_filters_and_count(store: TicketStore) -> None:
    store.add(make_event(1, channel="app", decision="accepted", category="complaint", domain="urban_transit"))
    store.add(make_event(2, channel="wechat", decision="answered", category="inquiry", domain="highway"))
    store.add(make_event(3, channel="wechat", decision="accepted", category="complaint", domain=None))
    store.add(
        make_event(
            4,
            ticket_no="12328-20261129-000001",
            channel="ivr",
            decision="rejected",
            reason="out_of_scope",
            category=None,
            domain=None,
        )
    )

    def numbers(filters: TicketFilter) -> list[str]:
        return [t.event.ticket_no for t in store.newest(filters)]

    assert numbers(TicketFilter(channel="wechat")) == ["12328-20261128-000003", "12328-20261128-000002"]
    assert numbers(TicketFilter(channel="wechat", decision="accepted")) == ["12328-20261128-000003"]
    assert numbers(TicketFilter(category="complaint")) == ["12328-20261128-000003", "12328-20261128-000001"]
    assert numbers(TicketFilter(domain="highway")) == ["12328-20261128-000002"]
    assert numbers(TicketFilter(decision="rejected")) == ["12328-20261129-000001"]
    assert numbers(TicketFilter(ticket_no="12328-20261129")) == ["12328-20261129-000001"]
    assert numbers(TicketFilter(ticket_no="12328-20261128-000002")) == ["12328-20261128-000002"]
    assert store.count(TicketFilter(ticket_no="12328-20261128")) == 3
    assert store.count(TicketFilter(channel="wechat")) == 2
    assert store.count(TicketFilter(channel="webform")) == 0
    assert store.count() == 4


def test_ticket_no_filter_is_a_literal_prefix(store: TicketStore) -> None:
    store.add(make_event(1))
    assert store.count(TicketFilter(ticket_no="%")) == 0
    assert store.count(TicketFilter(ticket_no="12328_2026")) == 0
    assert store.count(TicketFilter(ticket_no="12328-2026")) == 1


def test_get_unknown_is_none(store: TicketStore) -> None:
    assert store.get("12328-20261128-999999") is None


def test_two_stores_on_one_file_see_each_other(store_path: Path) -> None:
    writer, reader = TicketStore(store_path), TicketStore(store_path)
    try:
        assert reader.count() == 0
        event = make_event(1)
        assert writer.add(event)
        assert reader.count() == 1
        assert reader.add(event) is False  # the duplicate check spans connections
        stored = reader.get(event.ticket_no)
        assert stored is not None
        assert stored.event.event_id == event.event_id
    finally:
        writer.close()
        reader.close()


def test_one_store_from_many_threads(store: TicketStore) -> None:
    events = [make_event(n) for n in range(1, 41)]
    results: list[bool] = []
    lock = threading.Lock()

    def add_all() -> None:
        for event in events:
            added = store.add(event)
            with lock:
                results.append(added)

    threads = [threading.Thread(target=add_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == len(events)
    assert store.count() == len(events)


_WRITER = """
import sys, uuid
from pathlib import Path
from queue_workers.ticket_store import TicketStore
from tests.event_factory import make_event
store = TicketStore(Path(sys.argv[1]))
added = 0
for n in range(1, 61):
    # Every process writes the same 60 events (same ids): exactly one insert of each may win.
    added += store.add(make_event(n, event_id=uuid.UUID(int=n)))
store.close()
print(added)
"""


def test_concurrent_processes_store_each_event_once(store_path: Path) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(store_path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [err for _, err in outputs]
    assert sum(int(out) for out, _ in outputs) == 60
    reader = TicketStore(store_path)
    try:
        assert reader.count() == 60
        assert {t.event.event_id for t in reader.newest(limit=100)} == {uuid.UUID(int=n) for n in range(1, 61)}
    finally:
        reader.close()


def test_close_is_idempotent_and_the_store_reopens(store: TicketStore) -> None:
    store.add(make_event(1))
    store.close()
    store.close()
    assert store.count() == 1


def test_stores_opened_together_on_a_fresh_file(tmp_path: Path) -> None:
    """A gateway and its worker both open a store that does not exist yet, at the same moment:
    switching a new file to WAL must not fail either of them with "database is locked"."""
    for attempt in range(30):
        path = tmp_path / f"fresh-{attempt}.sqlite3"

        def open_and_add(n: int, path: Path = path, first: int = attempt * 10) -> None:
            store = TicketStore(path)
            store.add(make_event(first + n + 1))
            store.close()

        assert run_together(4, open_and_add) == []
        check = TicketStore(path)
        assert check.count() == 4
        check.close()

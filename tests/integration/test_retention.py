"""Retention of the local ticket store (第三十条): tickets ≥ 5 years, recordings ≥ 1 year; the
settings refuse less, and the purge deletes exactly what is past its period."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain import TicketEvent
from queue_workers.retention import MIN_RECORDING_RETENTION_DAYS, MIN_TICKET_RETENTION_DAYS, purge
from queue_workers.ticket_store import TicketStore
from tests.cli_support import run_cli
from tests.event_factory import SHANGHAI, make_event
from tests.supplement_factory import make_supplement

NOW = datetime(2031, 12, 1, 12, 0, tzinfo=SHANGHAI)
RECORDING = {"url": "https://ivr.example/rec/1.wav", "duration_s": 60.0}


def _call(n: int, days_old: int) -> TicketEvent:
    """A phone ticket with its recording, received `days_old` days before NOW."""
    return make_event(
        n,
        channel="ivr",
        received_at=NOW - timedelta(days=days_old),
        content={"text": "公交车到站不停。", "attachments": [{"kind": "recording", "url": RECORDING["url"]}]},
        source={"call_id": f"c-{n}", "platform": "ivr-gz", "recording": RECORDING},
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    ticket_store = TicketStore(tmp_path / "tickets.sqlite3")
    yield ticket_store
    ticket_store.close()


def _purge(store: TicketStore, uploads: Path, *, dry_run: bool = False) -> Any:
    return purge(
        store,
        uploads,
        ticket_days=MIN_TICKET_RETENTION_DAYS,
        recording_days=MIN_RECORDING_RETENTION_DAYS,
        now=NOW,
        dry_run=dry_run,
    )


def test_tickets_go_after_five_years_and_not_a_day_before(store: TicketStore, tmp_path: Path) -> None:
    store.add(_call(1, MIN_TICKET_RETENTION_DAYS + 1))
    store.add(_call(2, MIN_TICKET_RETENTION_DAYS - 1))
    store.add_supplement(make_supplement(1, ticket=1, received_at=NOW - timedelta(days=MIN_TICKET_RETENTION_DAYS + 1)))
    store.add_supplement(make_supplement(2, ticket=2, received_at=NOW - timedelta(days=10)))
    report = _purge(store, tmp_path / "uploads")
    assert (report.store.tickets, report.store.supplements) == (1, 1)
    assert [t.event.ticket_no for t in store.newest()] == ["12328-20261128-000002"]
    assert store.get("12328-20261128-000001") is None
    assert store.supplements("12328-20261128-000001") == []
    assert len(store.supplements("12328-20261128-000002")) == 1


def test_recording_references_go_after_a_year_the_ticket_stays(store: TicketStore, tmp_path: Path) -> None:
    store.add(_call(1, MIN_RECORDING_RETENTION_DAYS + 1))
    store.add(_call(2, MIN_RECORDING_RETENTION_DAYS - 1))
    report = _purge(store, tmp_path / "uploads")
    assert (report.store.tickets, report.store.recordings) == (0, 1)
    old = store.get("12328-20261128-000001")
    assert old is not None
    assert old.event.content.attachments == ()
    assert old.event.source.recording is None
    assert old.event.content.text == "公交车到站不停。"  # the ticket's data stays five years
    recent = store.get("12328-20261128-000002")
    assert recent is not None
    assert recent.event.source.recording is not None
    assert _purge(store, tmp_path / "uploads").store.recordings == 0  # nothing left to take out


def test_a_dry_run_counts_and_deletes_nothing(store: TicketStore, tmp_path: Path) -> None:
    store.add(_call(1, MIN_TICKET_RETENTION_DAYS + 1))
    store.add(_call(2, MIN_RECORDING_RETENTION_DAYS + 1))
    report = _purge(store, tmp_path / "uploads", dry_run=True)
    assert (report.store.tickets, report.store.recordings) == (1, 1)
    assert store.count() == 2
    second = store.get("12328-20261128-000002")
    assert second is not None
    assert second.event.source.recording is not None


def test_old_photos_go_with_their_tickets(store: TicketStore, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    old = uploads / "ab" / f"{uuid.uuid4().hex}.jpg"
    new = uploads / "cd" / f"{uuid.uuid4().hex}.jpg"
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\xff\xd8\xff")
    for path, days_old in ((old, MIN_TICKET_RETENTION_DAYS + 1), (new, MIN_TICKET_RETENTION_DAYS - 1)):
        stamp = (NOW - timedelta(days=days_old)).timestamp()
        os.utime(path, (stamp, stamp))
    assert _purge(store, uploads).uploads == 1
    assert not old.exists()
    assert new.exists()


def test_a_shorter_retention_is_refused(store: TicketStore, tmp_path: Path, make_settings: Any) -> None:
    with pytest.raises(ValueError, match="第三十条"):
        purge(store, tmp_path, ticket_days=365, recording_days=366, now=NOW)
    with pytest.raises(ValueError, match="第三十条"):
        purge(store, tmp_path, ticket_days=1827, recording_days=180, now=NOW)
    with pytest.raises(ValidationError, match="HOTLINE_TICKET_RETENTION_DAYS must be at least 1827"):
        make_settings(ticket_retention_days=1826)
    with pytest.raises(ValidationError, match="HOTLINE_RECORDING_RETENTION_DAYS must be at least 366"):
        make_settings(recording_retention_days=30)


def test_the_purge_command(tmp_path: Path) -> None:
    data = tmp_path / "var"
    store = TicketStore(data / "tickets.sqlite3")
    now = datetime.now(SHANGHAI)
    store.add(make_event(1, received_at=now - timedelta(days=MIN_TICKET_RETENTION_DAYS + 3)))
    store.add(make_event(2, received_at=now - timedelta(days=3)))
    store.close()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data)}
    dry = run_cli(["purge", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert "would delete: 1 tickets" in dry.stdout
    done = run_cli(["purge"], env)
    assert "deleted: 1 tickets" in done.stdout
    short = run_cli(["purge"], {**env, "HOTLINE_TICKET_RETENTION_DAYS": "30"})
    assert short.returncode == 2
    assert "HOTLINE_TICKET_RETENTION_DAYS" in short.stderr
    reopened = TicketStore(data / "tickets.sqlite3")
    assert reopened.count() == 1
    reopened.close()

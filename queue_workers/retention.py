"""How long the local ticket store keeps what it holds (第三十条: 录音资料存档期限不少于一年，工单电子数据或
文字材料存档期限不少于五年), and the purge that respects it.

Periods are days, and never shorter than the article's years can be: five years hold at most
1,827 days (two leap days), one year 366. The settings refuse less (`WorkerSettings`), and `purge`
checks again, so no configuration and no caller deletes a ticket before its five years are over.

What goes, when:
- tickets and their supplements, received more than `HOTLINE_TICKET_RETENTION_DAYS` ago, and the
  web form's photos stored that long ago (their files under the data dir);
- recording references (a call's recording attachment and `source.recording`), in tickets and
  supplements received more than `HOTLINE_RECORDING_RETENTION_DAYS` ago — the recordings
  themselves live in the IVR's storage, whose own retention must be at least as long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from queue_workers.ticket_store import Purged, TicketStore

MIN_TICKET_RETENTION_DAYS = 5 * 365 + 2
MIN_RECORDING_RETENTION_DAYS = 366


@dataclass(frozen=True, slots=True)
class PurgeReport:
    tickets_before: datetime
    recordings_before: datetime
    store: Purged
    uploads: int
    dry_run: bool


def purge(
    store: TicketStore,
    uploads_root: Path,
    *,
    ticket_days: int,
    recording_days: int,
    now: datetime,
    dry_run: bool = False,
) -> PurgeReport:
    """Everything past its retention at `now` (aware); `dry_run` counts without deleting."""
    if ticket_days < MIN_TICKET_RETENTION_DAYS or recording_days < MIN_RECORDING_RETENTION_DAYS:
        raise ValueError(
            f"retention shorter than 第三十条 allows: tickets {ticket_days} days (at least "
            f"{MIN_TICKET_RETENTION_DAYS}), recordings {recording_days} days (at least {MIN_RECORDING_RETENTION_DAYS})"
        )
    tickets_before = now - timedelta(days=ticket_days)
    recordings_before = now - timedelta(days=recording_days)
    purged = store.purge(tickets_before=tickets_before, recordings_before=recordings_before, dry_run=dry_run)
    uploads = _purge_files(uploads_root, tickets_before.timestamp(), dry_run=dry_run)
    return PurgeReport(tickets_before, recordings_before, purged, uploads, dry_run)


def _purge_files(root: Path, before: float, *, dry_run: bool) -> int:
    """Stored photos written before `before` (their tickets go at the same age)."""
    if not root.is_dir():
        return 0
    old = [path for path in root.rglob("*") if path.is_file() and path.stat().st_mtime < before]
    if not dry_run:
        for path in old:
            path.unlink(missing_ok=True)
    return len(old)

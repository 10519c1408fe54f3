"""The dead letters: jobs that failed for good — refused by their receiver (a 4xx), or still
failing when their retries, spread over `HOTLINE_FORWARD_MAX_AGE_S`, ran out. They wait in RQ's
FailedJobRegistry of their queue, with the receiver's last answer kept (`job.meta`), until an
operator has looked and requeues them (`hotline-gateway dlq list`, `dlq requeue`).

A requeued job gets its whole retry schedule again. It is still delivered once: the receiver
dedupes by Idempotency-Key, and a delivery already made is remembered and not repeated
(`queue_workers.delivery`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from normalizers.pii import mask_pii
from queue_workers.failures import FAILURE_META_KEY
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE

QUEUES = (FORWARD_QUEUE, REPLY_QUEUE)
ERROR_SHOWN_CHARS = 300


@dataclass(frozen=True, slots=True)
class DeadLetter:
    job_id: str
    queue: str
    what: str  # the job's function, short: forward_ticket, return_order …
    subject: str | None  # the ticket or order it carries
    failed_at: datetime | None
    status: int | None  # the receiver's last answer, when there was one
    error: str  # masked (第七条) and cut short

    def to_json_dict(self) -> dict[str, object]:
        return {
            "job_id": self.job_id,
            "queue": self.queue,
            "what": self.what,
            "subject": self.subject,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "status": self.status,
            "error": self.error,
        }


def dead_letters(connection: redis.Redis) -> list[DeadLetter]:
    """Every failed job of the gateway's queues, oldest failure first."""
    letters: list[DeadLetter] = []
    for queue in QUEUES:
        registry = _registry(connection, queue)
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            except NoSuchJobError:
                continue  # expired between the two reads
            letters.append(_letter(job, queue))
    return sorted(letters, key=lambda letter: letter.failed_at.timestamp() if letter.failed_at else 0.0)


def requeue(connection: redis.Redis, job_ids: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """Put failed jobs back on their queues with their retries renewed; `None` requeues all.
    Returns the ids requeued and the ids that were not dead letters."""
    wanted = None if job_ids is None else set(job_ids)
    done: list[str] = []
    for queue in QUEUES:
        registry = _registry(connection, queue)
        for job_id in registry.get_job_ids():
            if wanted is not None and job_id not in wanted:
                continue
            job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            job.retries_left = len(job.retry_intervals or [])
            job.meta.pop(FAILURE_META_KEY, None)
            job.save()
            registry.requeue(job)
            done.append(job_id)
    missing = sorted(wanted - set(done)) if wanted is not None else []
    return done, missing


def _registry(connection: redis.Redis, queue: str) -> FailedJobRegistry:
    registry: FailedJobRegistry = Queue(queue, connection=connection, serializer=JSONSerializer).failed_job_registry
    return registry


def _letter(job: Job, queue: str) -> DeadLetter:
    failure = job.meta.get(FAILURE_META_KEY) or {}
    payload = job.args[0] if job.args and isinstance(job.args[0], dict) else {}
    error = str(failure.get("error") or _last_line(job.exc_info) or "unknown")
    status = failure.get("status")
    return DeadLetter(
        job_id=job.id,
        queue=queue,
        what=(job.func_name or "").rpartition(".")[2],
        subject=payload.get("ticket_no") or payload.get("order_no"),
        failed_at=job.ended_at,
        status=status if isinstance(status, int) else None,
        error=mask_pii(error)[:ERROR_SHOWN_CHARS],
    )


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""

"""Enqueueing to RQ without blocking the event loop, in batches.

RQ's API is synchronous and one `Queue.enqueue()` costs several Redis round trips. Requests hand
their writes to one flusher thread instead; it takes whatever has gathered and writes it all —
jobs with `Queue.enqueue_many()`, delayed jobs with `Queue.schedule_job()`, and each
submission's own keys (the reply a repeat will get, conversation state) — in a single MULTI/EXEC,
so a submission's job and its state are stored together or not at all. Then it wakes the waiting
requests. Jobs keep RQ's own format (JSON serializer), so `rq` tools and any RQ worker read them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

FORWARD_FUNC = "queue_workers.forward.forward_ticket"
_STOP = object()


class EnqueueFailed(Exception):
    """The writes could not be made in Redis; nothing of this submission is acknowledged."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One RQ job: `func` (dotted path) called with `payload`; scheduled when `run_at` is set."""

    queue: str
    func: str
    payload: dict[str, Any]
    job_id: str
    description: str
    retry_schedule: tuple[int, ...] = ()
    run_at: datetime | None = None
    request_id: str | None = None  # of the request that queued it: RQ job meta, sent on to the core


@dataclass(frozen=True, slots=True)
class KeyWrite:
    key: str
    value: bytes
    ttl_s: int


@dataclass(frozen=True, slots=True)
class ListPush:
    """Newest first, at most `keep` items, the whole list expiring `ttl_s` after the last push."""

    key: str
    value: bytes
    keep: int
    ttl_s: int


@dataclass(frozen=True, slots=True)
class Writes:
    """Everything one submission writes; applied atomically with the rest of its batch."""

    jobs: tuple[JobSpec, ...] = ()
    keys: tuple[KeyWrite, ...] = ()
    deletes: tuple[str, ...] = ()
    pushes: tuple[ListPush, ...] = ()
    unschedule: tuple[tuple[str, str], ...] = ()  # (queue, job id): taken off RQ's scheduled registry

    def stamped(self, request_id: str | None) -> Writes:
        """The same writes, each job not yet stamped carrying `request_id`."""
        if request_id is None or all(job.request_id is not None for job in self.jobs):
            return self
        jobs = tuple(job if job.request_id else dataclasses.replace(job, request_id=request_id) for job in self.jobs)
        return dataclasses.replace(self, jobs=jobs)

    def __add__(self, other: Writes) -> Writes:
        return Writes(
            self.jobs + other.jobs,
            self.keys + other.keys,
            self.deletes + other.deletes,
            self.pushes + other.pushes,
            self.unschedule + other.unschedule,
        )


@dataclass(slots=True)
class _Request:
    writes: Writes
    loop: asyncio.AbstractEventLoop = field(repr=False)
    done: asyncio.Future[None] = field(repr=False)


class BatchingEnqueuer:
    def __init__(
        self,
        connection: redis.Redis,
        *,
        job_timeout_s: int = 120,
        failure_ttl_s: int = 90 * 24 * 3600,
        max_batch: int = 256,
    ) -> None:
        self._connection = connection
        self._queues: dict[str, Queue] = {}
        self._job_timeout_s = job_timeout_s
        self._failure_ttl_s = failure_ttl_s
        self._max_batch = max_batch
        self._inbox: queue.SimpleQueue[_Request | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def queue(self, name: str) -> Queue:
        if name not in self._queues:
            self._queues[name] = Queue(name, connection=self._connection, serializer=JSONSerializer)
        return self._queues[name]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rq-flusher", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Flush what is waiting, then stop the thread."""
        if self._thread is None:
            return
        self._inbox.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def write(self, writes: Writes) -> None:
        """Return once everything in `writes` is in Redis; raise `EnqueueFailed` otherwise."""
        if self._thread is None:
            raise EnqueueFailed("enqueuer is not running")
        loop = asyncio.get_running_loop()
        request = _Request(writes, loop, loop.create_future())
        self._inbox.put(request)
        # Shielded: a cancelled request must not hide whether its writes were made.
        await asyncio.shield(request.done)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._inbox.get()
            if first is _STOP:
                break
            batch: list[_Request] = [first]  # type: ignore[list-item]
            while len(batch) < self._max_batch:
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._flush(batch)

    def _flush(self, batch: list[_Request]) -> None:
        error: BaseException | None = None
        try:
            with self._connection.pipeline(transaction=True) as pipe:
                for request in batch:
                    for queue_name, job_id in request.writes.unschedule:
                        pipe.zrem(self.queue(queue_name).scheduled_job_registry.key, job_id)
                self._add_jobs(pipe, [job for request in batch for job in request.writes.jobs])
                for request in batch:
                    for push in request.writes.pushes:
                        pipe.lpush(push.key, push.value)
                        pipe.ltrim(push.key, 0, push.keep - 1)
                        pipe.expire(push.key, push.ttl_s)
                    for write in request.writes.keys:
                        pipe.set(write.key, write.value, ex=write.ttl_s)
                    if request.writes.deletes:
                        pipe.delete(*request.writes.deletes)
                pipe.execute()
        except Exception as exc:  # every failure is reported to each waiting request
            log.warning("write of a batch of %d submissions failed: %s", len(batch), type(exc).__name__)
            error = exc
        for request in batch:
            request.loop.call_soon_threadsafe(_settle, request.done, error)

    def _add_jobs(self, pipe: Any, jobs: list[JobSpec]) -> None:
        # RQ refuses one enqueue_many() call holding the same job id twice (two submissions of one
        # batch writing one job, e.g. an amended ticket): such a job goes into a later call inside
        # the same transaction, where the later write wins, instead of failing the whole batch.
        rounds: list[dict[str, list[Any]]] = []
        for spec in jobs:
            retry = (
                Retry(max=len(spec.retry_schedule), interval=list(spec.retry_schedule)) if spec.retry_schedule else None
            )
            options: dict[str, Any] = {
                "args": (spec.payload,),
                "job_id": spec.job_id,
                "timeout": self._job_timeout_s,
                "result_ttl": 0,
                "failure_ttl": self._failure_ttl_s,
                "retry": retry,
                "description": spec.description,
            }
            if spec.request_id:
                options["meta"] = {"request_id": spec.request_id}
            target = self.queue(spec.queue)
            if spec.run_at is not None:
                target.schedule_job(target.create_job(spec.func, **options), spec.run_at, pipeline=pipe)
                continue
            data = Queue.prepare_data(spec.func, **options)
            for queued in rounds:
                if all(other.job_id != spec.job_id for other in queued[spec.queue]):
                    queued[spec.queue].append(data)
                    break
            else:
                rounds.append(defaultdict(list, {spec.queue: [data]}))
        for queued in rounds:
            for name, datas in queued.items():
                self.queue(name).enqueue_many(datas, pipeline=pipe)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(EnqueueFailed(str(error) or type(error).__name__))

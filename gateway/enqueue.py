"""Enqueueing to RQ without blocking the event loop, in batches.

RQ's API is synchronous and one `Queue.enqueue()` costs several Redis round trips. Requests hand
their job to one flusher thread instead; it takes whatever has gathered, writes it with
`Queue.enqueue_many()` into a single MULTI/EXEC pipeline — together with each submission's dedupe
reply, so a job and the reply a repeat will get are stored together or not at all — and then
wakes the waiting requests. Jobs keep RQ's own format (JSON serializer), so `rq` tools and any RQ
worker can read them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

FORWARD_FUNC = "queue_workers.forward.forward_ticket"
_STOP = object()


class EnqueueFailed(Exception):
    """The job could not be written to Redis; nothing of this submission is acknowledged."""


@dataclass(slots=True)
class JobRequest:
    job_id: str
    payload: dict[str, Any]
    reply_key: str
    reply: bytes
    reply_ttl_s: int
    loop: asyncio.AbstractEventLoop = field(repr=False)
    done: asyncio.Future[None] = field(repr=False)


class BatchingEnqueuer:
    def __init__(
        self,
        connection: redis.Redis,
        queue_name: str,
        retry_schedule: list[int],
        *,
        job_timeout_s: int = 120,
        failure_ttl_s: int = 90 * 24 * 3600,
        max_batch: int = 256,
    ) -> None:
        self._queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
        self._connection = connection
        self._retry = Retry(max=len(retry_schedule), interval=retry_schedule) if retry_schedule else None
        self._job_timeout_s = job_timeout_s
        self._failure_ttl_s = failure_ttl_s
        self._max_batch = max_batch
        self._inbox: queue.SimpleQueue[JobRequest | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def queue(self) -> Queue:
        return self._queue

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

    async def enqueue(
        self, job_id: str, payload: dict[str, Any], reply_key: str, reply: bytes, ttl_s: int
    ) -> None:
        """Return once the job and the reply are in Redis; raise `EnqueueFailed` otherwise."""
        if self._thread is None:
            raise EnqueueFailed("enqueuer is not running")
        loop = asyncio.get_running_loop()
        request = JobRequest(job_id, payload, reply_key, reply, ttl_s, loop, loop.create_future())
        self._inbox.put(request)
        # Shielded: a cancelled request must not hide whether its job was written.
        await asyncio.shield(request.done)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._inbox.get()
            if first is _STOP:
                break
            batch: list[JobRequest] = [first]  # type: ignore[list-item]
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

    def _flush(self, batch: list[JobRequest]) -> None:
        error: BaseException | None = None
        try:
            with self._connection.pipeline(transaction=True) as pipe:
                self._queue.enqueue_many(
                    [
                        Queue.prepare_data(
                            FORWARD_FUNC,
                            args=(request.payload,),
                            job_id=request.job_id,
                            timeout=self._job_timeout_s,
                            result_ttl=0,
                            failure_ttl=self._failure_ttl_s,
                            retry=self._retry,
                            description=f"forward {request.payload.get('ticket_no', request.job_id)}",
                        )
                        for request in batch
                    ],
                    pipeline=pipe,
                )
                for request in batch:
                    pipe.set(request.reply_key, request.reply, ex=request.reply_ttl_s)
                pipe.execute()
        except Exception as exc:  # every failure is reported to each waiting request
            log.warning("enqueue of %d jobs failed: %s", len(batch), type(exc).__name__)
            error = exc
        for request in batch:
            request.loop.call_soon_threadsafe(_settle, request.done, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(EnqueueFailed(str(error) or type(error).__name__))

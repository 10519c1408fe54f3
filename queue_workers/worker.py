"""The worker: RQ's `SimpleWorker` on the forwarding queue, then the reply queue, JSON serializer.

Forwarding comes first: RQ takes a job from the first non-empty queue in order, so citizens'
submissions reach the ticketing core before late replies go out. No fork per job: the process
keeps one keep-alive HTTP client, one SQLite connection and one WeChat client (the worker
context, `queue_workers.context`) for all its jobs. SIGTERM and SIGINT are RQ's warm shutdown: the running job
finishes, then the worker exits. A second signal is RQ's cold shutdown: the job is interrupted and
counts as a failed attempt, retried while it has retries left (the core dedupes by Idempotency-Key).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty, UnixSignalDeathPenalty

from queue_workers import context as forwarding
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE, WorkerSettings

log = logging.getLogger(__name__)


class ForwardWorker(SimpleWorker):
    """`SimpleWorker` that keeps personal data out of its logs and also runs off the main thread.

    Also usable as `rq worker -w queue_workers.worker.ForwardWorker --serializer json hotline.forward
    hotline.replies`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A job's description is whatever its enqueuer wrote, by default the call string with the
        # event's first 75 characters. The gateway writes a clean one, but other tools may not: job
        # ids only, even when RQ's CLI asks for descriptions; the jobs log the ticket number
        # themselves (第七条).
        kwargs["log_job_description"] = False
        super().__init__(*args, **kwargs)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        # RQ's default job timeout uses SIGALRM, which only the main thread may set; elsewhere (an
        # embedded worker, the tests) a timer thread interrupts an overlong job instead.
        self.death_penalty_class = UnixSignalDeathPenalty if _on_main_thread() else TimerDeathPenalty
        return bool(super().work(*args, **kwargs))

    def _install_signal_handlers(self) -> None:
        # Signal handlers can only be installed from the main thread; a worker on another thread
        # is stopped by its owner (burst mode, or the process ending).
        if _on_main_thread():
            super()._install_signal_handlers()  # type: ignore[no-untyped-call]

    def handle_exception(
        self,
        job: Job,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # RQ's own handler logs the job's arguments (the event: names, phone numbers; a reply's
        # text and openid) and the whole exception text (which may quote the ticket core's
        # answer). 第七条: the log gets the job and the kind of failure; the full text stays with
        # the failed job for operators.
        log.warning("job %s failed: %s", job.id, exc_type.__name__ if exc_type is not None else "unknown error")
        call_exception_handlers(self._exc_handlers, job, exc_type, exc_value, traceback)


def run_worker(
    settings: WorkerSettings,
    *,
    burst: bool = False,
    with_scheduler: bool = True,
    name: str | None = None,
) -> bool:
    """Work the forwarding and reply queues until stopped (or, with `burst`, until both are empty).

    Returns whether any job was processed. The scheduler (on by default) moves retries that wait
    for their backoff back onto the queue; one worker per Redis holds its lock at a time.
    """
    if not settings.redis_url:
        raise ValueError("HOTLINE_REDIS_URL is required to run a worker")
    # No socket timeout: the worker blocks on BLPOP for minutes by design, and RQ treats a
    # Redis timeout during that wait as a reason to quit.
    connection = redis.Redis.from_url(settings.redis_url)
    forwarding.configure(settings, connection=connection)
    try:
        queues = [
            Queue(queue_name, connection=connection, serializer=JSONSerializer)
            for queue_name in (FORWARD_QUEUE, REPLY_QUEUE)  # in this order: forwarding first
        ]
        worker = ForwardWorker(queues, connection=connection, serializer=JSONSerializer, name=name)
        # logging_level=None: the process's logging set-up (the CLI's) decides, not RQ.
        return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=None)
    finally:
        forwarding.close()
        connection.close()


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()

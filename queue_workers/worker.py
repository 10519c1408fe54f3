"""The worker: RQ's `SimpleWorker` on the forwarding queue, then the reply queue, JSON serializer.

Forwarding comes first: RQ takes a job from the first non-empty queue in order, so citizens'
submissions reach the ticketing core before late replies go out. No fork per job: the process
keeps one keep-alive HTTP client, one SQLite connection and one WeChat client (the worker
context, `queue_workers.context`) for all its jobs. SIGTERM and SIGINT are RQ's warm shutdown: the running job
finishes, then the worker exits. A second signal is RQ's cold shutdown: the job is interrupted and
counts as a failed attempt, retried while it has retries left (the core dedupes by Idempotency-Key).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from datetime import datetime
from types import TracebackType
from typing import Any

import redis
import redis.exceptions
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.job_lifecycle import call_exception_handlers
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty, UnixSignalDeathPenalty

from normalizers.pii import mask_pii
from queue_workers import context as forwarding
from queue_workers.redis_connect import connect
from queue_workers.request_ids import bind, unbind
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE, WorkerSettings

log = logging.getLogger(__name__)

RECONNECT_DELAYS_S = (1, 1, 2, 5, 10)
ORPHAN_GRACE_S = 120.0
ORPHAN_SWEEP_LOCK = "hotline:lock:orphan-sweep"
# How long a stopping worker waits for its scheduler process before killing it.
SCHEDULER_STOP_S = 5.0


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

    def stop_scheduler(self) -> None:
        """RQ's, bounded. RQ asks its scheduler process to stop (SIGTERM) and then waits for it
        without a limit; a scheduler forked while another thread of the worker held a lock (the
        metrics server's, `HOTLINE_WORKER_METRICS_PORT`) can hang, and the worker then never
        exits on SIGTERM (seen once in CI: a worker still running 30 s after it, taking the next
        tests' jobs). One that has not stopped within `SCHEDULER_STOP_S` is killed: it holds
        nothing that can be lost — scheduled jobs stay in Redis, and its lock expires."""
        process = self.scheduler._process if self.scheduler is not None else None
        if process is None or not process.pid:
            return
        with contextlib.suppress(OSError):  # already gone
            os.kill(process.pid, signal.SIGTERM)
        process.join(SCHEDULER_STOP_S)
        if process.is_alive():
            log.warning("scheduler process %d did not stop in %.0f s: killed", process.pid, SCHEDULER_STOP_S)
            process.kill()
            process.join()

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

    def execute_job(self, job: Job, queue: Queue) -> None:
        forget_dead_executions(job)
        # The job's log lines carry the id of the request that queued it.
        token = bind(job.meta.get("request_id"))
        try:
            super().execute_job(job, queue)
        finally:
            unbind(token)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker waits on the queues for up to this long before it looks at its
        # maintenance (RQ: about 400 s); the registries are cleaned on time only if it wakes up.
        return max(1, min(self.worker_ttl - 15, int(self.maintenance_interval)))

    def clean_registries(self) -> None:
        super().clean_registries()  # type: ignore[no-untyped-call]
        lock = self.connection.lock(ORPHAN_SWEEP_LOCK, timeout=max(1, int(self.maintenance_interval) - 1))
        if lock.acquire(blocking=False):  # one worker sweeps; the lock expires before the next turn
            rescue_orphans(self.queues)

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
        kind = exc_type.__name__ if exc_type is not None else "unknown error"
        log.warning("job %s failed: %s: %s", job.id, kind, mask_pii(str(exc_value))[:200])
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
    connection = connect(settings.redis_url)
    forwarding.configure(settings, connection=connection)
    try:
        attempt = 0
        worker: ForwardWorker | None = None
        while True:
            queues = [
                Queue(queue_name, connection=connection, serializer=JSONSerializer)
                for queue_name in (FORWARD_QUEUE, REPLY_QUEUE)  # in this order: forwarding first
            ]
            # A worker killed mid-job (SIGKILL, a lost machine) leaves its job "started": RQ
            # retries it once its heartbeat has expired (about 90 s) and a worker next cleans the
            # registries — every `HOTLINE_WORKER_MAINTENANCE_S`, not RQ's default ten minutes.
            try:
                worker = ForwardWorker(
                    queues,
                    connection=connection,
                    serializer=JSONSerializer,
                    name=name if attempt == 0 or name is None else f"{name}.{attempt}",
                    maintenance_interval=settings.worker_maintenance_s,
                )
                # logging_level=None: the process's logging set-up (the CLI's) decides, not RQ.
                return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=None)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                # RQ's worker ends when Redis goes away; this one waits for Redis and works on.
                # A job it was running is retried (its heartbeat expires), never lost.
                if burst or _stop_requested(worker):
                    raise
                attempt += 1
                delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S)) - 1]
                log.warning("Redis unavailable (%s): the worker starts again in %d s", type(exc).__name__, delay)
                time.sleep(delay)
                if _stop_requested(worker):  # SIGTERM while waiting: RQ's handler noted it
                    return False
    finally:
        forwarding.close()
        connection.close()


def forget_dead_executions(job: Job) -> list[str]:
    """Drop from the job's execution registry the executions of a worker that died with it.

    RQ 3 keeps a job's executions in a sorted set that outlives their hashes by a minute; a job
    retried after its worker died (SIGKILL) within that minute runs, then fails in RQ's own
    bookkeeping ("Execution … not found in Redis") and is retried again and again until the dead
    entry expires — a delivery made but reported failed, retries burnt. Removing the entries
    whose hashes are gone before the job runs ends that.
    """
    registry = job.execution_registry
    dead = [
        member
        for member in map(_text, job.connection.zrange(registry.key, 0, -1))
        if not job.connection.exists(f"rq:execution:{job.id}:{member}")
    ]
    if dead:
        job.connection.zrem(registry.key, *dead)
    return dead


def rescue_orphans(queues: list[Queue], *, grace_s: float = ORPHAN_GRACE_S) -> list[str]:
    """Put back on its queue every job that is waiting to run but is on no list RQ reads.

    RQ 3 takes a job in steps — off the queue into an intermediate list, into the started
    registry, marked started — and a worker that dies between them (SIGKILL, Redis going away
    mid-command) can leave a job "queued" where nothing will ever pick it up: RQ's own cleanup
    retries started jobs and those stuck in the intermediate list, and dropped one such job in our
    fault tests (one in about 4,000 across Redis kills). This sweep is the lease RQ lacks: a job
    whose status is queued, enqueued more than `grace_s` ago, that is on none of its queue, the
    intermediate list, the started or the scheduled registry, is queued again. A job that was in
    fact on its way (taken between two reads) then runs twice; the worker delivers an event once.
    """
    if not queues:
        return []
    connection = queues[0].connection
    somewhere: set[str] = set()
    for queue in queues:
        started = queue.started_job_registry
        somewhere.update(map(_text, connection.lrange(queue.key, 0, -1)))
        somewhere.update(map(_text, connection.lrange(queue.intermediate_queue_key, 0, -1)))
        somewhere.update(started.parse_job_id(_text(member)) for member in connection.zrange(started.key, 0, -1))
        somewhere.update(map(_text, connection.zrange(queue.scheduled_job_registry.key, 0, -1)))
    by_name = {queue.name: queue for queue in queues}
    cutoff = time.time() - grace_s
    rescued: list[str] = []
    for key in connection.scan_iter(match=f"{Job.redis_job_namespace_prefix}*", count=1000):
        job_id = _text(key).removeprefix(Job.redis_job_namespace_prefix)
        if ":" in job_id or job_id in somewhere:
            continue  # a job's sub-key (dependents …), or a job RQ will get to
        status, origin, enqueued_at = connection.hmget(key, "status", "origin", "enqueued_at")
        home = by_name.get(_text(origin or b""))
        if _text(status or b"") != JobStatus.QUEUED.value or home is None or not enqueued_at:
            continue
        if datetime.fromisoformat(_text(enqueued_at).replace("Z", "+00:00")).timestamp() > cutoff:
            continue  # just enqueued: its push may not have been read yet
        try:
            job = Job.fetch(job_id, connection=connection, serializer=home.serializer)
        except NoSuchJobError:
            continue
        home.enqueue_job(job)
        rescued.append(job_id)
    if rescued:
        log.warning("%d queued jobs were on no list RQ reads (a worker died taking them): queued again", len(rescued))
    return rescued


def _stop_requested(worker: ForwardWorker | None) -> bool:
    return bool(worker is not None and getattr(worker, "_stop_requested", False))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()

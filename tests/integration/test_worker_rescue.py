"""A job a worker took but that ended up on no list RQ reads (the worker died between RQ's steps)
is queued again by the workers' sweep; nothing else is."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE
from queue_workers.worker import rescue_orphans

FUNC = "queue_workers.forward.forward_ticket"


def _enqueued_ago(redis_client: redis.Redis, queue: Queue, job_id: str, seconds: float) -> None:
    stamp = (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    redis_client.hset(f"rq:job:{job_id}", "enqueued_at", stamp)


def test_only_the_lost_job_is_queued_again(redis_client: redis.Redis) -> None:
    forward = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    replies = Queue(REPLY_QUEUE, connection=redis_client, serializer=JSONSerializer)
    for job_id in ("lost", "just-taken", "started", "waiting", "scheduled", "in-wip"):
        forward.enqueue(FUNC, {"id": job_id}, job_id=job_id)
        _enqueued_ago(redis_client, forward, job_id, 600)
    # lost: off the queue, status still "queued", on no list RQ reads
    redis_client.lrem(forward.key, 0, "lost")
    # just-taken: the same, but enqueued a moment ago (its push may not have been read)
    redis_client.lrem(forward.key, 0, "just-taken")
    _enqueued_ago(redis_client, forward, "just-taken", 1)
    # started: a worker runs it (RQ's own cleanup retries it if that worker died)
    redis_client.lrem(forward.key, 0, "started")
    forward.fetch_job("started").set_status(JobStatus.STARTED)  # type: ignore[union-attr]
    # scheduled for a retry, and one in the started registry still queued: RQ's to handle
    redis_client.lrem(forward.key, 0, "scheduled")
    redis_client.zadd(forward.scheduled_job_registry.key, {"scheduled": time.time() + 60})
    redis_client.lrem(forward.key, 0, "in-wip")
    redis_client.zadd(forward.started_job_registry.key, {"in-wip:exec-1": time.time() + 60})

    assert rescue_orphans([forward, replies], grace_s=120) == ["lost"]
    assert "lost" in forward.job_ids
    assert "just-taken" not in forward.job_ids
    assert rescue_orphans([forward, replies], grace_s=120) == []  # on its queue now


def test_the_executions_of_a_dead_worker_are_forgotten_before_the_retry(redis_client: redis.Redis) -> None:
    from queue_workers.worker import forget_dead_executions

    forward = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    job = forward.enqueue(FUNC, {"id": "retried"}, job_id="retried")
    registry = job.execution_registry
    redis_client.zadd(registry.key, {"exec-dead": time.time() + 60, "exec-live": time.time() + 60})
    redis_client.hset("rq:execution:retried:exec-live", "worker_name", "w-1")
    assert forget_dead_executions(job) == ["exec-dead"]
    assert [m.decode() for m in redis_client.zrange(registry.key, 0, -1)] == ["exec-live"]

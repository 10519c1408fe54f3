"""When Redis cannot take the job, the citizen gets a 503 and nothing is left half-written."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis
from rq import Queue
from rq.serializers import JSONSerializer

from domain import ChannelName, Citizen, Content, Intake, Source
from gateway.decide import AcceptAsChosen
from gateway.enqueue import BatchingEnqueuer
from gateway.pipeline import IntakePipeline, ServiceUnavailable
from queue_workers import redis_keys
from queue_workers.settings import FORWARD_QUEUE
from tests.conftest import signed_headers


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _intake(key: str) -> Intake:
    return Intake(
        channel=ChannelName.APP,
        idempotency_key=key,
        received_at=datetime.fromisoformat("2026-11-28T10:00:00+08:00"),
        citizen=Citizen(channel_user_id="u1"),
        content=Content(text="公交车不停站"),
        source=Source(request_id=key),
    )


@pytest.fixture
async def async_redis(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[AsyncRedis]:
    client = AsyncRedis.from_url(redis_url)
    yield client
    await client.aclose()


def _pipeline(async_redis: AsyncRedis, enqueue_connection: redis.Redis) -> tuple[IntakePipeline, BatchingEnqueuer]:
    from gateway.state import DedupeStore, TicketNumbers

    enqueuer = BatchingEnqueuer(enqueue_connection)
    enqueuer.start()
    pipeline = IntakePipeline(
        dedupe=DedupeStore(async_redis),
        numbers=TicketNumbers(async_redis),
        decider=AcceptAsChosen("440100"),
        enqueuer=enqueuer,
        dedupe_ttl_s=60,
        dedupe_wait_s=1,
    )
    return pipeline, enqueuer


async def test_failed_enqueue_leaves_no_job_and_no_claim(
    async_redis: AsyncRedis, redis_client: redis.Redis, redis_url: str
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5)
    broken, broken_enqueuer = _pipeline(async_redis, dead)
    with pytest.raises(ServiceUnavailable):
        await broken.submit(_intake("req-retry-1"))
    await broken_enqueuer.stop()

    assert redis_client.get(redis_keys.dedupe("app", "req-retry-1")) is None
    assert Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 0

    # The citizen's retry, once Redis is back, is a first submission, not a duplicate.
    healthy, healthy_enqueuer = _pipeline(async_redis, redis.Redis.from_url(redis_url))
    reply = await healthy.submit(_intake("req-retry-1"))
    await healthy_enqueuer.stop()
    assert reply.duplicate is False
    assert Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 1


async def test_unreachable_redis_and_an_unwritable_spool_give_503_with_retry_after(
    make_settings: Any, aiohttp_client: Any, tmp_path: Path
) -> None:
    from gateway.app import create_app

    settings = make_settings(redis_url=f"redis://127.0.0.1:{_closed_port()}/13")
    settings.spool_path.mkdir(parents=True)  # a directory where the spool's file should be
    client = await aiohttp_client(create_app(settings))
    body = json.dumps({"request_id": str(uuid.uuid4()), "user_id": "u1", "text": "公交车不停站"}).encode()
    response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
    assert response.status == 503
    assert response.headers["Retry-After"].isdigit()
    assert (await response.json())["error"] == "unavailable"
    ready = await client.get("/readyz")
    assert ready.status == 503


async def test_one_job_id_twice_in_a_batch_does_not_fail_the_batch(redis_url: str, redis_client: redis.Redis) -> None:
    from gateway.enqueue import JobSpec, Writes

    enqueuer = BatchingEnqueuer(redis.Redis.from_url(redis_url), max_batch=16)

    def spec(text: str, job_id: str = "same-id") -> JobSpec:
        return JobSpec(FORWARD_QUEUE, "queue_workers.forward.forward_ticket", {"text": text}, job_id, "test")

    enqueuer.start()
    try:
        # Gathered into one batch: handed over before the flusher wakes up.
        await asyncio.gather(
            enqueuer.write(Writes(jobs=(spec("first"),))),
            enqueuer.write(Writes(jobs=(spec("second"),))),
            enqueuer.write(Writes(jobs=(spec("other", "other-id"),))),
        )
    finally:
        await enqueuer.stop()
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    jobs = {job.id: job.args[0]["text"] for job in queue.jobs}
    assert jobs["same-id"] == "second"
    assert jobs["other-id"] == "other"

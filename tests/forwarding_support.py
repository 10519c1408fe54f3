"""Helpers of the forwarding tests: a burst worker, the queue's registries, core settings."""

from __future__ import annotations

import asyncio
from typing import Any

import redis
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from gateway.settings import Settings
from queue_workers.settings import FORWARD_QUEUE
from queue_workers.worker import run_worker
from tests.conftest import TICKET_CORE_SECRET
from tests.fake_ticket_core import FakeTicketCore


async def drain(settings: Settings) -> bool:
    """One worker in burst mode (on a thread: the servers share the test's event loop)."""
    return await asyncio.to_thread(run_worker, settings, burst=True, with_scheduler=False)


def failed(redis_client: redis.Redis) -> FailedJobRegistry:
    return FailedJobRegistry(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)


def assert_queue_empty(redis_client: redis.Redis) -> None:
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    assert queue.count == 0
    assert queue.scheduled_job_registry.count == 0


def core_settings(make_settings: Any, core: FakeTicketCore, **overrides: Any) -> Settings:
    settings: Settings = make_settings(ticket_core_url=core.url, ticket_core_secret=TICKET_CORE_SECRET, **overrides)
    return settings

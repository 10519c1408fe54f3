"""Helpers of the forwarding tests: a burst worker, the queue and its registries, core settings."""

from __future__ import annotations

import asyncio
from typing import Any

import redis
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from domain import TicketEvent, TicketSupplement
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


def queued_events(redis_client: redis.Redis) -> list[TicketEvent]:
    """Everything waiting in the forwarding queue, each job read as a `TicketEvent`, oldest first."""
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    return [TicketEvent.model_validate(job.args[0]) for job in queue.jobs]


def queued_tickets(redis_client: redis.Redis) -> list[TicketEvent]:
    """The events waiting in the forwarding queue (supplements left out), oldest first."""
    return [TicketEvent.model_validate(args) for args in _queued(redis_client, "forward_ticket")]


def queued_supplements(redis_client: redis.Redis) -> list[TicketSupplement]:
    """The supplements waiting in the forwarding queue, oldest first."""
    return [TicketSupplement.model_validate(args) for args in _queued(redis_client, "forward_supplement")]


def _queued(redis_client: redis.Redis, func: str) -> list[object]:
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    return [job.args[0] for job in queue.jobs if (job.func_name or "").endswith(func)]


def assert_queue_empty(redis_client: redis.Redis) -> None:
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    assert queue.count == 0
    assert queue.scheduled_job_registry.count == 0


def core_settings(make_settings: Any, core: FakeTicketCore, **overrides: Any) -> Settings:
    settings: Settings = make_settings(ticket_core_url=core.url, ticket_core_secret=TICKET_CORE_SECRET, **overrides)
    return settings

"""Dead letters end to end: deliveries the ticketing core (a real HTTP server) refused, or kept
failing until the retries ran out, listed and requeued with `hotline-gateway dlq` (a real process),
then delivered exactly once."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
import redis

from tests.app_support import app_message, post_app_message
from tests.cli_support import run_cli
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.forwarding_support import core_settings, drain, failed

pytestmark = pytest.mark.e2e


def _dlq(redis_url: str, *args: str) -> Any:
    return run_cli(["dlq", *args], {**os.environ, "HOTLINE_REDIS_URL": redis_url})


async def _delivered_later(settings: Any, rounds: int = 4) -> None:
    for _ in range(rounds):
        await drain(settings)
        await asyncio.sleep(0.02)


async def test_a_refused_event_is_listed_then_requeued_and_delivered_once(
    make_settings: Any, start_gateway: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis, redis_url: str
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    ticket_core.answer(Answer(status=422, body='{"error": "unknown_region", "phone": "13800138000"}'))
    reply = await post_app_message(client, app_message("公交车到站不停，10路，今天早上8点在天河站。", "u-dlq-1"))
    await drain(settings)
    [job_id] = failed(redis_client).get_job_ids()

    listed = _dlq(redis_url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (letter["job_id"], letter["what"], letter["subject"], letter["status"]) == (
        job_id,
        "forward_ticket",
        reply["ticket_no"],
        422,
    )
    assert "13800138000" not in listed.stdout  # 第七条, even in what the core answered

    requeued = _dlq(redis_url, "requeue", job_id)
    assert requeued.returncode == 0, requeued.stderr
    assert "requeued 1" in requeued.stdout
    assert failed(redis_client).count == 0
    await _delivered_later(settings)
    assert [r.answered for r in ticket_core.received] == [422, 200]

    again = _dlq(redis_url, "requeue", job_id)
    assert again.returncode == 1
    assert "not dead letters" in again.stderr
    await _delivered_later(settings)
    assert len(ticket_core.accepted) == 1


async def test_retries_run_out_then_the_last_answer_is_kept_and_all_are_requeued(
    make_settings: Any, start_gateway: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis, redis_url: str
) -> None:
    settings = core_settings(make_settings, ticket_core, forward_retry_schedule=[0])
    client = await start_gateway(settings)
    ticket_core.answer(503, 503, 502, 502)  # two events, each tried twice
    for n in range(2):
        await post_app_message(client, app_message(f"出租车拒载，粤A1234{n}，今天下午3点在广州南站。", f"u-dlq-{n}"))
    await _delivered_later(settings)
    assert failed(redis_client).count == 2

    listed = _dlq(redis_url, "list", "--json")
    statuses = sorted(json.loads(line)["status"] for line in listed.stdout.splitlines())
    assert statuses == [502, 502]  # the last answer of each, kept

    requeued = _dlq(redis_url, "requeue", "--all")
    assert "requeued 2" in requeued.stdout
    await _delivered_later(settings)
    keys = [r.headers["Idempotency-Key"] for r in ticket_core.accepted]
    assert len(keys) == len(set(keys)) == 2
    assert failed(redis_client).count == 0


def test_requeue_needs_ids_or_all(redis_url: str, redis_client: redis.Redis) -> None:
    result = _dlq(redis_url, "requeue")
    assert result.returncode == 2  # argparse: one of the two is required
    assert _dlq(redis_url, "list").returncode == 0

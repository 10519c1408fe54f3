"""Ticket numbers from the atomic per-day counter on real Redis."""

from __future__ import annotations

import asyncio
from datetime import datetime

import redis

from gateway.redis_clients import async_client, close_async
from gateway.state import TicketNumbers


async def test_numbers_count_per_shanghai_day_and_never_repeat(redis_url: str, redis_client: redis.Redis) -> None:
    client = async_client(redis_url)
    numbers = TicketNumbers(client)
    day = datetime.fromisoformat("2026-11-28T23:59:59+08:00")
    next_day = datetime.fromisoformat("2026-11-29T00:00:00+08:00")
    try:
        many = await asyncio.gather(*(numbers.next(day) for _ in range(200)))
        assert len(set(many)) == 200
        assert sorted(many)[0] == "12328-20261128-000001"
        assert sorted(many)[-1] == "12328-20261128-000200"
        assert await numbers.next(next_day) == "12328-20261129-000001"
        assert 0 < redis_client.ttl("hotline:ticketno:20261128") <= 3 * 24 * 3600
    finally:
        await close_async(client)


async def test_a_millionth_ticket_widens_instead_of_wrapping(redis_url: str, redis_client: redis.Redis) -> None:
    redis_client.set("hotline:ticketno:20261128", 999_999)
    client = async_client(redis_url)
    try:
        assert await TicketNumbers(client).next(datetime.fromisoformat("2026-11-28T12:00:00+08:00")) == (
            "12328-20261128-1000000"
        )
    finally:
        await close_async(client)

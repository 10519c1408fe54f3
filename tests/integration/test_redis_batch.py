"""The request path's automatic pipelining (gateway/redis_batch.py) on a real Redis: concurrent
callers share round trips and connections, and each still gets exactly its own replies."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator

import pytest
import redis
import redis.exceptions
from redis.asyncio import Redis as AsyncRedis

from gateway.redis_batch import MAX_BATCH, CommandBatcher, batcher_for
from tests.redis_process import free_port


@pytest.fixture
async def named(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[tuple[AsyncRedis, str]]:
    """A client whose connections Redis can count by name (CLIENT LIST)."""
    name = f"batch-{uuid.uuid4().hex[:8]}"
    client = AsyncRedis.from_url(redis_url, client_name=name)
    yield client, name
    await client.aclose()


def _connections(redis_client: redis.Redis, name: str) -> int:
    return sum(1 for client in redis_client.client_list() if client.get("name") == name)


async def test_concurrent_callers_share_one_connection_and_get_their_own_replies(
    named: tuple[AsyncRedis, str], redis_client: redis.Redis
) -> None:
    client, name = named
    batcher = CommandBatcher(client)

    async def caller(n: int) -> list[object]:
        key = f"batch:{name}:{n}"
        return await batcher.execute(("SET", key, f"v{n}", "NX", "EX", 60), ("GET", key), ("INCR", f"batch:{name}:c"))

    replies = await asyncio.gather(*(caller(n) for n in range(300)))
    assert [reply[:2] for reply in replies] == [[True, f"v{n}".encode()] for n in range(300)]
    assert sorted(int(reply[2]) for reply in replies) == list(range(1, 301))  # each INCR seen by one caller
    # 900 commands at once: two pipelines of at most MAX_BATCH, two connections — not 300.
    assert _connections(redis_client, name) == math.ceil(900 / MAX_BATCH) == 2


async def test_an_error_reply_fails_only_its_caller(named: tuple[AsyncRedis, str], redis_client: redis.Redis) -> None:
    client, name = named
    redis_client.set(f"batch:{name}:text", "not a number")
    batcher = CommandBatcher(client)
    good, bad = await asyncio.gather(
        batcher.execute(("INCR", f"batch:{name}:n")),
        batcher.execute(("INCR", f"batch:{name}:text")),
        return_exceptions=True,
    )
    assert good == [1]
    assert isinstance(bad, redis.exceptions.ResponseError)


async def test_a_cancelled_caller_leaves_the_others_their_replies(named: tuple[AsyncRedis, str]) -> None:
    client, name = named
    batcher = CommandBatcher(client)
    first = asyncio.ensure_future(batcher.execute(("INCR", f"batch:{name}:x")))
    second = asyncio.ensure_future(batcher.execute(("INCR", f"batch:{name}:x")))
    first.cancel()
    assert await second in ([1], [2])  # the cancelled caller's command may still have been sent


async def test_redis_gone_fails_every_caller_with_a_connection_error() -> None:
    client = AsyncRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    batcher = batcher_for(client)
    outcomes = await asyncio.gather(*(batcher.execute(("GET", "k")) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(outcome, redis.exceptions.ConnectionError) for outcome in outcomes)
    await client.aclose()


async def test_one_batcher_per_client(named: tuple[AsyncRedis, str], redis_url: str) -> None:
    client, _ = named
    other = AsyncRedis.from_url(redis_url)
    assert batcher_for(client) is batcher_for(client)
    assert batcher_for(other) is not batcher_for(client)
    await other.aclose()

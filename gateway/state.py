"""Small Redis-backed stores used on the request path (asyncio client, never blocking the loop).

Their commands go through the client's `CommandBatcher` (gateway/redis_batch.py): under load, the
nonces, rate counts, claims and ticket numbers of many requests share one round trip."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from datetime import datetime

import redis.exceptions
from redis.asyncio import Redis

from channels.base import RateLimited
from gateway.redis_batch import batcher_for
from gateway.spool import Spool
from queue_workers import redis_keys

# Deletes the claim only while it still holds our own token: once the reply has replaced it (the
# enqueue went through after all), a late release must not open the door to a second ticket.
_RELEASE_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

CLAIM_PREFIX = "pending:"
COUNTER_TTL_S = 3 * 24 * 3600  # a day's ticket counter: its day, and a margin for clocks and zones


class RedisNonceStore:
    def __init__(self, redis: Redis) -> None:
        self._batch = batcher_for(redis)

    async def use_once(self, scope: str, token: str, ttl_s: int) -> bool:
        (first,) = await self._batch.execute(("SET", redis_keys.nonce(scope, token), b"1", "NX", "EX", ttl_s))
        return bool(first)


class SpoolingNonceStore:
    """Nonces in Redis; in the spool's SQLite while Redis is away, so a signed request can still be
    taken (and spooled) then. A nonce used on one side is not seen by the other: a replay across
    the outage's edges is still caught by the submission's own idempotency key."""

    def __init__(self, redis_store: RedisNonceStore, spool: Spool) -> None:
        self._redis = redis_store
        self._spool = spool

    async def use_once(self, scope: str, token: str, ttl_s: int) -> bool:
        try:
            return await self._redis.use_once(scope, token, ttl_s)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as unavailable:
            try:
                return await asyncio.to_thread(self._spool.use_nonce, f"{scope}:{token}", ttl_s, time.time())
            except sqlite3.Error:
                raise unavailable from None  # neither can tell: 503, the client retries


class DedupeStore:
    """Atomic first-writer-wins on an idempotency key; the winner later stores the reply."""

    def __init__(self, redis: Redis, claim_ttl_s: int = 60) -> None:
        self._redis = redis
        self._batch = batcher_for(redis)
        self._claim_ttl_s = claim_ttl_s
        self._release = redis.register_script(_RELEASE_CLAIM)

    async def claim(self, key: str) -> str | None:
        """A claim token when this caller is first, else None."""
        token = CLAIM_PREFIX + secrets.token_hex(8)
        (won,) = await self._batch.execute(("SET", key, token.encode(), "NX", "EX", self._claim_ttl_s))
        return token if won else None

    async def finished(self, key: str) -> bytes | None:
        """The stored outcome of the first request; None while it is still claimed (or never was)."""
        value = await self._redis.get(key)
        stored = value.encode() if isinstance(value, str) else value
        if stored is None or stored.startswith(CLAIM_PREFIX.encode()):
            return None
        return stored

    async def release(self, key: str, token: str) -> None:
        await self._release(keys=[key], args=[token])


class TicketNumbers:
    """`12328-YYYYMMDD-NNNNNN` from an atomic per-day counter (Asia/Shanghai date)."""

    def __init__(self, redis: Redis) -> None:
        self._batch = batcher_for(redis)

    async def next(self, received_at: datetime) -> str:
        day = received_at.strftime("%Y%m%d")
        key = redis_keys.ticket_counter(day)
        # The day's counter is created with its expiry (INCR keeps it): no counter outlives its use.
        _, number = await self._batch.execute(("SET", key, 0, "NX", "EX", COUNTER_TTL_S), ("INCR", key))
        return f"12328-{day}-{int(number):06d}"


class RateLimiter:
    """Fixed-window counter per subject; shared by every gateway process through Redis."""

    def __init__(self, redis: Redis, scope: str, limit: int, window_s: int) -> None:
        self._batch = batcher_for(redis)
        self._scope = scope
        self.limit = limit
        self.window_s = window_s

    async def hit(self, subject: str, now: float) -> int:
        """Count one hit; 0 when allowed, else the seconds until the window ends."""
        window = int(now // self.window_s)
        key = redis_keys.rate_limit(self._scope, subject, window)
        _, count = await self._batch.execute(("SET", key, 0, "NX", "EX", self.window_s + 1), ("INCR", key))
        if int(count) <= self.limit:
            return 0
        return max(1, int((window + 1) * self.window_s - now))


class SenderLimits:
    """Requests per sender — client address (app), openid (WeChat), caller number (IVR) — per
    window, counted in Redis so the limit holds across gateway processes. While Redis is away
    nothing is counted: a citizen's submission (spooled) comes before the limit."""

    def __init__(self, redis: Redis, window_s: int, limits: dict[str, int]) -> None:
        self._limiters = {scope: RateLimiter(redis, scope, limit, window_s) for scope, limit in limits.items()}

    async def check(self, scope: str, sender: str | None) -> None:
        limiter = self._limiters.get(scope)
        if limiter is None or not sender:
            return
        try:
            wait_s = await limiter.hit(sender, time.time())
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return
        if wait_s:
            raise RateLimited(
                f"more than {limiter.limit} requests in {limiter.window_s} s from this sender", retry_after_s=wait_s
            )

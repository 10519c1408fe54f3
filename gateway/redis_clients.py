"""How the gateway connects to Redis: bounded pools that wait for a free connection.

redis-py's default pool raises `MaxConnectionsError` when a burst of requests wants more
connections than it allows; a blocking pool makes them queue for a moment instead. Sockets fail
fast, so a dead Redis becomes a 503 within seconds, never a hung request.
"""

from __future__ import annotations

import redis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import Redis as AsyncRedis

from queue_workers.redis_connect import connect, connect_async, is_sentinel

SOCKET_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 64


def async_client(url: str, max_connections: int = MAX_CONNECTIONS) -> AsyncRedis:
    if is_sentinel(url):  # the master the sentinels name, found again after a failover
        return connect_async(
            url,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=SOCKET_TIMEOUT_S,
            health_check_interval=30,
            max_connections=max_connections,
        )
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )
    return AsyncRedis(connection_pool=pool)


def sync_client(url: str) -> redis.Redis:
    return connect(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )


async def close_async(client: AsyncRedis) -> None:
    """Close the client and its pool (a pool passed in explicitly is not closed by `aclose`)."""
    await client.aclose()
    await client.connection_pool.disconnect()

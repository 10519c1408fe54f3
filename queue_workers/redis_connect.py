"""Connections to Redis from a URL: a plain Redis, or the master that Redis Sentinel names.

`HOTLINE_REDIS_SENTINELS` (`host:port,…`) and `HOTLINE_REDIS_SENTINEL_MASTER` make the settings'
Redis URL a Sentinel one, `redis+sentinel://[:password@]host:port,host:port/master/db`, and every
process that connects through here asks the sentinels for the master. When the master fails over,
the connections fail once (a request answers from the spool, a worker waits and starts again, as
for any Redis outage) and the next ones go to the new master.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel

SENTINEL_SCHEME = "redis+sentinel"


def sentinel_url(sentinels: list[str], master: str, db: int = 0, password: str | None = None) -> str:
    auth = f":{password}@" if password else ""
    return f"{SENTINEL_SCHEME}://{auth}{','.join(sentinels)}/{master}/{db}"


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    """(sentinel addresses, master name, db, password) of a `redis+sentinel://` URL."""
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    password = unquote(userinfo.partition(":")[2]) or None if userinfo else None
    addresses = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        addresses.append((name, int(port)))
    master, _, db = parts.path.strip("/").partition("/")
    if not addresses or not master:
        raise ValueError("a Sentinel URL names its sentinels and its master: redis+sentinel://h:26379/mymaster/0")
    return addresses, master, int(db or 0), password


def is_sentinel(url: str) -> bool:
    return url.startswith(f"{SENTINEL_SCHEME}://")


def connect(url: str, **options: Any) -> redis.Redis:
    """A client of the Redis at `url` (`options`: redis-py's, e.g. time-outs)."""
    if not is_sentinel(url):
        return redis.Redis.from_url(url, **options)
    addresses, master, db, password = parse_sentinel_url(url)
    sentinel = redis.sentinel.Sentinel(  # type: ignore[no-untyped-call]  # untyped in redis-py
        addresses, sentinel_kwargs=_sentinel_options(options), **options
    )
    client: redis.Redis = sentinel.master_for(master, db=db, password=password)  # type: ignore[no-untyped-call]
    return client


def connect_async(url: str, **options: Any) -> redis.asyncio.Redis:
    if not is_sentinel(url):
        return redis.asyncio.Redis.from_url(url, **options)
    addresses, master, db, password = parse_sentinel_url(url)
    sentinel = redis.asyncio.sentinel.Sentinel(  # type: ignore[no-untyped-call]  # untyped in redis-py
        addresses, sentinel_kwargs=_sentinel_options(options), **options
    )
    client: redis.asyncio.Redis = sentinel.master_for(master, db=db, password=password)
    return client


def _sentinel_options(options: dict[str, Any]) -> dict[str, Any]:
    # The sentinels answer with the time-outs of the data connections, not redis-py's none.
    return {key: options[key] for key in ("socket_timeout", "socket_connect_timeout") if key in options}

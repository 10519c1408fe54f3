"""Redis Sentinel for the queue: the gateway and its worker find the master through a real
`redis-server --sentinel`, take a submission and deliver it."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import ValidationError

from gateway.settings import Settings
from queue_workers.redis_connect import connect, parse_sentinel_url, sentinel_url
from queue_workers.ticket_store import TicketStore
from queue_workers.worker import run_worker
from tests.app_support import app_message
from tests.conftest import signed_headers
from tests.forwarding_support import queued_events
from tests.redis_process import RedisProcess, free_port

MASTER = "hotline"


@pytest.fixture
def sentinel(own_redis: RedisProcess, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "sentinel.conf"  # Sentinel rewrites its config: a file of its own
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {own_redis.port} 1\n"
        f"sentinel down-after-milliseconds {MASTER} 1000\n"
    )
    process = subprocess.Popen(
        ["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while True:
        try:
            if client.sentinel_get_master_addr_by_name(MASTER):
                break
        except redis.exceptions.ConnectionError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("sentinel did not start")
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    client.close()
    process.terminate()
    process.wait(timeout=10)


def test_the_url_carries_sentinels_master_db_and_password() -> None:
    url = sentinel_url(["10.0.0.1:26379", "10.0.0.2:26379"], "queue", 3, "s3cret")
    assert url == "redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26379/queue/3"
    assert parse_sentinel_url(url) == ([("10.0.0.1", 26379), ("10.0.0.2", 26379)], "queue", 3, "s3cret")


def test_settings_compose_the_url_and_refuse_two_redises(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, redis_sentinels="h1:26379, h2:26379", redis_sentinel_master="q")  # type: ignore[call-arg]
    assert settings.redis_url == "redis+sentinel://h1:26379,h2:26379/q/0"
    with pytest.raises(ValidationError, match="not both"):
        Settings(_env_file=None, redis_url="redis://x:6379/0", redis_sentinels="h1:26379")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="host:port"):
        Settings(_env_file=None, redis_sentinels="h1")  # type: ignore[call-arg]


async def test_a_submission_goes_through_the_master_the_sentinel_names(
    make_settings: Any, start_gateway: Any, own_redis: RedisProcess, sentinel: str
) -> None:
    settings = make_settings(redis_url=None, redis_sentinels=[sentinel], redis_sentinel_master=MASTER)
    assert settings.redis_url.startswith("redis+sentinel://")
    client = await start_gateway(settings)
    body = app_message("出租车粤A12345拒载，今天上午9点在广州南站。", "u-sentinel")
    response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
    assert response.status == 200, await response.text()
    ticket_no = (await response.json())["ticket_no"]
    master = redis.Redis.from_url(own_redis.url)
    assert [event.ticket_no for event in queued_events(master)] == [ticket_no]  # in the master itself
    assert connect(settings.redis_url).ping()

    await asyncio.to_thread(run_worker, settings, burst=True, with_scheduler=False)
    store = TicketStore(settings.ticket_store_path)
    try:
        assert store.get(ticket_no) is not None  # the worker found the master too, and delivered
    finally:
        store.close()
    assert queued_events(master) == []

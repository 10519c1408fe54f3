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


def _replica_caught_up(master: redis.Redis, replica: redis.Redis) -> bool:
    offset = int(master.info("replication")["master_repl_offset"])
    return int(replica.info("replication").get("slave_repl_offset", -1)) >= offset


def _known_replica(watcher: redis.Redis, port: int) -> bool:
    replicas = watcher.sentinel_slaves(MASTER)
    return any(int(r["port"]) == port and not r["is_disconnected"] and not r["is_sdown"] for r in replicas)


async def test_a_failover_loses_and_doubles_nothing_acknowledged(
    make_settings: Any, start_gateway: Any, own_redis: RedisProcess, sentinel: str, tmp_path: Path
) -> None:
    """The master is SIGKILLed mid-load; the sentinel promotes its replica. Submissions during the
    gap are answered from the spool and replayed into the new master; the gateway's and the
    worker's connections find it through the sentinel; every acknowledged ticket is delivered once.
    (What the master acknowledged and had not yet sent to its replica is what asynchronous
    replication can lose; docs/deploy.md says so. The test lets the replica catch up first.)"""
    replica = RedisProcess(tmp_path / "replica", "--replicaof", "127.0.0.1", str(own_redis.port))
    replica.start()
    master_client = redis.Redis.from_url(own_redis.url)
    replica_client = redis.Redis.from_url(replica.url)
    sentinel_host, sentinel_port = sentinel.split(":")
    watcher = redis.Redis(host=sentinel_host, port=int(sentinel_port))
    try:
        settings = make_settings(redis_url=None, redis_sentinels=[sentinel], redis_sentinel_master=MASTER)
        client = await start_gateway(settings)
        acknowledged: list[str] = []

        async def submit(count: int, phase: str) -> None:
            for n in range(count):
                text = f"出租车粤A{len(acknowledged):05d}拒载，今天上午9点在广州南站。{phase}"
                body = app_message(text, f"u-{phase}-{n}")
                response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
                assert response.status == 200, await response.text()
                acknowledged.append((await response.json())["ticket_no"])

        await submit(20, "before")
        deadline = time.monotonic() + 30  # the sentinel learns of replicas from the master's INFO, every 10 s
        while not _replica_caught_up(master_client, replica_client) or not _known_replica(watcher, replica.port):
            assert time.monotonic() < deadline, "the replica did not catch up, or the sentinel does not know it"
            await asyncio.sleep(0.1)

        own_redis.kill()
        await submit(20, "gap")  # the old master is gone, the new one not yet named: the spool
        spooled = (await (await client.get("/readyz")).json())["spool"]["depth"]
        assert spooled > 0
        deadline = time.monotonic() + 30
        while watcher.sentinel_get_master_addr_by_name(MASTER)[1] != replica.port:
            assert time.monotonic() < deadline, "the sentinel did not fail over"
            await asyncio.sleep(0.1)
        await submit(20, "after")

        deadline = time.monotonic() + 30  # the spool replays into the new master
        while (await (await client.get("/readyz")).json())["spool"]["depth"]:
            assert time.monotonic() < deadline, "the spool did not drain into the new master"
            await asyncio.sleep(0.2)
        await asyncio.to_thread(run_worker, settings, burst=True, with_scheduler=False)

        assert len(acknowledged) == len(set(acknowledged)) == 60
        store = TicketStore(settings.ticket_store_path)
        try:
            missing = [ticket_no for ticket_no in acknowledged if store.get(ticket_no) is None]
            stored = store.count()
        finally:
            store.close()
        assert missing == []
        assert stored == 60
        assert queued_events(replica_client) == []
    finally:
        watcher.close()
        master_client.close()
        replica_client.close()
        replica.stop()

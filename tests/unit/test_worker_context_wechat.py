"""The worker context's WeChat client: built on first use, only with both credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from queue_workers import context as worker_context
from queue_workers.settings import WorkerSettings
from queue_workers.wechat_api import WeChatApi


@pytest.fixture(autouse=True)
def fresh_context() -> Iterator[None]:
    worker_context.close()
    yield
    worker_context.close()


@pytest.mark.parametrize(
    "credentials",
    [{}, {"wechat_app_id": "wx0123456789abcdef"}, {"wechat_app_secret": "secret"}],
    ids=["neither", "no-secret", "no-app-id"],
)
def test_without_both_credentials_the_client_names_them(tmp_path: Path, credentials: dict[str, Any]) -> None:
    settings = WorkerSettings(_env_file=None, data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", **credentials)
    context = worker_context.configure(settings)
    with pytest.raises(worker_context.NotConfigured) as raised:
        _ = context.wechat
    assert "HOTLINE_WECHAT_APP_ID" in str(raised.value)
    assert "HOTLINE_WECHAT_APP_SECRET" in str(raised.value)


def test_the_client_is_built_once_without_network_and_closed_with_the_context(tmp_path: Path) -> None:
    settings = WorkerSettings(
        _env_file=None,
        data_dir=tmp_path,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens: building must not connect
        wechat_app_id="wx0123456789abcdef",
        wechat_app_secret="secret",
        wechat_api_url="http://127.0.0.1:9/",
    )
    context = worker_context.configure(settings)
    client = context.wechat
    assert isinstance(client, WeChatApi)
    assert context.wechat is client
    assert client._client.API_BASE_URL == "http://127.0.0.1:9/cgi-bin/"
    worker_context.close()


def test_a_given_connection_is_used_and_left_open(tmp_path: Path) -> None:
    connection = redis.Redis.from_url("redis://127.0.0.1:1/0")
    context = worker_context.configure(WorkerSettings(_env_file=None, data_dir=tmp_path), connection=connection)
    assert context.redis is connection
    worker_context.close()
    assert connection.connection_pool is not None  # not ours to close
    connection.close()


def test_without_any_redis_the_context_says_which_setting(tmp_path: Path) -> None:
    context = worker_context.configure(WorkerSettings(_env_file=None, data_dir=tmp_path))
    with pytest.raises(worker_context.NotConfigured, match="HOTLINE_REDIS_URL"):
        _ = context.redis


def test_the_wechat_api_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="HOTLINE_WECHAT_API_URL"):
        WorkerSettings(_env_file=None, wechat_api_url="ftp://example.org")
    assert WorkerSettings(_env_file=None, wechat_api_url=" https://x.example/ ").wechat_api_url == "https://x.example"


def test_schedule_errors_name_their_own_variable() -> None:
    with pytest.raises(ValueError, match="HOTLINE_REPLY_RETRY_SCHEDULE"):
        WorkerSettings(_env_file=None, reply_retry_schedule="5,soon")

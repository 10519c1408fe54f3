"""The bad-input table every machine-facing endpoint answers the same way: a 4xx JSON error with a
stable `error` code and a message, never a 5xx, never a crash, never a half-written event.

A new endpoint plugs in with one `Endpoint` row: its path, its content type, how a legitimate
sender authenticates (so the table reaches the parser, not only the authentication), a valid body
(so a replay is tested too), and where they exist, an attachment name and a signed timestamp.
WeChat, Twilio and the web form answer their senders in their own formats; their tables are in
their own test modules.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from aiohttp import web
from rq import Queue
from rq.serializers import JSONSerializer

from gateway.app import create_app
from gateway.cli import server_runner
from queue_workers.settings import FORWARD_QUEUE
from tests.app_support import app_message
from tests.conftest import APP_SECRET, signed_headers
from tests.freeswitch_samples import JSON_ARRAY, XML_BRIDGED, sample
from tests.hotline12345_support import TOKEN as TOKEN_12345
from tests.hotline12345_support import order
from tests.ivr_support import IVR_TOKEN, IVR_TOKENS, as_json, call_record
from tests.redis_process import free_port

WRONG_TOKEN = "not-the-token-but-long-enough-000"
COMPLAINT = "出租车司机拒载，车牌粤A12345，昨晚八点在广州南站。"


def _bearer(token: str) -> Callable[[bytes], dict[str, str]]:
    return lambda _: {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    content_type: str
    auth: Callable[[bytes], dict[str, str]]  # the headers a legitimate sender adds for this body
    wrong_auth: Callable[[bytes], dict[str, str]]  # the same with a credential that is not one
    valid: Callable[[], bytes]  # a body that files one event
    # A valid body whose one attachment has this name; None where the channel carries no names.
    named: Callable[[str], bytes] | None = None
    # The headers with a signed timestamp this far off; None where requests carry no timestamp.
    stale_auth: Callable[[bytes, int], dict[str, str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _app_attachment(name: str) -> bytes:
    attachment = {"kind": "file", "url": "https://cdn.app.example/u/1/f", "name": name}
    return app_message(COMPLAINT, "u-table", attachments=[attachment])


def _order_attachment(name: str) -> bytes:
    return json.dumps(order(attachments=[{"url": "https://12345.example.gov.cn/f/1", "name": name}])).encode()


ENDPOINTS = [
    Endpoint(
        "app",
        "/api/v1/app/messages",
        "application/json",
        auth=lambda body: signed_headers(body),
        wrong_auth=lambda body: signed_headers(body, secret=APP_SECRET[::-1]),
        valid=lambda: app_message(COMPLAINT, "u-table"),
        named=_app_attachment,
        stale_auth=lambda body, skew: signed_headers(body, timestamp=int(time.time()) + skew),
    ),
    Endpoint(
        "ivr calls",
        "/channels/ivr/calls",
        "application/json",
        auth=_bearer(IVR_TOKEN),
        wrong_auth=_bearer(WRONG_TOKEN),
        valid=lambda: as_json(call_record()),
    ),
    Endpoint(
        "freeswitch json",
        "/channels/ivr/freeswitch",
        "application/json",
        auth=_bearer(IVR_TOKEN),
        wrong_auth=_bearer(WRONG_TOKEN),
        valid=lambda: sample(JSON_ARRAY).encode(),
    ),
    Endpoint(
        "freeswitch xml",
        "/channels/ivr/freeswitch",
        "text/xml",
        auth=_bearer(IVR_TOKEN),
        wrong_auth=_bearer(WRONG_TOKEN),
        valid=lambda: sample(XML_BRIDGED).encode(),
    ),
    Endpoint(
        "12345",
        "/channels/12345/orders",
        "application/json",
        auth=_bearer(TOKEN_12345),
        wrong_auth=_bearer(WRONG_TOKEN),
        valid=lambda: json.dumps(order()).encode(),
        named=_order_attachment,
    ),
]
NAMED = [e for e in ENDPOINTS if e.named is not None]
STAMPED = [e for e in ENDPOINTS if e.stale_auth is not None]

NESTED = b"[" * 100_000 + b"]" * 100_000
TEN_MB_FIELD = b'{"text": "' + "长".encode() * (10 * 1024 * 1024 // 3) + b'"}'
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<cdr><variables><uuid>&b;</uuid></variables></cdr>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE cdr [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<cdr><variables><uuid>&xxe;</uuid></variables></cdr>"
)

# (case, body, content type or None for the endpoint's own, statuses accepted, error codes accepted)
CASES: list[tuple[str, bytes, str | None, set[int], set[str]]] = [
    (
        "invalid utf-8",
        b'{"text": "\xff\xfe\xfa"}',
        None,
        {400, 422},
        {"malformed_json", "malformed_xml", "invalid_payload"},
    ),
    ("deeply nested", NESTED, None, {400, 422}, {"malformed_json", "malformed_xml", "invalid_payload"}),
    (
        "entity declarations",
        LAUGHS,
        None,
        {400, 415, 422},
        {"malformed_json", "malformed_xml", "unsupported_media_type"},
    ),
    (
        "external entity",
        XXE,
        None,
        {400, 415, 422},
        {"malformed_json", "malformed_xml", "unsupported_media_type"},
    ),
    ("empty body", b"", None, {400, 422}, {"malformed_json", "malformed_xml", "invalid_payload"}),
    ("wrong content type", b"hello", "application/octet-stream", {415}, {"unsupported_media_type"}),
    (
        "emoji and mixed scripts",
        '{"text": "🚕💥 عربي русский 日本語"}'.encode(),
        None,
        {400, 422},
        {"malformed_json", "malformed_xml", "invalid_payload"},
    ),
]


GATEWAY_SETTINGS: dict[str, Any] = {
    "channels": ["app", "ivr", "hotline12345"],
    "ivr_tokens": IVR_TOKENS,
    "hotline12345_token": TOKEN_12345,
    "hotline12345_return_url": "http://127.0.0.1:9/returns",
    "hotline12345_return_secret": "hotline12345-return-secret-0123456",
}


@pytest.fixture
async def gateway(make_settings: Any, start_gateway: Any) -> Any:
    return await start_gateway(make_settings(**GATEWAY_SETTINGS))


def _queued(redis_client: redis.Redis) -> int:
    return Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count


def _nothing_queued(redis_client: redis.Redis) -> bool:
    return _queued(redis_client) == 0


async def _post(gateway: Any, endpoint: Endpoint, body: bytes, headers: dict[str, str]) -> Any:
    return await gateway.post(endpoint.path, data=body, headers={"Content-Type": endpoint.content_type, **headers})


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@pytest.mark.parametrize(("case", "body", "content_type", "statuses", "codes"), CASES, ids=[c[0] for c in CASES])
async def test_bad_bodies_get_a_4xx_json_error(
    gateway: Any,
    redis_client: redis.Redis,
    endpoint: Endpoint,
    case: str,
    body: bytes,
    content_type: str | None,
    statuses: set[int],
    codes: set[str],
) -> None:
    headers = {**endpoint.auth(body), "Content-Type": content_type or endpoint.content_type}
    response = await gateway.post(endpoint.path, data=body, headers=headers)
    assert response.status in statuses, (response.status, await response.text())
    payload = await response.json()
    assert payload["error"] in codes
    assert payload["message"]
    assert _nothing_queued(redis_client)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
async def test_ten_megabytes_in_one_field_is_refused_unread(
    gateway: Any, redis_client: redis.Redis, endpoint: Endpoint
) -> None:
    headers = {**endpoint.auth(TEN_MB_FIELD), "Content-Type": endpoint.content_type}
    response = await gateway.post(endpoint.path, data=io.BytesIO(TEN_MB_FIELD), headers=headers)
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"
    assert _nothing_queued(redis_client)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
async def test_no_credentials_is_401_json(gateway: Any, redis_client: redis.Redis, endpoint: Endpoint) -> None:
    response = await gateway.post(endpoint.path, data=b"{}", headers={"Content-Type": endpoint.content_type})
    assert response.status == 401
    assert (await response.json())["error"] in {"missing_token", "missing_signature"}
    assert _nothing_queued(redis_client)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
async def test_a_wrong_credential_is_401_json(gateway: Any, redis_client: redis.Redis, endpoint: Endpoint) -> None:
    body = endpoint.valid()
    response = await _post(gateway, endpoint, body, endpoint.wrong_auth(body))
    assert response.status == 401
    assert (await response.json())["error"] in {"bad_signature", "bad_token"}
    assert _nothing_queued(redis_client)
    # The same body with the right credential is taken: the row above failed on the credential alone.
    assert (await _post(gateway, endpoint, body, endpoint.auth(body))).status == 200
    assert _queued(redis_client) == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
async def test_a_replayed_request_files_nothing_more(
    gateway: Any, redis_client: redis.Redis, endpoint: Endpoint
) -> None:
    body = endpoint.valid()
    headers = endpoint.auth(body)
    first = await _post(gateway, endpoint, body, headers)
    assert first.status == 200, await first.text()
    replayed = await _post(gateway, endpoint, body, headers)  # the same bytes, the same headers
    if replayed.status == 200:
        # Senders without a nonce are idempotent: the replay is answered as the original was,
        # and says it is a duplicate.
        original, again = await first.json(), await replayed.json()
        assert (original.pop("duplicate"), again.pop("duplicate")) == (False, True)
        assert again == original
    else:
        assert replayed.status == 401
        assert (await replayed.json())["error"] == "replayed_nonce"
    assert _queued(redis_client) == 1


@pytest.mark.parametrize("skew", [-3600, -301, 301, 86_400], ids=["hour old", "just stale", "just ahead", "tomorrow"])
@pytest.mark.parametrize("endpoint", STAMPED, ids=[e.name for e in STAMPED])
async def test_a_stale_timestamp_is_401(gateway: Any, redis_client: redis.Redis, endpoint: Endpoint, skew: int) -> None:
    assert endpoint.stale_auth is not None
    body = endpoint.valid()
    response = await _post(gateway, endpoint, body, endpoint.stale_auth(body, skew))
    assert response.status == 401
    assert (await response.json())["error"] == "stale_timestamp"
    assert _nothing_queued(redis_client)


UNSAFE_NAMES = [
    "../../etc/passwd",
    "..\\..\\Windows\\System32\\drivers\\etc\\hosts",
    "/var/lib/hotline/secret_key",
    "投诉材料.pdf.exe",
    "invoice.scr",
    "update.bat",
    "page.html",
    "map.svg",
    "app.apk",
    "photo.jpg\x00.exe",
    "\u202egpj.exe",
    "CON.jpg",
]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
@pytest.mark.parametrize("endpoint", NAMED, ids=[e.name for e in NAMED])
async def test_paths_and_programs_as_attachment_names_are_422(
    gateway: Any, redis_client: redis.Redis, endpoint: Endpoint, name: str
) -> None:
    assert endpoint.named is not None
    body = endpoint.named(name)
    response = await _post(gateway, endpoint, body, endpoint.auth(body))
    assert response.status == 422, await response.text()
    payload = await response.json()
    assert payload["error"] == "invalid_payload"
    assert any(where.startswith("attachments.0.name") for where in payload["fields"]), payload
    assert _nothing_queued(redis_client)


@pytest.mark.parametrize("endpoint", NAMED, ids=[e.name for e in NAMED])
async def test_an_ordinary_attachment_name_is_taken(
    gateway: Any, redis_client: redis.Redis, endpoint: Endpoint
) -> None:
    assert endpoint.named is not None
    body = endpoint.named("现场照片 (1).jpg")
    response = await _post(gateway, endpoint, body, endpoint.auth(body))
    assert response.status == 200, await response.text()
    assert _queued(redis_client) == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
async def test_a_sender_hanging_up_mid_body_is_no_error(
    make_settings: Any, redis_client: redis.Redis, endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    # Served as `serve` serves it (aiohttp's test server cancels the handler of a lost connection;
    # the production runner lets it run into the closed stream).
    caplog.set_level(logging.INFO)
    settings = make_settings(**GATEWAY_SETTINGS)
    runner = server_runner(create_app(settings), settings)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        body = endpoint.valid()
        headers = {**endpoint.auth(body), "Content-Type": endpoint.content_type, "Content-Length": str(len(body))}
        head = f"POST {endpoint.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head.encode() + b"\r\n" + body[: len(body) // 2])
        await writer.drain()
        writer.close()  # gone, half a body sent
        await writer.wait_closed()
        await asyncio.sleep(0.3)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert any("went away" in r.getMessage() for r in caplog.records)  # it did reach the handler
        assert _nothing_queued(redis_client)
    finally:
        await runner.cleanup()

"""The bad-input table every machine-facing endpoint answers the same way: a 4xx JSON error with a
stable `error` code and a message, never a 5xx, never a crash, never a half-written event.

A new endpoint plugs in with one `Endpoint` row: its path, its content type and how a legitimate
sender authenticates (so the table reaches the parser, not only the authentication).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from queue_workers.settings import FORWARD_QUEUE
from tests.conftest import signed_headers
from tests.ivr_support import IVR_TOKEN, IVR_TOKENS

TOKEN_12345 = "hotline12345-token-for-tests-0123"


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    content_type: str
    auth: Callable[[bytes], dict[str, str]]  # the headers a legitimate sender adds for this body


ENDPOINTS = [
    Endpoint("app", "/api/v1/app/messages", "application/json", lambda body: signed_headers(body)),
    Endpoint(
        "ivr calls", "/channels/ivr/calls", "application/json", lambda _: {"Authorization": f"Bearer {IVR_TOKEN}"}
    ),
    Endpoint(
        "freeswitch json",
        "/channels/ivr/freeswitch",
        "application/json",
        lambda _: {"Authorization": f"Bearer {IVR_TOKEN}"},
    ),
    Endpoint(
        "freeswitch xml", "/channels/ivr/freeswitch", "text/xml", lambda _: {"Authorization": f"Bearer {IVR_TOKEN}"}
    ),
    Endpoint(
        "12345", "/channels/12345/orders", "application/json", lambda _: {"Authorization": f"Bearer {TOKEN_12345}"}
    ),
]

NESTED = b"[" * 100_000 + b"]" * 100_000
TEN_MB_FIELD = b'{"text": "' + "长".encode() * (10 * 1024 * 1024 // 3) + b'"}'
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<cdr><variables><uuid>&b;</uuid></variables></cdr>"
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


@pytest.fixture
async def gateway(make_settings: Any, start_gateway: Any) -> Any:
    settings = make_settings(
        channels=["app", "ivr", "hotline12345"],
        ivr_tokens=IVR_TOKENS,
        hotline12345_token=TOKEN_12345,
        hotline12345_return_url="http://127.0.0.1:9/returns",
        hotline12345_return_secret="hotline12345-return-secret-0123456",
    )
    return await start_gateway(settings)


def _nothing_queued(redis_client: redis.Redis) -> bool:
    return Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 0


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

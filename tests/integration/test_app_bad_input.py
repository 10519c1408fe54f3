"""Bad input on the app endpoint: a 4xx JSON error with a stable code, never a 5xx, nothing queued."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE
from tests.conftest import signed_headers

PATH = "/api/v1/app/messages"
GOOD = {"request_id": "req-bad-input-1", "user_id": "u1", "text": "公交车到站不停"}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


CASES: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("malformed json", b'{"request_id": "x",', {}, 400, "malformed_json"),
    ("not an object", _json([1, 2, 3]), {}, 400, "malformed_json"),
    ("invalid utf-8", b'{"text": "\xff\xfe"}', {}, 400, "malformed_json"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, {}, 400, "malformed_json"),
    ("wrong content type", _json(GOOD), {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    ("missing fields", _json({"text": "只有内容"}), {}, 422, "invalid_payload"),
    ("empty text", _json({**GOOD, "text": ""}), {}, 422, "invalid_payload"),
    ("bad category", _json({**GOOD, "category": "praise"}), {}, 422, "invalid_payload"),
    ("bad phone", _json({**GOOD, "contact": {"phone": "call me"}}), {}, 422, "invalid_payload"),
    ("text too long", _json({**GOOD, "text": "长" * 5001}), {}, 422, "invalid_payload"),
]


@pytest.mark.parametrize(("name", "body", "extra", "status", "code"), CASES, ids=[c[0] for c in CASES])
async def test_bad_bodies(
    client: Any,
    redis_client: redis.Redis,
    name: str,
    body: bytes,
    extra: dict[str, str],
    status: int,
    code: str,
) -> None:
    headers = {**signed_headers(body), **extra}
    response = await client.post(PATH, data=body, headers=headers)
    assert response.status == status, await response.text()
    payload = await response.json()
    assert payload["error"] == code
    assert payload["message"]
    assert Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 0


async def test_invalid_fields_are_named(client: Any) -> None:
    body = _json({"text": "x", "contact": {"phone": "call me"}})
    response = await client.post(PATH, data=body, headers=signed_headers(body))
    fields = (await response.json())["fields"]
    assert {"request_id", "user_id", "contact.phone"} <= set(fields)


async def test_oversized_body_is_refused_before_reading(client: Any) -> None:
    body = _json({**GOOD, "text": "长" * 400_000})  # > 1 MiB in UTF-8
    response = await client.post(PATH, data=io.BytesIO(body), headers=signed_headers(body))
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"


async def test_oversized_chunked_body_is_refused(client: Any) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    headers = signed_headers(b"")
    response = await client.post(PATH, data=chunks(), headers=headers)
    assert response.status == 413


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda h: h.pop("X-Hotline-Signature"), "missing_signature"),
        (lambda h: h.update({"X-Hotline-Signature": "0" * 64}), "bad_signature"),
        (lambda h: h.update({"X-Hotline-Key": "other"}), "unknown_key"),
    ],
)
async def test_wrong_or_missing_signature(client: Any, redis_client: redis.Redis, mutate: Any, code: str) -> None:
    body = _json(GOOD)
    headers = signed_headers(body)
    mutate(headers)
    response = await client.post(PATH, data=body, headers=headers)
    assert response.status == 401
    assert (await response.json())["error"] == code
    assert Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 0


async def test_replayed_request_is_refused(client: Any) -> None:
    body = _json(GOOD)
    headers = signed_headers(body)
    first = await client.post(PATH, data=body, headers=headers)
    assert first.status == 200
    replay = await client.post(PATH, data=body, headers=headers)
    assert replay.status == 401
    assert (await replay.json())["error"] == "replayed_nonce"


async def test_repeat_with_fresh_signature_gets_first_reply(client: Any, redis_client: redis.Redis) -> None:
    body = _json(GOOD)
    first = await (await client.post(PATH, data=body, headers=signed_headers(body))).json()
    again = await (await client.post(PATH, data=body, headers=signed_headers(body))).json()
    assert again["duplicate"] is True
    assert again["ticket_no"] == first["ticket_no"]
    assert Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 1


async def test_wrong_method_is_json(client: Any) -> None:
    response = await client.get(PATH)
    assert response.status == 405
    assert (await response.json())["error"] == "method_not_allowed"


async def test_unknown_path_is_json_404(client: Any) -> None:
    response = await client.get("/nope")
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_health_and_readiness(client: Any) -> None:
    assert (await (await client.get("/healthz")).json())["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["queue"] == {FORWARD_QUEUE: 0, REPLY_QUEUE: 0}

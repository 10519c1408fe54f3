"""The app channel through the real pipeline on real Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import redis

from tests.conftest import signed_headers
from tests.forwarding_support import queued_events


def _message(**overrides: Any) -> bytes:
    body = {
        "request_id": str(uuid.uuid4()),
        "user_id": "u-1001",
        "text": "出租车司机拒载，车牌粤A12345，昨天晚上八点在广州南站。",
        "category": "complaint",
        "domain": "urban_transit",
        "contact": {"name": "张三", "phone": "+86 138 0013 8000"},
    }
    body.update(overrides)
    return json.dumps(body, ensure_ascii=False).encode()


async def test_accepted_message_is_queued_as_one_event(client: Any, redis_client: redis.Redis) -> None:
    body = _message()
    response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
    assert response.status == 200, await response.text()
    reply = await response.json()
    assert reply["decision"] == "accepted"
    assert reply["category"] == "complaint"
    assert reply["duplicate"] is False
    assert reply["ticket_no"].startswith("12328-")
    events = queued_events(redis_client)
    assert len(events) == 1
    event = events[0]
    assert event.ticket_no == reply["ticket_no"]
    assert event.citizen.phone == "13800138000"
    assert event.routing.region_code == "440100"
    assert event.source.app_key_id == "test-app"


async def test_concurrent_identical_submissions_make_one_ticket(client: Any, redis_client: redis.Redis) -> None:
    body = _message()
    responses = await asyncio.gather(
        *(client.post("/api/v1/app/messages", data=body, headers=signed_headers(body)) for _ in range(20))
    )
    replies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {200}
    assert len({r["ticket_no"] for r in replies}) == 1
    assert sum(1 for r in replies if not r["duplicate"]) == 1
    assert len(queued_events(redis_client)) == 1

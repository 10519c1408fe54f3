"""12345 transfers end to end: orders posted to the gateway, a worker in burst mode, and real HTTP
servers on 127.0.0.1 standing in for the ticketing core and for the 12345 platform that takes
returned orders back."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis

from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.forwarding_support import core_settings, drain, queued_events
from tests.hotline12345_support import AUTH, ORDERS, RETURN_SECRET, TOKEN, order

pytestmark = pytest.mark.e2e


@pytest.fixture
async def platform() -> AsyncIterator[FakeTicketCore]:
    """The 12345 platform's return endpoint: signed like the ticket core, keyed by order."""
    server = FakeTicketCore(RETURN_SECRET, key_of=lambda body: f"12345-return:{body.get('order_no')}")
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def settings_12345(make_settings: Any, ticket_core: FakeTicketCore, platform: FakeTicketCore) -> Any:
    return core_settings(
        make_settings,
        ticket_core,
        channels=["app", "hotline12345"],
        hotline12345_token=TOKEN,
        hotline12345_return_url=platform.url,
        hotline12345_return_secret=RETURN_SECRET,
    )


@pytest.fixture
async def gateway(settings_12345: Any, start_gateway: Any) -> Any:
    return await start_gateway(settings_12345)


async def post(client: Any, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return await client.post(ORDERS, data=data, headers=headers or AUTH)


async def test_an_accepted_order_keeps_its_number_and_must_be_transferred_in_24_hours(
    gateway: Any, settings_12345: Any, ticket_core: FakeTicketCore, platform: FakeTicketCore
) -> None:
    body = order()
    response = await post(gateway, body)
    assert response.status == 200, await response.text()
    reply = await response.json()
    assert (reply["order_no"], reply["outcome"], reply["decision"]) == (body["order_no"], "accepted", "accepted")
    assert reply["category"] == "complaint"
    await drain(settings_12345)
    [delivered] = ticket_core.accepted
    event = delivered.event
    assert event["channel"] == "hotline12345"
    assert event["idempotency_key"] == body["order_no"]
    assert event["source"]["order_no"] == body["order_no"]
    assert event["source"]["region_code"] == "440106"
    assert event["source"]["due_at"] == "2026-12-07T18:00:00+08:00"
    assert event["source"]["origin_category"] == "投诉"
    assert event["citizen"] == {"channel_user_id": None, "name": "李四", "phone": "13900139000"}
    assert [(a["kind"], a["name"]) for a in event["content"]["attachments"]] == [("image", "发票.jpg")]
    assert event["deadlines"]["transfer_by"]  # 24 working hours from its arrival
    assert platform.received == []  # nothing returned


async def test_a_refused_order_is_returned_once_with_its_reason(
    gateway: Any, settings_12345: Any, ticket_core: FakeTicketCore, platform: FakeTicketCore
) -> None:
    body = order(content="我要举报我们单位领导贪污受贿，纪委不管，你们管不管？", category="举报")
    reply = await (await post(gateway, body)).json()
    assert reply["outcome"] == "returned"
    again = await (await post(gateway, body)).json()
    assert again["duplicate"] is True
    await drain(settings_12345)
    await drain(settings_12345)
    [returned] = platform.received
    assert returned.signature_ok
    notice = returned.event
    assert notice["order_no"] == body["order_no"]
    assert notice["decision"] == reply["decision"] == "rejected"
    assert notice["reason"] == reply["reason"]
    assert "不予受理" in notice["message"]
    assert notice["ticket_no"] == reply["ticket_no"]
    assert len(ticket_core.accepted) == 1  # the centre archives what it returned (第三十条)


async def test_another_hotlines_order_is_returned_as_redirected(
    gateway: Any, settings_12345: Any, platform: FakeTicketCore
) -> None:
    body = order(
        content="市民反映：从广州南站坐高铁G1234次去长沙，列车晚点三个小时，要求铁路部门赔偿。", category="投诉"
    )
    reply = await (await post(gateway, body)).json()
    assert (reply["outcome"], reply["decision"], reply["redirect"]) == ("returned", "redirected", "railway")
    await drain(settings_12345)
    [returned] = platform.received
    assert returned.event["redirect"] == "railway"
    assert "12306" in returned.event["message"]


async def test_an_order_from_another_region_is_returned(
    gateway: Any, settings_12345: Any, platform: FakeTicketCore
) -> None:
    body = order(region_code="440305")  # 深圳市南山区, and this centre is 广州 (440100)
    reply = await (await post(gateway, body)).json()
    assert (reply["outcome"], reply["reason"]) == ("returned", "other_jurisdiction")
    await drain(settings_12345)
    assert platform.received[0].event["reason"] == "other_jurisdiction"


async def test_a_return_the_platform_cannot_take_yet_is_retried_and_sent_once(
    gateway: Any, settings_12345: Any, platform: FakeTicketCore
) -> None:
    platform.answer(503, Answer(status=200))
    body = order(region_code="110105")
    await post(gateway, body)
    for _ in range(4):
        await drain(settings_12345)
        await asyncio.sleep(0.05)
    assert [r.answered for r in platform.received] == [503, 200]


async def test_concurrent_repeats_make_one_ticket_and_one_return(
    gateway: Any, settings_12345: Any, platform: FakeTicketCore, redis_client: redis.Redis
) -> None:
    body = order(region_code="110105")
    responses = await asyncio.gather(*(post(gateway, body) for _ in range(10)))
    replies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {200}
    assert len({r["ticket_no"] for r in replies}) == 1
    assert len(queued_events(redis_client)) == 1
    await drain(settings_12345)
    assert len(platform.received) == 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Content-Type": "application/json"}, "missing_token"),
        ({**AUTH, "Authorization": "Bearer wrong-token-0123456789abc"}, "bad_token"),
        ({**AUTH, "Authorization": f"Basic {TOKEN}"}, "missing_token"),
    ],
)
async def test_wrong_tokens_are_refused(
    gateway: Any, redis_client: redis.Redis, headers: dict[str, str], code: str
) -> None:
    response = await post(gateway, order(), headers)
    assert response.status == 401
    assert (await response.json())["error"] == code
    assert queued_events(redis_client) == []


BAD: list[tuple[str, bytes, int, str]] = [
    ("malformed json", b'{"order_no": ', 400, "malformed_json"),
    ("not an object", b'"order"', 400, "malformed_json"),
    ("invalid utf-8", b'{"order_no": "\xff"}', 400, "malformed_json"),
    ("no content", json.dumps(order(content="")).encode(), 422, "invalid_payload"),
    ("bad region", json.dumps(order(region_code="GZ")).encode(), 422, "invalid_payload"),
    ("naive time", json.dumps(order(received_at="2026-11-30 10:15")).encode(), 422, "invalid_payload"),
    ("path as order no", json.dumps(order(order_no="../../x")).encode(), 422, "invalid_payload"),
    (
        "script attachment",
        json.dumps(order(attachments=[{"url": "javascript:alert(1)"}])).encode(),
        422,
        "invalid_payload",
    ),
    (
        "too many attachments",
        json.dumps(order(attachments=[{"url": "https://a.example/x.jpg"}] * 21)).encode(),
        422,
        "invalid_payload",
    ),
]


@pytest.mark.parametrize(("name", "body", "status", "code"), BAD, ids=[b[0] for b in BAD])
async def test_bad_orders(
    gateway: Any, redis_client: redis.Redis, name: str, body: bytes, status: int, code: str
) -> None:
    response = await post(gateway, body)
    assert response.status == status, await response.text()
    assert (await response.json())["error"] == code
    assert queued_events(redis_client) == []


async def test_an_oversized_order_is_refused(gateway: Any, redis_client: redis.Redis) -> None:
    body = json.dumps(order(content="长" * 400_000), ensure_ascii=False).encode()
    response = await gateway.post(ORDERS, data=io.BytesIO(body), headers=AUTH)
    assert response.status == 413
    assert queued_events(redis_client) == []


async def test_a_wrong_content_type_is_415(gateway: Any) -> None:
    response = await post(gateway, order(), {**AUTH, "Content-Type": "application/xml"})
    assert response.status == 415


def test_the_channel_needs_its_token_and_return_url(make_settings: Any) -> None:
    from channels import ChannelConfigError, ChannelServices
    from gateway.app import build_channels

    services = ChannelServices(nonces=None, signer=None)  # type: ignore[arg-type]
    with pytest.raises(ChannelConfigError, match="HOTLINE_12345_TOKEN"):
        build_channels(make_settings(channels=["hotline12345"]), services)
    with pytest.raises(ChannelConfigError, match="HOTLINE_12345_RETURN_URL"):
        build_channels(make_settings(channels=["hotline12345"], hotline12345_token=TOKEN), services)

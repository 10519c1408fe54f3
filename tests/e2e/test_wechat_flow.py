"""The WeChat channel end to end: wechatpy playing the WeChat server against the gateway on
127.0.0.1, real Redis, the forwarding queue checked for exactly what reaches the ticketing core."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer
from rq import Queue
from rq.serializers import JSONSerializer

from domain import TicketSupplement
from gateway import keys
from gateway.app import create_app
from gateway.decide import Decider
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE
from queue_workers.ticket_store import TicketStore
from queue_workers.worker import run_worker
from tests.conftest import WECHAT_APP_ID, WECHAT_APP_SECRET
from tests.fake_wechat_api import FakeWeChatApi
from tests.forwarding_support import queued_tickets
from tests.wechat_samples import WeChatServer, message_xml
from tests.wechat_support import LONG_ANSWER, OPENID, ScriptedDecider, WeChat, wechat_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def decider() -> ScriptedDecider:
    return ScriptedDecider()


@pytest.fixture
async def wechat(make_settings: Any, decider: Decider) -> AsyncIterator[WeChat]:
    app = create_app(wechat_settings(make_settings), decider=decider)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield WeChat(client)


def _jobs(redis_client: redis.Redis, queue: str = FORWARD_QUEUE) -> list[Any]:
    return list(Queue(queue, connection=redis_client, serializer=JSONSerializer).jobs)


def _supplements(redis_client: redis.Redis) -> list[TicketSupplement]:
    return [
        TicketSupplement.model_validate(job.args[0])
        for job in _jobs(redis_client)
        if job.func_name.endswith("forward_supplement")
    ]


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
async def test_a_complaint_becomes_one_ticket_and_a_retry_gets_the_same_reply(
    make_settings: Any, redis_client: redis.Redis, mode: str
) -> None:
    app = create_app(wechat_settings(make_settings), decider=ScriptedDecider())
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        wechat = WeChat(client, mode)
        status, reply = await wechat.text("出租车粤A12345拒载，今天早上8点在广州南站。", "20001")
        again = await wechat.text("出租车粤A12345拒载，今天早上8点在广州南站。", "20001")
    assert status == 200
    (ticket,) = queued_tickets(redis_client)
    assert ticket.ticket_no in reply
    assert "已受理" in reply
    assert again == (200, reply)
    assert ticket.channel == "wechat"
    assert ticket.idempotency_key == "20001"
    assert ticket.citizen.channel_user_id == OPENID
    assert ticket.source.message_id == "20001"


async def test_concurrent_retries_make_one_ticket(wechat: WeChat, redis_client: redis.Redis) -> None:
    xml = message_xml("text", Content="公交车B12路司机粤A88888开车打电话", msg_id="30001", from_user=OPENID)
    results = await asyncio.gather(*(wechat.push(xml) for _ in range(8)))
    assert {status for status, _ in results} == {200}
    assert len({text for _, text in results}) == 1
    assert len(queued_tickets(redis_client)) == 1


async def test_photos_and_location_after_the_text_join_its_ticket(wechat: WeChat, redis_client: redis.Redis) -> None:
    _, reply = await wechat.text("网约车粤A66666绕路多收费", "40001")
    (ticket,) = queued_tickets(redis_client)
    assert ticket.ticket_no in reply
    _, photo_reply = await wechat.push(
        message_xml("image", PicUrl="http://mmbiz.qpic.cn/x.jpg", MediaId="media-1", msg_id="40002", from_user=OPENID)
    )
    _, place_reply = await wechat.push(
        message_xml(
            "location",
            Location_X="23.134521",
            Location_Y="113.358803",
            Scale="20",
            Label="广州市天河区",
            msg_id="40003",
            from_user=OPENID,
        )
    )
    assert ticket.ticket_no in photo_reply
    assert "图片" in photo_reply
    assert "位置" in place_reply
    photo, place = _supplements(redis_client)
    assert (photo.ticket_no, photo.kind, photo.content.attachments[0].media_id) == (
        ticket.ticket_no,
        "media",
        "media-1",
    )
    assert place.kind == "location"
    assert place.content.location is not None
    assert place.content.location.label == "广州市天河区"
    assert len(queued_tickets(redis_client)) == 1


async def test_a_photo_before_the_text_is_attached_to_the_ticket(wechat: WeChat, redis_client: redis.Redis) -> None:
    photo = message_xml(
        "image", PicUrl="http://mmbiz.qpic.cn/y.jpg", MediaId="media-2", msg_id="50001", from_user=OPENID
    )
    _, prompt = await wechat.push(photo)
    _, prompt_again = await wechat.push(photo)  # WeChat's retry of the same photo
    assert "文字" in prompt
    assert prompt_again == prompt
    assert queued_tickets(redis_client) == []
    await wechat.text("这辆大巴粤A55555超载，车上站满了人", "50002")
    (ticket,) = queued_tickets(redis_client)
    assert [a.media_id for a in ticket.content.attachments] == ["media-2"]


async def test_the_reported_location_goes_with_the_next_ticket(wechat: WeChat, redis_client: redis.Redis) -> None:
    status, body = await wechat.push(
        message_xml(
            "event",
            Event="LOCATION",
            Latitude="23.137466",
            Longitude="113.352425",
            Precision="119.385",
            from_user=OPENID,
        )
    )
    assert (status, body) == (200, "success")
    await wechat.text("出租车粤A12121拒载", "60001")
    (ticket,) = queued_tickets(redis_client)
    assert ticket.content.location is not None
    assert (ticket.content.location.lat, ticket.content.location.lng) == (23.137466, 113.352425)


async def test_events(wechat: WeChat, redis_client: redis.Redis) -> None:
    subscribe = message_xml("event", Event="subscribe", create_time=1700000000, from_user=OPENID)
    _, welcome = await wechat.push(subscribe)
    assert "12328" in welcome
    assert "12306" in welcome  # where to go instead (第三条)
    assert await wechat.push(subscribe) == (200, welcome)  # a retry: the same answer
    assert await wechat.push(message_xml("event", Event="unsubscribe", from_user=OPENID)) == (200, "success")
    assert await wechat.push(
        message_xml("event", Event="VIEW", EventKey="https://12328.example", from_user=OPENID)
    ) == (
        200,
        "success",
    )
    _, guidance = await wechat.push(message_xml("event", Event="CLICK", EventKey="COMPLAINT", from_user=OPENID))
    assert "车牌号" in guidance
    _, nothing = await wechat.push(
        message_xml("event", Event="CLICK", EventKey="PROGRESS", create_time=1700000001, from_user=OPENID)
    )
    assert "暂未查到" in nothing
    await wechat.text("出租车粤A34343拒载", "70001")
    (ticket,) = queued_tickets(redis_client)
    _, progress = await wechat.push(
        message_xml("event", Event="CLICK", EventKey="PROGRESS", create_time=1700000002, from_user=OPENID)
    )
    assert ticket.ticket_no in progress


async def test_an_unknown_message_type_gets_a_polite_answer(wechat: WeChat, redis_client: redis.Redis) -> None:
    status, text = await wechat.push(message_xml("miniprogrampage", Title="卡片", msg_id="80001", from_user=OPENID))
    assert status == 200
    assert "文字" in text
    assert queued_tickets(redis_client) == []


async def test_missing_facts_are_asked_for_and_the_answer_merged(wechat: WeChat, redis_client: redis.Redis) -> None:
    _, question = await wechat.text("出租车司机拒载，态度很差", "90001")
    assert "车牌号" in question
    assert "30分钟" in question
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    assert queue.count == 0  # held while the citizen is asked
    (held_id,) = queue.scheduled_job_registry.get_job_ids()

    _, answer_reply = await wechat.text("车牌是粤A77777，早上7点半", "90002")
    (ticket,) = queued_tickets(redis_client)
    assert str(ticket.event_id) == held_id
    assert ticket.decision == "accepted"
    assert ticket.ticket_no in question
    assert ticket.ticket_no in answer_reply
    assert "拒载" in ticket.content.text
    assert "粤A77777" in ticket.content.text
    assert queue.scheduled_job_registry.get_job_ids() == []
    assert await wechat.text("车牌是粤A77777，早上7点半", "90002") == (200, answer_reply)  # retry
    assert len(queued_tickets(redis_client)) == 1


async def test_unanswered_question_forwards_the_ticket_with_missing_facts(
    make_settings: Any, redis_client: redis.Redis
) -> None:
    settings = wechat_settings(make_settings, wechat_conversation_ttl_s=2)
    app = create_app(settings, decider=ScriptedDecider())
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        wechat = WeChat(client)
        await wechat.text("出租车司机拒载", "91001")
        await asyncio.sleep(2.2)
        await asyncio.to_thread(run_worker, settings, burst=True, with_scheduler=True)
        store = TicketStore(settings.ticket_store_path)
        try:
            (stored,) = store.newest(limit=10)
        finally:
            store.close()
        # After the conversation, a new text opens a new ticket (no stale merge).
        await wechat.text("另外公交车粤A10101不进站", "91002")
    assert stored.event.decision == "needs_info"
    assert stored.event.missing_facts == ("车牌号", "时间")
    assert len(queued_tickets(redis_client)) == 1


async def test_a_slow_outcome_is_answered_success_and_sent_later(make_settings: Any, redis_client: redis.Redis) -> None:
    settings = wechat_settings(make_settings, wechat_reply_budget_s=0.2)
    app = create_app(settings, decider=ScriptedDecider(delay_s=0.6))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        wechat = WeChat(client)
        started = time.monotonic()
        first = await wechat.text("出租车粤A24680拒载", "95001")
        assert time.monotonic() - started < 0.5
        assert first == (200, "success")
        retry = await wechat.text("出租车粤A24680拒载", "95001")  # WeChat's retry after 5 s
        assert retry == (200, "success")
        for _ in range(50):
            if _jobs(redis_client, REPLY_QUEUE):
                break
            await asyncio.sleep(0.05)
    (ticket,) = queued_tickets(redis_client)
    (late,) = _jobs(redis_client, REPLY_QUEUE)
    assert late.func_name == "queue_workers.wechat_reply.send_wechat_text"
    assert late.args[0]["openid"] == OPENID
    assert ticket.ticket_no in late.args[0]["text"]


async def test_a_long_answer_is_cut_and_the_rest_sent_through_the_api(
    wechat: WeChat, redis_client: redis.Redis
) -> None:
    _, head = await wechat.text("我想咨询高速公路怎么收费", "96001")
    assert len(head.encode()) <= 2048
    assert head.endswith("。")
    (rest_job,) = _jobs(redis_client, REPLY_QUEUE)
    assert (head + rest_job.args[0]["text"]).replace("\n", "") == LONG_ANSWER


async def test_handshake(wechat: WeChat) -> None:
    query = wechat.server.handshake_query("echo-123")
    response = await wechat.client.get("/channels/wechat", params=query)
    assert (response.status, await response.text()) == (200, "echo-123")
    bad = await wechat.client.get("/channels/wechat", params={**query, "signature": "0" * 40})
    assert bad.status == 403
    assert (await bad.json())["error"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"<xml><ToUserName>", 400),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><MsgType>&a;</MsgType></xml>', 400),
        (b"\xff\xfe<xml/>", 400),
        (b"", 400),
    ],
)
async def test_bad_bodies(wechat: WeChat, redis_client: redis.Redis, body: bytes, status: int) -> None:
    query, _ = wechat.server.request(message_xml("text", Content="x", msg_id="1"))
    response = await wechat.client.post("/channels/wechat", params=query, data=body)
    assert response.status == status
    assert (await response.json())["error"]
    assert _jobs(redis_client) == []


async def test_oversized_body_is_refused(wechat: WeChat) -> None:
    query, _ = wechat.server.request(message_xml("text", Content="x", msg_id="1"))
    body = message_xml("text", Content="长" * 400_000, msg_id="2").encode()
    response = await wechat.client.post("/channels/wechat", params=query, data=io.BytesIO(body))
    assert response.status == 413


async def test_wrong_signature_and_wrong_app_id(wechat: WeChat, redis_client: redis.Redis) -> None:
    query, body = wechat.server.request(message_xml("text", Content="投诉", msg_id="3"))
    response = await wechat.client.post("/channels/wechat", params={**query, "signature": "f" * 40}, data=body)
    assert response.status == 403
    other = WeChatServer(app_id="wx0000000000000000")
    query, body = other.request(message_xml("text", Content="投诉", msg_id="4"), "safe")
    response = await wechat.client.post("/channels/wechat", params=query, data=body)
    assert response.status in (400, 403)
    assert (await response.json())["error"]
    assert _jobs(redis_client) == []


async def test_a_stale_push_is_refused(wechat: WeChat, redis_client: redis.Redis) -> None:
    """A query string that leaked an hour ago cannot carry a forged plaintext body today."""
    stale = str(int(time.time()) - 3600)
    query, body = wechat.server.request(message_xml("text", Content="伪造的投诉", msg_id="5"), timestamp=stale)
    response = await wechat.client.post("/channels/wechat", params=query, data=body)
    assert response.status == 403
    assert (await response.json())["error"] == "stale_timestamp"
    assert _jobs(redis_client) == []


async def test_a_late_outcome_reaches_the_citizen_through_the_customer_service_api(
    make_settings: Any, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = wechat_settings(
        make_settings,
        wechat_reply_budget_s=0.2,
        wechat_app_id=WECHAT_APP_ID,
        wechat_app_secret=WECHAT_APP_SECRET,
        wechat_api_url=wechat_api.url,
        reply_retry_schedule=[0],
    )
    server = WeChatServer(app_id=WECHAT_APP_ID)
    app = create_app(settings, decider=ScriptedDecider(delay_s=0.5))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        wechat = WeChat(client)
        wechat.server = server
        assert await wechat.text("出租车粤A13579拒载", "97001") == (200, "success")
        await app[keys.WECHAT_FLOW].drain(5)
    await asyncio.to_thread(run_worker, settings, burst=True, with_scheduler=False)
    store = TicketStore(settings.ticket_store_path)
    try:
        (stored,) = store.newest(limit=10)
    finally:
        store.close()
    (sent,) = wechat_api.delivered
    assert sent.openid == OPENID
    assert stored.event.ticket_no in sent.text
    assert "已受理" in sent.text
    assert _jobs(redis_client) == []
    assert _jobs(redis_client, REPLY_QUEUE) == []


async def test_an_answer_that_still_lacks_facts_ends_the_conversation(
    wechat: WeChat, redis_client: redis.Redis
) -> None:
    _, question = await wechat.text("出租车司机拒载，态度很差", "92001")
    assert await wechat.text("出租车司机拒载，态度很差", "92001") == (200, question)  # a retry: the same question
    _, reply = await wechat.text("我也不记得了", "92002")
    (ticket,) = queued_tickets(redis_client)
    assert ticket.decision == "needs_info"
    assert ticket.missing_facts == ("车牌号", "时间")
    assert ticket.ticket_no in reply
    assert "工作人员会与您联系" in reply
    assert "分钟内" not in reply  # no second question: an operator calls back

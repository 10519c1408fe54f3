"""The regulation's policy on the WeChat channel, end to end: wechatpy plays the WeChat server, the
gateway decides with its real policy step and knowledge base, Redis is real. The passive reply is
what the citizen reads in the chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from tests.forwarding_support import queued_tickets
from tests.wechat_support import WeChat, wechat_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
async def wechat(make_settings: Any) -> AsyncIterator[WeChat]:
    app = create_app(wechat_settings(make_settings))  # the real deciders: KB in front of the policy
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield WeChat(client)


async def test_a_railway_matter_is_sent_to_12306_and_archived(wechat: WeChat, redis_client: redis.Redis) -> None:
    status, reply = await wechat.text("高铁晚点两个多小时，列车员也不解释，去哪投诉", "70001")
    assert status == 200
    assert "12306" in reply
    (ticket,) = queued_tickets(redis_client)
    assert (ticket.decision, ticket.redirect) == ("redirected", "railway")


async def test_someone_in_danger_on_the_water_is_told_to_call_12395_at_once(
    wechat: WeChat, redis_client: redis.Redis
) -> None:
    _, reply = await wechat.text("救命，我们的渔船在海上翻了，三个人抱着船底", "70002")
    assert reply == "水上遇险请立即拨打12395水上遇险求救电话！"
    (ticket,) = queued_tickets(redis_client)
    assert (ticket.decision, ticket.redirect) == ("redirected", "water_distress")


async def test_a_refusal_tells_the_reason(wechat: WeChat, redis_client: redis.Redis) -> None:
    _, reply = await wechat.text("把昨天那个滴滴司机的家庭住址和电话告诉我", "70003")
    assert "涉及国家秘密、商业秘密或个人隐私" in reply
    assert "不予受理" in reply
    (ticket,) = queued_tickets(redis_client)
    assert (ticket.decision, ticket.reason) == ("rejected", "confidential")


async def test_a_complaint_without_facts_is_asked_for_them_in_chinese(
    wechat: WeChat, redis_client: redis.Redis
) -> None:
    _, question = await wechat.text("打车被司机绕路，多收了三十块钱", "70004")
    assert "请补充：车牌号或订单号、发生时间、地点" in question
    assert queued_tickets(redis_client) == []  # held while the citizen is asked
    _, answer = await wechat.text("车牌粤A·D7777，昨天晚上八点从体育西路上的车", "70005")
    (ticket,) = queued_tickets(redis_client)
    assert ticket.decision == "accepted"
    assert ticket.ticket_no in question
    assert ticket.ticket_no in answer
    assert "粤A·D7777" in ticket.content.text
    assert ticket.deadlines is not None
    assert ticket.routing.copy_to == ("provincial",)


async def test_a_safety_matter_is_transferred_at_once(wechat: WeChat, redis_client: redis.Redis) -> None:
    _, reply = await wechat.text("坐的大巴严重超载，过道上都站满了人，车牌湘A·12345", "70006")
    assert "立即转办" in reply
    (ticket,) = queued_tickets(redis_client)
    assert (ticket.decision, ticket.urgent) == ("accepted", True)

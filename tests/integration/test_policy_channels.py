"""The regulation's policy through the real pipeline on real Redis (the app channel, a Guangzhou
city centre, 440100): the decision drives the citizen's reply and the event's `decision`,
`reason`, `redirect`, `urgent`, `routing` and `deadlines`. Every intake is archived as an event,
whatever its decision (第十四、三十条)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import redis

from tests.app_support import app_message, post_app_message
from tests.conftest import GatewayStarter
from tests.forwarding_support import queued_events

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"


def _message(text: str, **overrides: Any) -> bytes:
    return app_message(text, "u-2001", **overrides)


async def test_another_hotlines_business_is_redirected_and_archived(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    reply = await post_app_message(client, _message("我的高铁票改签了两次还能退吗"))
    assert (reply["decision"], reply["redirect"], reply["domain"]) == ("redirected", "railway", None)
    assert "12306" in reply["message"]
    assert reply["deadlines"] is None
    (event,) = queued_events(redis_client)
    assert (event.decision, event.redirect, event.deadlines) == ("redirected", "railway", None)


async def test_a_refusal_states_its_reason(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    reply = await post_app_message(client, _message("这个事我已经去信访局反映过了，信访件编号都有，你们再催一下"))
    assert (reply["decision"], reply["reason"]) == ("rejected", "petition_channel")
    assert "已进入信访渠道" in reply["message"]
    assert "第十九条" in reply["message"]
    (event,) = queued_events(redis_client)
    assert (event.decision, event.reason) == ("rejected", "petition_channel")


async def test_a_safety_matter_is_transferred_at_once_with_its_deadlines(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    text = "广州开往韶关的大巴严重超载，过道上站满了人，车牌粤A·12345，现在在京港澳高速上"
    reply = await post_app_message(client, _message(text))
    assert (reply["decision"], reply["urgent"]) == ("accepted", True)
    assert "立即转办" in reply["message"]
    (event,) = queued_events(redis_client)
    assert event.urgent
    assert event.decision == "accepted"
    assert event.deadlines is not None
    assert event.deadlines.transfer_by > event.received_at
    # Two cities named (广州, 韶关): coordinated by the provincial centre (第十八条).
    assert event.routing.level == "provincial"


async def test_an_accepted_complaint_carries_routing_and_working_day_deadlines(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    text = "昨晚9点在天河区体育西路打的出租车粤A·D1234，司机绕路还多收了我三十块"
    reply = await post_app_message(client, _message(text))
    assert (reply["decision"], reply["category"], reply["domain"]) == ("accepted", "complaint", "urban_transit")
    assert reply["deadlines"]["calendar"] in ("official", "estimated")
    reply_by = datetime.fromisoformat(reply["deadlines"]["reply_by"])
    assert f"{reply_by.year}年{reply_by.month}月{reply_by.day}日前" in reply["message"]
    (event,) = queued_events(redis_client)
    assert event.routing.region_code == "440106"  # 天河区, within the centre's city
    assert event.routing.level == "city"
    assert event.routing.copy_to == ("provincial",)  # complaints are copied to the province (第二十五条)
    assert event.deadlines is not None
    # 第二十三条: a complaint gets 10 working days: two working weeks, 12 calendar days at the least.
    assert (event.deadlines.reply_by - event.received_at).days >= 12


async def test_a_complaint_without_facts_is_asked_for_them(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    reply = await post_app_message(client, _message("公交车司机开得太猛了，急刹车差点把我摔倒"))
    assert (reply["decision"], reply["category"]) == ("needs_info", "complaint")
    assert reply["missing_facts"][0] == "line"
    assert "线路" in reply["message"]

"""Instant answers through the real pipeline on real Redis: an inquiry the KB answers is closed at
once; a complaint is never closed by an FAQ — accepted for transfer, the article suggested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis

from gateway.settings import Settings
from tests.app_support import app_message, post_app_message
from tests.conftest import GatewayStarter
from tests.forwarding_support import queued_events
from tests.webform_support import hidden_fields

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"
REFUSAL_ANSWER = "出租车拒载可以向12328投诉，请提供车牌号、时间、地点和经过。"


def _message(text: str, **overrides: Any) -> bytes:
    return app_message(text, "u-1001", **overrides)


async def test_an_inquiry_is_answered_from_the_kb_on_the_app_channel(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    reply = await post_app_message(client, _message("請問計程車拒載怎麼投訴？"))
    assert reply["decision"] == "answered"
    assert reply["category"] == "inquiry"
    assert reply["domain"] == "urban_transit"
    assert reply["answer"] == REFUSAL_ANSWER
    assert reply["message"] == REFUSAL_ANSWER
    # Answered business is archived too (第十四、三十条): one event, with the article.
    (event,) = queued_events(redis_client)
    assert event.decision == "answered"
    assert event.answer is not None
    assert (event.answer.kb_id, event.answer.text) == ("t-taxi-refusal", REFUSAL_ANSWER)


async def test_a_complaint_is_never_closed_by_an_faq(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    # The citizen chose "inquiry", but tells of a wrong done to them, with a plate: a complaint,
    # transferred, with the matching article as a suggestion.
    narrative = "昨天晚上打车，的士司机拒载，车牌粤A12345，我在广州南站等了半小时"
    reply = await post_app_message(client, _message(narrative, category="inquiry"))
    assert (reply["decision"], reply["category"]) == ("accepted", "complaint")
    assert reply["answer"] == REFUSAL_ANSWER
    assert reply["message"].startswith("您反映的事项已受理，工单号：")
    assert reply["message"].endswith(f"\n您也可以参考：{REFUSAL_ANSWER}")
    # The article's own question, filed as a complaint: not answered by the article either; the
    # policy asks for what a taxi complaint needs (第十九条(二)).
    reply = await post_app_message(client, _message("出租车拒载怎么投诉", category="complaint"))
    assert (reply["decision"], reply["category"]) == ("needs_info", "complaint")
    assert reply["missing_facts"] == ["plate", "time", "place"]
    assert "车牌号或订单号" in reply["message"]
    events = queued_events(redis_client)
    assert [event.decision for event in events] == ["accepted", "needs_info"]
    assert [event.answer.kb_id if event.answer else None for event in events] == ["t-taxi-refusal", None]


async def test_an_off_topic_question_is_refused_with_its_reason(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    reply = await post_app_message(client, _message("明天北京天气怎么样", category="inquiry"))
    assert (reply["decision"], reply["reason"]) == ("rejected", "out_of_scope")
    assert reply["answer"] is None
    assert "不属于交通运输主管部门的职责范围" in reply["message"]
    (event,) = queued_events(redis_client)  # archived too (第十四、三十条)
    assert (event.decision, event.answer) == ("rejected", None)


async def test_the_web_form_gets_instant_answers_too(make_settings: Any, start_gateway: GatewayStarter) -> None:
    settings: Settings = make_settings(kb_path=SMALL_KB)
    client = await start_gateway(settings)
    token, request_id = hidden_fields(await (await client.get("/form")).text())
    fields = {
        "csrf_token": token,
        "request_id": request_id,
        "category": "inquiry",
        "domain": "",
        "description": "国庆节高速公路免费吗？",
        "name": "",
        "phone": "",
        "place": "",
        "occurred_at": "",
    }
    response = await client.post("/form", data=fields)
    html = await response.text()
    assert response.status == 200, html
    assert "春节、清明节、劳动节、国庆节期间，7座以下小型客车免费通行高速公路。" in html

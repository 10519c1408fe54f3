"""Rate limits per sender, counted in Redis: an app's client address, a WeChat openid, an IVR
caller number. Over the limit: 429 with Retry-After (WeChat: a reply telling the citizen)."""

from __future__ import annotations

from typing import Any

import redis

from tests.app_support import app_message
from tests.conftest import signed_headers
from tests.forwarding_support import queued_events
from tests.ivr_support import call_record, ivr_settings, post_call
from tests.wechat_support import WeChat, wechat_settings


async def test_an_app_client_over_its_limit_gets_429(
    make_settings: Any, start_gateway: Any, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(app_rate_limit=2))
    statuses = []
    for n in range(3):
        body = app_message(f"公交{n}路到站不停，今天早上8点天河站。", f"u-{n}")
        response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
        statuses.append(response.status)
    assert statuses == [200, 200, 429]
    assert int(response.headers["Retry-After"]) > 0
    assert (await response.json())["error"] == "rate_limited"
    assert len(queued_events(redis_client)) == 2


async def test_a_caller_over_the_limit_gets_429_and_others_do_not(
    make_settings: Any, start_gateway: Any, redis_client: redis.Redis
) -> None:
    client = await start_gateway(ivr_settings(make_settings, ivr_rate_limit=2))
    for n in range(2):
        assert (await post_call(client, call_record(call_id=f"c-{n}"))).status == 200
    over = await post_call(client, call_record(call_id="c-2"))
    assert over.status == 429
    assert "Retry-After" in over.headers
    other = await post_call(client, call_record(call_id="c-3", caller="13900139000"))
    assert other.status == 200
    assert len(queued_events(redis_client)) == 3


async def test_a_wechat_citizen_over_the_limit_is_told_to_wait(
    make_settings: Any, start_gateway: Any, redis_client: redis.Redis
) -> None:
    wechat = WeChat(await start_gateway(wechat_settings(make_settings, wechat_rate_limit=1)))
    first = await wechat.text("出租车拒载，粤A12345，今天上午9点广州南站。", msg_id="6200000000000000001")
    second = await wechat.text("还有一件事，公交车不停站。", msg_id="6200000000000000002")
    assert first[0] == second[0] == 200
    assert "12328-" in first[1]
    assert "过于频繁" in second[1]
    assert len(queued_events(redis_client)) == 1

"""Redis unavailable at intake: the submissions go to the durable spool, the citizens get their
ticket numbers, and everything reaches RQ in order, once, when a real `redis-server` (killed with
SIGKILL, then started again) answers again."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from gateway.enqueue import JobSpec, KeyWrite, ListPush, Writes
from gateway.spool import AlreadySpooled, Spool, SpoolTotals, _decode, _encode
from tests.app_support import app_message
from tests.conftest import signed_headers
from tests.forwarding_support import queued_events
from tests.redis_process import RedisProcess

SPOOLED_NUMBER = re.compile(r"^12328-\d{8}-9\d{10}$")


async def _post(client: Any, body: bytes) -> Any:
    return await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))


async def _spool_metrics(client: Any) -> dict[str, float]:
    """The spool's samples on /metrics, as Prometheus parses them."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    families = text_string_to_metric_families(await response.text())
    return {s.name: s.value for family in families for s in family.samples if s.name.startswith("hotline_spool")}


async def _until(check: Any, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_an_outage_is_spooled_and_replayed_in_order_once(
    make_settings: Any, start_gateway: Any, own_redis: RedisProcess
) -> None:
    settings = make_settings(redis_url=own_redis.url, node_id="0042")
    client = await start_gateway(settings)
    before = await (await _post(client, app_message("公交10路到站不停，今天早上8点天河站。", "u-0"))).json()

    own_redis.kill()
    bodies = [app_message(f"出租车拒载，车牌粤A1234{n}，今天下午3点广州南站。", f"u-{n}") for n in range(1, 6)]
    replies = []
    for body in bodies:
        response = await _post(client, body)
        assert response.status == 200, await response.text()
        replies.append(await response.json())
    assert all(SPOOLED_NUMBER.match(r["ticket_no"]) and "-90042" in r["ticket_no"] for r in replies)
    assert len({r["ticket_no"] for r in replies}) == 5
    repeat = await (await _post(client, bodies[2])).json()  # the app retries with a fresh signature
    assert (repeat["ticket_no"], repeat["duplicate"]) == (replies[2]["ticket_no"], True)
    ready = await (await client.get("/readyz")).json()
    assert (ready["status"], ready["spool"]["depth"]) == ("spooling", 5)
    assert await _spool_metrics(client) == {
        "hotline_spool_depth": 5,
        "hotline_spool_spooled_total": 5,
        "hotline_spool_replayed_total": 0,
    }

    own_redis.start()

    async def drained() -> bool:
        body = await (await client.get("/readyz")).json()
        return bool(body["status"] == "ready" and body["spool"]["depth"] == 0)

    await _until(drained)
    events = queued_events(redis.Redis.from_url(own_redis.url))
    assert [e.ticket_no for e in events] == [before["ticket_no"]] + [r["ticket_no"] for r in replies]
    assert await _spool_metrics(client) == {
        "hotline_spool_depth": 0,
        "hotline_spool_spooled_total": 5,
        "hotline_spool_replayed_total": 5,
    }
    again = await (await _post(client, bodies[4])).json()  # now answered from Redis
    assert (again["ticket_no"], again["duplicate"]) == (replies[4]["ticket_no"], True)
    assert len(queued_events(redis.Redis.from_url(own_redis.url))) == 6


async def test_an_ivr_call_and_a_12345_return_are_spooled_whole(
    make_settings: Any, start_gateway: Any, own_redis: RedisProcess
) -> None:
    from tests.ivr_support import IVR_TOKENS, call_record, post_call

    settings = make_settings(
        redis_url=own_redis.url,
        channels=["ivr", "hotline12345"],
        ivr_tokens=IVR_TOKENS,
        hotline12345_token="hotline12345-token-for-tests-0123",
        hotline12345_return_url="http://127.0.0.1:9/returns",
        hotline12345_return_secret="hotline12345-return-secret-0123456",
    )
    client = await start_gateway(settings)
    own_redis.kill()
    call = await post_call(client, call_record())
    assert call.status == 200, await call.text()
    order = {
        "order_no": "GZ-SPOOL-1",
        "region_code": "110105",  # another region: returned
        "received_at": "2026-11-30T10:15:00+08:00",
        "content": "市民反映北京的出租车绕路。",
    }
    returned = await client.post(
        "/channels/12345/orders",
        data=json.dumps(order, ensure_ascii=False).encode(),
        headers={"Authorization": "Bearer hotline12345-token-for-tests-0123", "Content-Type": "application/json"},
    )
    assert returned.status == 200, await returned.text()
    assert (await returned.json())["outcome"] == "returned"

    own_redis.start()
    connection = redis.Redis.from_url(own_redis.url)

    async def replayed() -> bool:
        return bool(await asyncio.to_thread(lambda: connection.llen("rq:queue:hotline.replies") == 1))

    await _until(replayed)
    assert [e.channel for e in queued_events(connection)] == ["ivr", "hotline12345"]


def test_writes_survive_the_spool_unchanged(tmp_path: Path) -> None:
    writes = Writes(
        jobs=(
            JobSpec("q", "m.f", {"text": "公交", "n": 1}, "id-1", "d", (5, 15), datetime(2026, 11, 29, 9, tzinfo=UTC)),
        ),
        keys=(KeyWrite("k", b"\x00\xffreply", 60),),
        deletes=("gone",),
        pushes=(ListPush("list", b"item", 5, 90),),
        unschedule=(("q", "held"),),
    )
    assert _decode(json.loads(json.dumps(_encode(writes)))) == writes
    spool = Spool(tmp_path / "spool.sqlite3", "0001")
    spool.add(writes, unique="k")
    with pytest.raises(AlreadySpooled) as first:
        spool.add(Writes(keys=(KeyWrite("k", b"second", 60),)), unique="k")
    assert first.value.value == b"\x00\xffreply"
    assert spool.depth() == 1
    assert spool.oldest(10) == [(1, writes)]
    assert spool.next_ticket_no("20261129") == "12328-20261129-90001000001"
    assert spool.next_ticket_no("20261129") == "12328-20261129-90001000002"
    assert spool.use_nonce("app:n1", 600, now=0.0)
    assert not spool.use_nonce("app:n1", 600, now=1.0)
    assert spool.use_nonce("app:n1", 600, now=601.0)  # expired, usable again
    spool.close()


def test_the_spool_counts_are_shared_by_processes_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    one, other = Spool(path, "0001"), Spool(path, "0002")  # two gateway processes on one data dir
    for n in range(3):
        one.add(Writes(keys=(KeyWrite(f"k{n}", b"reply", 60),)))
    (seq, _), *_ = other.oldest(10)
    other.remove(seq)
    one.remove(seq)  # both replayers got to the same entry: it was replayed once
    assert one.totals() == other.totals() == SpoolTotals(depth=2, spooled=3, replayed=1)
    one.close()
    other.close()
    assert Spool(path, "0001").totals() == SpoolTotals(depth=2, spooled=3, replayed=1)


async def test_a_wechat_message_in_an_outage_gets_its_ticket_number(
    make_settings: Any, start_gateway: Any, own_redis: RedisProcess
) -> None:
    from tests.wechat_support import WeChat, wechat_settings

    client = await start_gateway(wechat_settings(make_settings, redis_url=own_redis.url))
    wechat = WeChat(client)
    own_redis.kill()
    status, text = await wechat.text(
        "出租车司机拒载，车牌粤A12345，今天上午9点在广州南站。", msg_id="6100000000000000001"
    )
    assert status == 200
    [ticket_no] = re.findall(r"12328-\d{8}-\d+", text)
    assert SPOOLED_NUMBER.match(ticket_no)
    retry = await wechat.text("出租车司机拒载，车牌粤A12345，今天上午9点在广州南站。", msg_id="6100000000000000001")
    assert retry == (200, text)  # WeChat's retry: the same answer, no second ticket

    own_redis.start()
    connection = redis.Redis.from_url(own_redis.url)

    async def replayed() -> bool:
        return bool(await asyncio.to_thread(lambda: len(queued_events(connection)) == 1))

    await _until(replayed)
    assert queued_events(connection)[0].ticket_no == ticket_no

"""Supplements (`TicketSupplement`) enqueued as the gateway does, a worker in burst mode, and a
real HTTP server standing in for the ticketing core — or, with none, the local ticket store and the
admin pages."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from domain import TicketEvent, TicketSupplement
from gateway.enqueue import BatchingEnqueuer, JobSpec, Writes
from gateway.settings import Settings
from queue_workers.forward import FAILURE_META_KEY, FORWARD_SUPPLEMENT, FORWARD_TICKET
from queue_workers.settings import FORWARD_QUEUE
from tests.conftest import GatewayStarter
from tests.event_factory import make_event
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.forwarding_support import assert_queue_empty, core_settings, drain, failed
from tests.supplement_factory import make_supplement

pytestmark = pytest.mark.e2e

PHONE = "13800138000"
NAME = "张三"
BEARER = {"Authorization": "Bearer admin-token-for-tests"}
JSON = {**BEARER, "Accept": "application/json"}


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.INFO)
    yield
    records = caplog.get_records("call")
    assert any(r.name.startswith("queue_workers.") for r in records)
    logged = "\n".join(logging.Formatter().format(record) for record in records)
    assert PHONE not in logged
    assert NAME not in logged


@pytest.fixture
async def enqueuer(redis_client: redis.Redis) -> AsyncIterator[BatchingEnqueuer]:
    """The gateway's own enqueuer (gateway/enqueue.py), so the jobs are exactly what it writes."""
    batching = BatchingEnqueuer(redis_client)
    batching.start()
    yield batching
    await batching.stop()


async def _enqueue(enqueuer: BatchingEnqueuer, settings: Settings, *events: TicketEvent | TicketSupplement) -> None:
    """As the gateway enqueues them: forwarding queue, job id = event_id, the forwarding schedule."""
    jobs = tuple(
        JobSpec(
            queue=FORWARD_QUEUE,
            func=FORWARD_TICKET if isinstance(event, TicketEvent) else FORWARD_SUPPLEMENT,
            payload=event.to_json_dict(),
            job_id=str(event.event_id),
            description=f"forward {event.ticket_no}",
            retry_schedule=tuple(settings.forward_retry_schedule),
        )
        for event in events
    )
    await enqueuer.write(Writes(jobs=jobs))


async def test_a_supplement_reaches_the_core_once_signed(
    make_settings: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis, enqueuer: BatchingEnqueuer
) -> None:
    settings = core_settings(make_settings, ticket_core)
    ticket = make_event(1)
    supplement = make_supplement(1, content={"text": "补充：司机工号 88231。", "attachments": []}, kind="text")
    await _enqueue(enqueuer, settings, ticket, supplement)
    await _enqueue(enqueuer, settings, supplement)  # the same job id again, before any worker ran

    assert await drain(settings) is True
    await _enqueue(enqueuer, settings, supplement)  # and again once it was delivered
    await drain(settings)

    assert len(ticket_core.received) == 2
    (delivered,) = ticket_core.supplements
    assert delivered.signature_ok
    assert delivered.key_matches
    assert delivered.headers["Idempotency-Key"] == str(supplement.event_id)
    assert delivered.headers["Content-Type"] == "application/json"
    assert delivered.body == json.dumps(supplement.to_json_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    assert delivered.event["schema"] == "hotline.ticket-supplement/v1"
    assert delivered.event["ticket_no"] == ticket.ticket_no
    assert "司机工号".encode() in delivered.body
    assert [r.event["schema"] for r in ticket_core.received].count("hotline.ticket-event/v1") == 1
    assert failed(redis_client).count == 0
    assert_queue_empty(redis_client)


async def test_a_supplement_is_retried_on_server_errors_like_a_ticket(
    make_settings: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis, enqueuer: BatchingEnqueuer
) -> None:
    settings = core_settings(make_settings, ticket_core)
    ticket_core.answer(500, 503)
    supplement = make_supplement(1)
    await _enqueue(enqueuer, settings, supplement)

    await drain(settings)

    assert [r.answered for r in ticket_core.received] == [500, 503, 200]
    assert len({r.headers["Idempotency-Key"] for r in ticket_core.received}) == 1
    assert all(r.signature_ok for r in ticket_core.received)
    assert failed(redis_client).count == 0


async def test_a_refused_supplement_fails_at_once_with_the_answer_kept(
    make_settings: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis, enqueuer: BatchingEnqueuer
) -> None:
    settings = core_settings(make_settings, ticket_core)
    ticket_core.answer(Answer(status=422, body='{"error": "unknown_ticket"}'))
    supplement = make_supplement(1, ticket=99)
    await _enqueue(enqueuer, settings, supplement)

    await drain(settings)

    assert len(ticket_core.received) == 1  # the retry schedule [0, 0, 0] was not used
    assert failed(redis_client).get_job_ids() == [str(supplement.event_id)]
    job = Job.fetch(str(supplement.event_id), connection=redis_client, serializer=JSONSerializer)
    assert job.meta[FAILURE_META_KEY]["status"] == 422
    assert job.meta[FAILURE_META_KEY]["body"] == '{"error": "unknown_ticket"}'
    result = job.latest_result()
    assert result is not None
    assert "PermanentDeliveryError: ticket core answered 422" in (result.exc_string or "")
    assert_queue_empty(redis_client)


async def test_a_ticket_event_sent_as_a_supplement_fails_at_once(
    make_settings: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    event = make_event(1)
    Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).enqueue(
        FORWARD_SUPPLEMENT, event.to_json_dict(), job_id="wrong-kind", result_ttl=0
    )

    await drain(settings)

    assert ticket_core.received == []
    assert failed(redis_client).get_job_ids() == ["wrong-kind"]
    result = Job.fetch("wrong-kind", connection=redis_client, serializer=JSONSerializer).latest_result()
    assert result is not None
    assert "InvalidTicketSupplement: payload is not a valid TicketSupplement" in (result.exc_string or "")


async def test_without_a_core_supplements_wait_for_their_ticket_on_the_admin_page(
    settings: Settings, start_gateway: GatewayStarter, redis_client: redis.Redis, enqueuer: BatchingEnqueuer
) -> None:
    assert settings.ticket_core_url is None
    client = await start_gateway(settings)
    ticket = make_event(1)
    photo = make_supplement(
        1,
        content={
            "attachments": [
                {
                    "kind": "image",
                    "url": "https://media.example/1/plate.jpg",
                    "name": "车牌.jpg",
                    "size": 2048,
                },
                {"kind": "voice", "url": "javascript:alert(1)", "name": "语音"},
                {"kind": "video", "media_id": "MEDIA-7788"},
            ]
        },
    )
    place = make_supplement(
        2, kind="location", content={"location": {"lat": 23.0, "lng": 113.27, "label": "广州南站东广场"}}
    )
    answer = make_supplement(3, kind="answer", content={"text": "<script>x</script>昨晚八点，车牌粤A12345。"})
    # The supplements come first, the last one before the others (the core may see them so, too).
    await _enqueue(enqueuer, settings, answer)
    await _enqueue(enqueuer, settings, photo, place)
    await drain(settings)

    waiting = await client.get(f"/admin/tickets/{ticket.ticket_no}", headers=BEARER)
    assert waiting.status == 404
    assert "已收到该工单的 3 条补充材料" in await waiting.text()
    assert (await client.get(f"/admin/tickets/{ticket.ticket_no}", headers=JSON)).status == 404

    await _enqueue(enqueuer, settings, ticket, photo)  # the photo again: stored once
    await drain(settings)

    page = await client.get(f"/admin/tickets/{ticket.ticket_no}", headers=BEARER)
    assert page.status == 200
    html = await page.text()
    assert "补充材料（3）" in html
    order = [html.index(marker) for marker in ("补充图片/音视频", "补充位置", "补充信息（答复追问）")]
    assert order == sorted(order)  # in the order the citizen sent them
    assert '<a href="https://media.example/1/plate.jpg" rel="noopener noreferrer" target="_blank">车牌.jpg</a>' in html
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # shown as text
    assert "媒体 ID MEDIA-7788" in html
    assert "广州南站东广场" in html
    assert "23.0, 113.27" in html
    assert "&lt;script&gt;x&lt;/script&gt;昨晚八点" in html
    assert "<script>x" not in html
    assert re.search(r"2026-11-28 09:0[234]:00 \+0800", html)

    detail = await client.get(f"/admin/tickets/{ticket.ticket_no}", headers=JSON)
    data = await detail.json()
    assert data["event"]["event_id"] == str(ticket.event_id)
    assert [s["event"]["event_id"] for s in data["supplements"]] == [
        str(photo.event_id),
        str(place.event_id),
        str(answer.event_id),
    ]
    assert data["supplements"][2]["event"]["schema"] == "hotline.ticket-supplement/v1"
    assert data["supplements"][2]["event"]["citizen"]["phone"] == PHONE  # operators call back
    assert all("stored_at" in s for s in data["supplements"])
    assert failed(redis_client).count == 0
    assert_queue_empty(redis_client)


async def test_a_ticket_without_supplements_says_so(
    settings: Settings, start_gateway: GatewayStarter, enqueuer: BatchingEnqueuer
) -> None:
    client = await start_gateway(settings)
    ticket = make_event(1)
    await _enqueue(enqueuer, settings, ticket)
    await drain(settings)

    html = await (await client.get(f"/admin/tickets/{ticket.ticket_no}", headers=BEARER)).text()
    assert "补充材料（0）" in html
    assert "无补充材料" in html
    data = await (await client.get(f"/admin/tickets/{ticket.ticket_no}", headers=JSON)).json()
    assert data["supplements"] == []

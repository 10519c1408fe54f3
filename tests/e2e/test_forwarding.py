"""Submissions through the app channel, a forwarding worker in burst mode, and a real HTTP server
standing in for the ticketing core (or, with no core configured, the local ticket store)."""

from __future__ import annotations

import json
import logging
import re
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from queue_workers.forward import FAILURE_META_KEY
from queue_workers.settings import FORWARD_QUEUE
from queue_workers.ticket_store import TicketStore
from tests.conftest import TICKET_CORE_SECRET, GatewayStarter, signed_headers
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.forwarding_support import assert_queue_empty, core_settings, drain, failed
from tests.webform_support import hidden_fields

pytestmark = pytest.mark.e2e

PHONE = "13800138000"
NAME = "张三"
BEARER = {"Authorization": "Bearer admin-token-for-tests"}


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """第七条: whatever happens below, the worker's and RQ's log lines carry no name or phone."""
    caplog.set_level(logging.INFO)
    yield
    records = caplog.get_records("call")
    assert any(r.name.startswith("queue_workers.") for r in records)  # the worker's own lines are in
    formatter = logging.Formatter()
    logged = "\n".join(formatter.format(record) for record in records)
    assert PHONE not in logged
    assert NAME not in logged


def _message(**overrides: Any) -> bytes:
    body: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "user_id": "u-1001",
        "text": "出租车司机拒载，车牌粤A12345，昨天晚上八点在广州南站。",
        "category": "complaint",
        "domain": "urban_transit",
        "contact": {"name": NAME, "phone": "+86 138 0013 8000"},
    }
    body.update(overrides)
    return json.dumps(body, ensure_ascii=False).encode()


async def _submit(client: TestClient[Any, Any], body: bytes | None = None) -> dict[str, Any]:
    body = body or _message()
    response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
    assert response.status == 200, await response.text()
    reply: dict[str, Any] = await response.json()
    return reply


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_each_submission_reaches_the_core_once_signed(
    make_settings: Any, start_gateway: GatewayStarter, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    first = _message()
    replies = [await _submit(client, first), await _submit(client), await _submit(client)]
    repeat = await _submit(client, first)  # same request_id: the first reply again, no new event
    assert repeat["duplicate"] is True
    assert repeat["ticket_no"] == replies[0]["ticket_no"]

    assert await drain(settings) is True

    received = ticket_core.received
    assert len(received) == 3
    assert sorted(r.event["ticket_no"] for r in received) == sorted(r["ticket_no"] for r in replies)
    for request in received:
        assert request.signature_ok
        assert request.key_matches
        assert request.headers["Idempotency-Key"] == request.event["event_id"]
        assert request.headers["Content-Type"] == "application/json"
        # Exactly the signed bytes: compact UTF-8 JSON, Chinese not escaped.
        assert request.body == json.dumps(request.event, ensure_ascii=False, separators=(",", ":")).encode()
        assert "出租车司机拒载".encode() in request.body
        event = request.event
        assert event["schema"] == "hotline.ticket-event/v1"
        assert event["channel"] == "app"
        assert event["decision"] == "accepted"
        assert event["category"] == "complaint"
        assert event["domain"] == "urban_transit"
        assert event["citizen"] == {"channel_user_id": "u-1001", "name": NAME, "phone": PHONE}
        assert event["routing"]["region_code"] == "440100"
        assert event["source"]["app_key_id"] == "test-app"
    assert len({r.headers["Idempotency-Key"] for r in received}) == 3
    assert failed(redis_client).count == 0
    assert_queue_empty(redis_client)
    # Nothing is left for a second worker to deliver again.
    assert await drain(settings) is False
    assert len(ticket_core.received) == 3


async def test_server_error_is_retried_and_delivered_once(
    make_settings: Any, start_gateway: GatewayStarter, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    ticket_core.answer(500, 503)
    reply = await _submit(client)

    await drain(settings)

    assert [r.answered for r in ticket_core.received] == [500, 503, 200]
    assert len(ticket_core.accepted) == 1
    assert {r.event["ticket_no"] for r in ticket_core.received} == {reply["ticket_no"]}
    # Every attempt is the same event under the same key, each freshly and validly signed.
    assert len({r.headers["Idempotency-Key"] for r in ticket_core.received}) == 1
    assert len({r.body for r in ticket_core.received}) == 1
    assert all(r.signature_ok for r in ticket_core.received)
    assert failed(redis_client).count == 0
    assert_queue_empty(redis_client)


async def test_timeout_is_retried(
    make_settings: Any,
    start_gateway: GatewayStarter,
    ticket_core: FakeTicketCore,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = core_settings(make_settings, ticket_core, ticket_core_timeout_s=0.5)
    client = await start_gateway(settings)
    ticket_core.answer(Answer(status=200, delay_s=1.0))
    await _submit(client)

    await drain(settings)

    assert len(ticket_core.received) == 2
    assert len({r.headers["Idempotency-Key"] for r in ticket_core.received}) == 1
    assert "ticket core timed out" in caplog.text
    assert failed(redis_client).count == 0
    assert_queue_empty(redis_client)


async def test_unprocessable_is_not_retried_and_the_answer_is_kept(
    make_settings: Any, start_gateway: GatewayStarter, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    answer = '{"error": "unknown_region", "detail": "区划代码无效"' + " " * 6000 + ', "tail": "END-OF-BODY"}'
    ticket_core.answer(Answer(status=422, body=answer))
    reply = await _submit(client)

    await drain(settings)

    assert len(ticket_core.received) == 1  # the retry schedule [0, 0, 0] was not used
    event_id = ticket_core.received[0].event["event_id"]
    assert failed(redis_client).get_job_ids() == [event_id]
    job = Job.fetch(event_id, connection=redis_client, serializer=JSONSerializer)
    assert job.get_status() == "failed"
    assert job.args[0]["ticket_no"] == reply["ticket_no"]  # the event stays for a requeue
    result = job.latest_result()
    assert result is not None
    failure_text = result.exc_string or ""
    assert "PermanentDeliveryError: ticket core answered 422" in failure_text
    assert "区划代码无效" in failure_text
    assert "[truncated]" in failure_text
    assert "END-OF-BODY" not in failure_text  # kept to a few KB
    failure = job.meta[FAILURE_META_KEY]
    assert failure["status"] == 422
    assert failure["body"].startswith('{"error": "unknown_region"')
    assert len(failure["body"].encode()) <= 4096 + len(" [truncated]")
    assert_queue_empty(redis_client)


async def test_conflict_counts_as_delivered(
    make_settings: Any, start_gateway: GatewayStarter, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    ticket_core.answer(409)
    await _submit(client)

    await drain(settings)

    assert [r.answered for r in ticket_core.received] == [409]
    assert failed(redis_client).count == 0
    assert_queue_empty(redis_client)


async def test_refused_connection_is_retried_until_the_schedule_ends(
    make_settings: Any,
    start_gateway: GatewayStarter,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(
        ticket_core_url=f"http://127.0.0.1:{_closed_port()}/api/tickets",
        ticket_core_secret=TICKET_CORE_SECRET,
    )
    client = await start_gateway(settings)
    await _submit(client)

    await drain(settings)

    attempts = [
        r for r in caplog.records if r.name == "queue_workers.delivery" and "ticket core unreachable" in r.getMessage()
    ]
    assert len(attempts) == 1 + len(settings.forward_retry_schedule)
    assert [r.getMessage().rsplit("; ", 1)[1] for r in attempts] == [
        "3 retries left",
        "2 retries left",
        "1 retries left",
        "no retries left",
    ]
    (job_id,) = failed(redis_client).get_job_ids()
    job = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)
    assert job.retries_left == 0
    result = job.latest_result()
    assert result is not None
    assert "TransientDeliveryError: ticket core unreachable after" in (result.exc_string or "")
    assert "ConnectError" in (result.exc_string or "")
    assert_queue_empty(redis_client)


async def test_a_payload_that_is_no_ticket_event_fails_at_once(
    make_settings: Any, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    queue.enqueue(
        "queue_workers.forward.forward_ticket",
        {"schema": "hotline.ticket-event/v1", "ticket_no": "garbage"},
        job_id="not-an-event",
        retry=Retry(max=3),
    )

    await drain(settings)

    assert ticket_core.received == []
    assert failed(redis_client).get_job_ids() == ["not-an-event"]
    result = Job.fetch("not-an-event", connection=redis_client, serializer=JSONSerializer).latest_result()
    assert result is not None
    assert "InvalidTicketEvent: payload is not a valid TicketEvent" in (result.exc_string or "")
    assert_queue_empty(redis_client)


async def test_without_a_core_events_land_in_the_local_store_and_the_admin_pages(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    settings = make_settings()
    assert settings.ticket_core_url is None
    client = await start_gateway(settings)
    first = await _submit(client)
    second = await _submit(client, _message(text="网约车绕路多收费，请核查。", category="complaint"))

    assert await drain(settings) is True

    store = TicketStore(settings.ticket_store_path)
    try:
        assert store.count() == 2
        stored = store.get(first["ticket_no"])
        assert stored is not None
        assert stored.event.citizen.phone == PHONE
    finally:
        store.close()

    listing = await client.get("/admin/tickets", headers=BEARER)
    assert listing.status == 200
    assert listing.content_type == "text/html"
    html = await listing.text()
    assert first["ticket_no"] in html
    assert second["ticket_no"] in html
    assert html.index(second["ticket_no"]) < html.index(first["ticket_no"])  # newest first
    assert "移动应用" in html

    as_json = await client.get("/admin/tickets", headers={**BEARER, "Accept": "application/json"})
    assert as_json.status == 200
    data = await as_json.json()
    assert data["forwarding"] == "local_store"
    assert data["total"] == 2
    assert [t["event"]["ticket_no"] for t in data["tickets"]] == [second["ticket_no"], first["ticket_no"]]

    detail = await client.get(f"/admin/tickets/{first['ticket_no']}", headers=BEARER)
    assert detail.status == 200
    page = await detail.text()
    assert PHONE in page  # operators call citizens back
    assert NAME in page
    assert "出租车司机拒载" in page
    assert "原始事件 JSON" in page

    detail_json = await client.get(
        f"/admin/tickets/{first['ticket_no']}", headers={**BEARER, "Accept": "application/json"}
    )
    event = (await detail_json.json())["event"]
    assert event["ticket_no"] == first["ticket_no"]
    assert event["citizen"]["phone"] == PHONE


async def test_a_redelivered_job_is_stored_once(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    settings = make_settings()
    client = await start_gateway(settings)
    reply = await _submit(client)
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    (job,) = queue.jobs
    payload = job.args[0]
    await drain(settings)
    # The same event again, as after a worker died between the insert and the job's completion.
    queue.enqueue("queue_workers.forward.forward_ticket", payload, job_id=str(uuid.uuid4()))
    await drain(settings)

    store = TicketStore(settings.ticket_store_path)
    try:
        assert store.count() == 1
        assert store.get(reply["ticket_no"]) is not None
    finally:
        store.close()
    assert failed(redis_client).count == 0


async def test_both_channels_reach_the_core_once_each(
    make_settings: Any, start_gateway: GatewayStarter, ticket_core: FakeTicketCore, redis_client: redis.Redis
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    app_reply = await _submit(client)

    page = await client.get("/form")
    token, request_id = hidden_fields(await page.text())
    form = {
        "csrf_token": token,
        "request_id": request_id,
        "category": "suggestion",
        "domain": "highway",
        "description": "建议在G15沈海高速广州段增加服务区的充电桩数量，节假日排队太久。",
        "name": "",
        "phone": "",
        "place": "G15沈海高速",
        "occurred_at": "",
    }
    posted = await client.post("/form", data=form)
    assert posted.status == 200, await posted.text()
    form_ticket = re.search(r"12328-\d{8}-\d{6}", await posted.text())
    assert form_ticket is not None
    again = await client.post("/form", data=form)  # a double tap on "submit": same ticket, no new event
    assert form_ticket.group(0) in await again.text()

    assert await drain(settings) is True
    by_ticket = {received.event["ticket_no"]: received for received in ticket_core.received}
    assert set(by_ticket) == {app_reply["ticket_no"], form_ticket.group(0)}
    assert len(ticket_core.received) == 2
    assert all(received.signature_ok and received.key_matches for received in ticket_core.received)
    webform_event = by_ticket[form_ticket.group(0)].event
    assert (webform_event["channel"], webform_event["category"], webform_event["domain"]) == (
        "webform",
        "suggestion",
        "highway",
    )
    assert webform_event["idempotency_key"] == request_id
    assert_queue_empty(redis_client)

"""`POST /channels/ivr/calls`: generic IVR call records through the real pipeline on real Redis."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
import redis

from normalizers.ivr import AGENT_NOTES_HEADING, NO_TRANSCRIPT
from tests.forwarding_support import queued_events, queued_supplements, queued_tickets
from tests.ivr_support import (
    CALLS,
    IVR_ID,
    IVR_TOKEN,
    OTHER_IVR_ID,
    OTHER_IVR_TOKEN,
    as_json,
    basic,
    bearer,
    call_record,
    ivr_settings,
    post_call,
)


@pytest.fixture
async def ivr(make_settings: Any, start_gateway: Any) -> Any:
    return await start_gateway(ivr_settings(make_settings))


async def test_a_call_becomes_one_accepted_non_interactive_ticket(ivr: Any, redis_client: redis.Redis) -> None:
    response = await post_call(ivr, call_record())
    assert response.status == 200, await response.text()
    reply = await response.json()
    assert reply["decision"] == "accepted"
    assert (reply["category"], reply["domain"]) == ("complaint", "urban_transit")
    assert reply["duplicate"] is False
    [event] = queued_events(redis_client)
    assert event.ticket_no == reply["ticket_no"]
    assert event.channel == "ivr"
    assert event.idempotency_key == f"{IVR_ID}:c-20261129-0001"
    assert event.received_at.isoformat() == "2026-11-30T09:00:00+08:00"
    assert event.citizen.phone == "13800138000"
    assert event.content.text.endswith(AGENT_NOTES_HEADING + "来电人要求退还多收车费。")
    assert event.source.call_id == "c-20261129-0001"
    assert event.source.platform == IVR_ID
    assert event.source.recording is not None
    assert event.deadlines is not None
    assert event.deadlines.transfer_by.isoformat() == "2026-12-01T09:00:00+08:00"


async def test_a_complaint_missing_facts_is_accepted_with_the_list_never_asked(ivr: Any) -> None:
    record = call_record(transcript="我要投诉一个出租车司机，态度太差了。", agent_notes=None, menu_path="2")
    reply = await (await post_call(ivr, record)).json()
    assert reply["decision"] == "accepted"
    assert reply["missing_facts"]


async def test_a_call_without_transcript_keeps_its_recording(ivr: Any, redis_client: redis.Redis) -> None:
    record = call_record(transcript=None, agent_notes=None, disposition="voicemail")
    reply = await (await post_call(ivr, record)).json()
    assert reply["decision"] == "accepted"
    [event] = queued_events(redis_client)
    assert event.content.text == NO_TRANSCRIPT
    assert [(a.kind, a.url) for a in event.content.attachments] == [("recording", "https://ivr.example/rec/c-0001.wav")]


async def test_an_abandoned_call_without_content_is_a_callback(ivr: Any, redis_client: redis.Redis) -> None:
    record = call_record(
        disposition="abandoned", answered_at=None, recording=None, transcript=None, agent_notes=None, menu_path="2"
    )
    reply = await (await post_call(ivr, record)).json()
    assert reply["decision"] == "callback"
    assert "回电" in reply["message"]
    [event] = queued_events(redis_client)
    assert event.decision == "callback"
    assert event.category == "complaint"  # what the caller chose before hanging up
    assert event.citizen.phone == "13800138000"
    assert event.routing.region_code == "440100"
    assert event.deadlines is None


async def test_a_self_service_call_without_content_is_archived_as_answered(ivr: Any, redis_client: redis.Redis) -> None:
    record = call_record(disposition="self_service", recording=None, transcript=None, agent_notes=None, menu_path="1")
    reply = await (await post_call(ivr, record)).json()
    assert reply["decision"] == "answered"
    [event] = queued_events(redis_client)
    assert (event.decision, event.answer) == ("answered", None)


async def test_a_repeated_record_is_a_duplicate(ivr: Any, redis_client: redis.Redis) -> None:
    first = await (await post_call(ivr, call_record())).json()
    again = await (await post_call(ivr, call_record(vendor_field="ignored"))).json()
    assert again["duplicate"] is True
    assert again["ticket_no"] == first["ticket_no"]
    assert len(queued_events(redis_client)) == 1


async def test_pieces_of_a_call_make_one_ticket_and_supplements(ivr: Any, redis_client: redis.Redis) -> None:
    cdr = call_record(transcript=None, agent_notes=None)
    transcription = call_record(agent_notes=None)
    notes = call_record(transcript=None, recording=None)
    opened = await (await post_call(ivr, cdr)).json()
    joined = await (await post_call(ivr, transcription)).json()
    noted = await (await post_call(ivr, notes)).json()
    retried = await (await post_call(ivr, transcription)).json()
    assert opened["ticket_no"] == joined["ticket_no"] == noted["ticket_no"] == retried["ticket_no"]
    assert [joined["duplicate"], noted["duplicate"], retried["duplicate"]] == [False, False, True]
    assert len(queued_tickets(redis_client)) == 1
    supplements = queued_supplements(redis_client)
    assert [s.kind for s in supplements] == ["transcript", "text"]
    assert supplements[0].ticket_no == opened["ticket_no"]
    assert supplements[0].content.text.startswith("我昨天晚上八点")
    assert supplements[0].source.call_id == "c-20261129-0001"


async def test_a_piece_with_nothing_new_forwards_nothing(ivr: Any, redis_client: redis.Redis) -> None:
    opened = await (await post_call(ivr, call_record())).json()
    status = call_record(recording=None, transcript=None, agent_notes=None)
    reply = await (await post_call(ivr, status)).json()
    assert reply["ticket_no"] == opened["ticket_no"]
    assert len(queued_events(redis_client)) == 1


async def test_racing_pieces_of_one_call_make_one_ticket(ivr: Any, redis_client: redis.Redis) -> None:
    cdr = call_record(transcript=None, agent_notes=None)
    transcription = call_record(agent_notes=None)
    responses = await asyncio.gather(*[post_call(ivr, cdr) for _ in range(8)], post_call(ivr, transcription))
    replies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {200}
    assert len({r["ticket_no"] for r in replies}) == 1
    assert len(queued_tickets(redis_client)) == 1
    assert len(queued_supplements(redis_client)) == 1  # whichever piece came second
    assert sum(not r["duplicate"] for r in replies) == 2


async def test_calls_of_two_ivrs_with_the_same_id_are_two_tickets(ivr: Any, redis_client: redis.Redis) -> None:
    first = await (await post_call(ivr, call_record())).json()
    second = await (await post_call(ivr, call_record(), bearer(OTHER_IVR_TOKEN))).json()
    assert first["ticket_no"] != second["ticket_no"]
    assert {e.source.platform for e in queued_events(redis_client)} == {IVR_ID, OTHER_IVR_ID}


async def test_basic_auth_with_the_token_as_password(ivr: Any, redis_client: redis.Redis) -> None:
    response = await post_call(ivr, call_record(), basic(OTHER_IVR_ID, OTHER_IVR_TOKEN))
    assert response.status == 200
    response = await post_call(ivr, call_record(call_id="c-2"), basic("freeswitch", IVR_TOKEN))
    assert response.status == 200
    assert [e.source.platform for e in queued_events(redis_client)] == [OTHER_IVR_ID, IVR_ID]


async def test_the_menu_is_the_centres(make_settings: Any, start_gateway: Any, redis_client: redis.Redis) -> None:
    menu = {"9": {"category": "suggestion", "domain": "waterway"}}
    gateway = await start_gateway(ivr_settings(make_settings, ivr_menu=menu))
    record = call_record(menu_path="9-4", transcript="建议轮渡码头增加候船座椅。", agent_notes=None)
    reply = await (await post_call(gateway, record)).json()
    assert (reply["category"], reply["domain"]) == ("suggestion", "waterway")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer wrong-token-0123456789"}, "bad_token"),
        ({"Authorization": "Basic !!!"}, "bad_token"),
        (basic(IVR_ID, "wrong-token-0123456789"), "bad_token"),
        (basic(IVR_ID, ""), "bad_token"),
        ({"Authorization": f"Token {IVR_TOKEN}"}, "missing_token"),
    ],
)
async def test_wrong_or_missing_tokens(ivr: Any, redis_client: redis.Redis, headers: dict[str, str], code: str) -> None:
    response = await post_call(ivr, call_record(), headers or {"X-Nothing": "1"})
    assert response.status == 401
    assert (await response.json())["error"] == code
    assert queued_events(redis_client) == []


BAD_BODIES: list[tuple[str, bytes, str, int, str]] = [
    ("malformed json", b'{"call_id": ', "application/json", 400, "malformed_json"),
    ("invalid utf-8", b'{"call_id": "\xff"}', "application/json", 400, "malformed_json"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "malformed_json"),
    ("not an object", b"[]", "application/json", 400, "malformed_json"),
    ("xml", b"<call/>", "text/xml", 415, "unsupported_media_type"),
    ("no start time", as_json(call_record(started_at=None)), "application/json", 422, "invalid_payload"),
    ("naive time", as_json(call_record(started_at="2026-11-30T09:00:00")), "application/json", 422, "invalid_payload"),
    (
        "ends before it starts",
        as_json(call_record(ended_at="2026-11-30T08:00:00+08:00")),
        "application/json",
        422,
        "invalid_payload",
    ),
    ("path in call id", as_json(call_record(call_id="../../etc/passwd")), "application/json", 422, "invalid_payload"),
    ("bad disposition", as_json(call_record(disposition="hung_up")), "application/json", 422, "invalid_payload"),
    ("bad menu path", as_json(call_record(menu_path="2;DROP")), "application/json", 422, "invalid_payload"),
    (
        "file url recording",
        as_json(call_record(recording={"url": "file:///etc/passwd"})),
        "application/json",
        422,
        "invalid_payload",
    ),
    ("transcript too long", as_json(call_record(transcript="长" * 20001)), "application/json", 422, "invalid_payload"),
]


@pytest.mark.parametrize(("name", "body", "content_type", "status", "code"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_bad_bodies(
    ivr: Any, redis_client: redis.Redis, name: str, body: bytes, content_type: str, status: int, code: str
) -> None:
    response = await ivr.post(CALLS, data=body, headers={"Content-Type": content_type, **bearer()})
    assert response.status == status, await response.text()
    payload = await response.json()
    assert payload["error"] == code
    assert payload["message"]
    assert queued_events(redis_client) == []


async def test_oversized_body_is_refused(ivr: Any, redis_client: redis.Redis) -> None:
    body = as_json(call_record(transcript="长" * 400_000))
    response = await ivr.post(CALLS, data=io.BytesIO(body), headers={"Content-Type": "application/json", **bearer()})
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"
    assert queued_events(redis_client) == []


async def test_not_served_unless_enabled(client: Any) -> None:
    response = await client.post(CALLS, data=as_json(call_record()), headers=bearer(IVR_TOKEN))
    assert response.status == 404


def test_ivr_needs_tokens(make_settings: Any) -> None:
    from channels import ChannelConfigError, ChannelServices
    from gateway.app import build_channels

    settings = make_settings(channels=["ivr"])
    with pytest.raises(ChannelConfigError, match="HOTLINE_IVR_TOKENS"):
        build_channels(settings, ChannelServices(nonces=None, signer=None))  # type: ignore[arg-type]

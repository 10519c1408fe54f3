"""`POST /channels/ivr/twilio`: Twilio's callbacks of one call, signed by Twilio's own
`RequestValidator`, through the real pipeline on real Redis."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]  # twilio ships no types

from channels.ivr import EMPTY_TWIML
from tests.forwarding_support import queued_events, queued_supplements, queued_tickets
from tests.ivr_support import ivr_settings
from tests.twilio_samples import (
    CALL_SID,
    DIAL_NO_ANSWER,
    GATHER,
    INCOMING,
    RECORD_ACTION,
    RECORDING_STATUS,
    RECORDING_URL,
    STATUS_ANSWERED,
    STATUS_COMPLETED,
    TOKEN,
    TRANSCRIPTION,
)

PUBLIC_URL = "https://hotline.example.gov.cn"
PATH = "/channels/ivr/twilio"


@pytest.fixture
async def gateway(make_settings: Any, start_gateway: Any) -> Any:
    return await start_gateway(ivr_settings(make_settings, twilio_auth_token=TOKEN, public_url=PUBLIC_URL))


async def post(client: Any, params: dict[str, str], *, query: str = "", signature: str | None = None) -> Any:
    """The callback as Twilio sends it: form-encoded, signed over the public URL it was given."""
    path = PATH + (f"?{query}" if query else "")
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, params)
    return await client.post(
        path,
        data=urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )


async def test_a_voicemail_call_is_one_ticket_with_its_transcript(gateway: Any, redis_client: redis.Redis) -> None:
    for params in (INCOMING, STATUS_ANSWERED, GATHER, GATHER):
        response = await post(gateway, params)
        assert response.status == 200
        assert await response.text() == EMPTY_TWIML
    assert queued_events(redis_client) == []  # nothing to file while the call is going

    for params in (RECORD_ACTION, RECORDING_STATUS, STATUS_COMPLETED, TRANSCRIPTION, TRANSCRIPTION):
        response = await post(gateway, params)
        assert response.status == 200, await response.text()

    [ticket] = queued_tickets(redis_client)
    assert ticket.idempotency_key == f"twilio:{CALL_SID}"
    assert ticket.citizen.phone == "13800138000"
    assert ticket.category == "complaint"  # pressed 2 at the menu, before the message
    assert ticket.decision == "accepted"
    assert [a.url for a in ticket.content.attachments] == [RECORDING_URL]
    [transcript] = queued_supplements(redis_client)
    assert transcript.kind == "transcript"
    assert transcript.ticket_no == ticket.ticket_no
    assert transcript.content.text.startswith("我在火车站打的出租车")


async def test_a_call_nobody_answered_is_a_callback(gateway: Any, redis_client: redis.Redis) -> None:
    no_answer = {**STATUS_COMPLETED, "CallStatus": "no-answer", "CallDuration": "0"}
    assert (await post(gateway, no_answer)).status == 200
    [event] = queued_events(redis_client)
    assert event.decision == "callback"
    assert event.citizen.phone == "13800138000"


async def test_an_agent_who_never_answered_leaves_a_callback_then_the_voicemail_joins(
    gateway: Any, redis_client: redis.Redis
) -> None:
    for params in (GATHER, DIAL_NO_ANSWER, RECORD_ACTION, STATUS_COMPLETED):
        assert (await post(gateway, params)).status == 200
    [ticket] = queued_tickets(redis_client)
    assert ticket.decision == "callback"
    assert ticket.category == "complaint"
    [voicemail] = queued_supplements(redis_client)
    assert voicemail.kind == "media"
    assert [a.url for a in voicemail.content.attachments] == [RECORDING_URL]


async def test_the_query_string_is_signed_as_sent(gateway: Any, redis_client: redis.Redis) -> None:
    response = await post(gateway, RECORD_ACTION, query="centre=gz&menu=%E6%8A%95%E8%AF%89")
    assert response.status == 200
    assert len(queued_events(redis_client)) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p, s: ({**p, "From": "+8613900139000"}, s), id="changed parameter"),
        pytest.param(lambda p, s: ({**p, "Extra": "1"}, s), id="added parameter"),
        pytest.param(
            lambda p, s: (p, RequestValidator("wrong-token").compute_signature(PUBLIC_URL + PATH, p)), id="wrong token"
        ),
        pytest.param(
            lambda p, s: (p, RequestValidator(TOKEN).compute_signature("https://evil.example" + PATH, p)),
            id="other host",
        ),
        pytest.param(lambda p, s: (p, s[:-2] + "A="), id="changed signature"),
    ],
)
async def test_tampered_requests_are_refused(gateway: Any, redis_client: redis.Redis, tamper: Any) -> None:
    good = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + PATH, RECORD_ACTION)
    params, signature = tamper(dict(RECORD_ACTION), good)
    response = await post(gateway, params, signature=signature)
    assert response.status == 401
    assert (await response.json())["error"] == "bad_signature"
    assert queued_events(redis_client) == []


async def test_a_missing_signature_is_refused(gateway: Any) -> None:
    response = await post(gateway, RECORD_ACTION, signature="")
    assert response.status == 401
    assert (await response.json())["error"] == "missing_signature"


async def test_a_replayed_callback_files_nothing_twice(gateway: Any, redis_client: redis.Redis) -> None:
    for _ in range(3):
        assert (await post(gateway, RECORD_ACTION)).status == 200
    assert len(queued_events(redis_client)) == 1


async def test_bad_bodies(gateway: Any, redis_client: redis.Redis) -> None:
    bad_sid = {**RECORD_ACTION, "CallSid": "not-a-sid"}
    response = await post(gateway, bad_sid)
    assert response.status == 422
    assert "CallSid" in (await response.json())["fields"]
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + PATH, {})
    response = await gateway.post(
        PATH, data=b'{"CallSid": "x"}', headers={"Content-Type": "application/json", "X-Twilio-Signature": signature}
    )
    assert response.status == 415
    assert (await response.json())["error"] == "unsupported_media_type"
    response = await gateway.post(
        PATH,
        data=b"CallSid=%ZZ&&=",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )
    assert response.status in (400, 401)
    assert queued_events(redis_client) == []


async def test_ten_megabytes_of_transcript_are_refused_unread(gateway: Any, redis_client: redis.Redis) -> None:
    # Signed correctly: only the size is wrong, and it is refused before the body is read.
    params = {**TRANSCRIPTION, "TranscriptionText": "长" * (10 * 1024 * 1024 // 3)}
    response = await gateway.post(
        PATH,
        data=io.BytesIO(urlencode(params).encode()),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC_URL + PATH, params),
        },
    )
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"
    assert queued_events(redis_client) == []


async def test_no_twilio_endpoint_without_its_token(make_settings: Any, start_gateway: Any) -> None:
    gateway = await start_gateway(ivr_settings(make_settings))
    response = await post(gateway, RECORD_ACTION)
    assert response.status == 404

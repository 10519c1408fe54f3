"""`POST /channels/ivr/freeswitch`: real FreeSWITCH CDRs in every encoding mod_json_cdr and
mod_xml_cdr send, with the IVR's token as HTTP Basic password (their `cred` setting), through the
real pipeline on real Redis."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from tests.forwarding_support import queued_events, queued_supplements, queued_tickets
from tests.freeswitch_samples import (
    JSON_ARRAY,
    JSON_ENCODINGS,
    JSON_REPEATED,
    XML_BRIDGED,
    XML_ENCODINGS,
    XML_UNANSWERED,
    fs_url_encode,
    sample,
)
from tests.ivr_support import IVR_ID, IVR_TOKEN, basic, ivr_settings

PATH = "/channels/ivr/freeswitch"
CRED = basic("freeswitch", IVR_TOKEN)  # mod_xml_cdr / mod_json_cdr: <param name="cred" value="user:token"/>
UUIDS = {
    JSON_ARRAY: "3da8bf84-c133-4959-9e24-e72875cb33a1",
    JSON_REPEATED: "e3133bf7-dcde-4daf-9663-9a79ffcef5ad",
    XML_BRIDGED: "6f32e2f8-38d1-43a7-b6ea-215bbfe6a314",
    XML_UNANSWERED: "80183ec8-d424-11e3-8fb2-65b6c3cdac7d",
}
CASES = [
    pytest.param(name, encode, id=f"{name}-{label}")
    for name in UUIDS
    for label, encode in (JSON_ENCODINGS if name.endswith(".json") else XML_ENCODINGS).items()
]


@pytest.fixture
async def gateway(make_settings: Any, start_gateway: Any) -> Any:
    return await start_gateway(ivr_settings(make_settings))


async def post(client: Any, body: bytes, content_type: str, *, uuid: str | None = None, headers: Any = None) -> Any:
    path = PATH + (f"?uuid={uuid}" if uuid else "")
    return await client.post(
        path, data=body, headers={"Content-Type": content_type, **(CRED if headers is None else headers)}
    )


@pytest.mark.parametrize(("name", "encode"), CASES)
async def test_every_sample_in_every_encoding_files_one_ticket(
    gateway: Any, redis_client: redis.Redis, name: str, encode: Any
) -> None:
    body, content_type = encode(sample(name))
    first = await post(gateway, body, content_type, uuid=UUIDS[name])
    assert first.status == 200, await first.text()
    retry = await post(gateway, body, content_type, uuid=UUIDS[name])  # FreeSWITCH retries on no 2xx
    assert (await retry.json())["duplicate"] is True
    [event] = queued_events(redis_client)
    assert event.channel == "ivr"
    assert event.idempotency_key == f"{IVR_ID}:{UUIDS[name]}"
    assert event.source.call_id == UUIDS[name]


async def test_a_call_nobody_answered_is_a_callback(gateway: Any, redis_client: redis.Redis) -> None:
    body, content_type = XML_ENCODINGS["text/xml"](sample(XML_UNANSWERED))
    reply = await (await post(gateway, body, content_type, uuid=f"a_{UUIDS[XML_UNANSWERED]}")).json()
    assert reply["decision"] == "callback"
    [event] = queued_events(redis_client)
    assert event.citizen.channel_user_id == "8009"


def _with_variables(**variables: str) -> str:
    document = json.loads(sample(JSON_ARRAY))
    document["variables"].update({name: fs_url_encode(value, double_encode=False) for name, value in variables.items()})
    return json.dumps(document, ensure_ascii=False)


async def test_the_dialplans_variables_make_the_ticket(gateway: Any, redis_client: redis.Redis) -> None:
    text = _with_variables(
        hotline_menu_path="2-1",
        hotline_transcript="我昨晚八点在广州南站打的出租车粤A·D1234，司机绕路多收了三十块。",
        hotline_recording_url="https://fs.example/recordings/3da8bf84.wav",
    )
    reply = await (await post(gateway, text.encode(), "application/json")).json()
    assert (reply["decision"], reply["category"], reply["domain"]) == ("accepted", "complaint", "urban_transit")
    [event] = queued_events(redis_client)
    assert event.content.text.startswith("我昨晚八点")
    assert event.source.recording is not None
    assert event.source.recording.url == "https://fs.example/recordings/3da8bf84.wav"


async def test_a_later_cdr_with_the_transcript_joins_the_ticket(gateway: Any, redis_client: redis.Redis) -> None:
    recorded = _with_variables(hotline_recording_url="https://fs.example/recordings/3da8bf84.wav")
    transcribed = _with_variables(
        hotline_recording_url="https://fs.example/recordings/3da8bf84.wav", hotline_transcript="公交车到站不停。"
    )
    first = await (await post(gateway, recorded.encode(), "application/json")).json()
    second = await (await post(gateway, transcribed.encode(), "application/json")).json()
    assert first["ticket_no"] == second["ticket_no"]
    assert second["duplicate"] is False
    assert len(queued_tickets(redis_client)) == 1
    [supplement] = queued_supplements(redis_client)
    assert (supplement.kind, supplement.content.text) == ("transcript", "公交车到站不停。")
    assert supplement.content.attachments == ()  # the recording is in the ticket already


async def test_an_agents_b_leg_files_nothing(gateway: Any, redis_client: redis.Redis) -> None:
    document = json.loads(sample(JSON_ARRAY))
    newest = document["callflow"][0]
    newest["caller_profile"]["originator"] = {"originator_caller_profiles": []}
    response = await post(gateway, json.dumps(document).encode(), "application/json")
    assert response.status == 200
    assert (await response.json())["filed"] is False
    assert queued_events(redis_client) == []


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "missing_token"), (basic("freeswitch", "not-the-token-0123456789"), "bad_token")],
)
async def test_wrong_credentials(gateway: Any, redis_client: redis.Redis, headers: Any, code: str) -> None:
    body, content_type = XML_ENCODINGS["cdr= form"](sample(XML_BRIDGED))
    response = await post(gateway, body, content_type, headers=headers)
    assert response.status == 401
    assert (await response.json())["error"] == code
    assert queued_events(redis_client) == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<cdr><variables><uuid>&lol2;</uuid></variables></cdr>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE cdr [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><cdr><variables><uuid>&xxe;</uuid></variables></cdr>"""

BAD: list[tuple[str, bytes, str, int, str]] = [
    ("malformed xml", b"<cdr><variables>", "text/xml", 400, "malformed_xml"),
    ("billion laughs", BILLION_LAUGHS, "text/xml", 400, "malformed_xml"),
    ("external entity", EXTERNAL_ENTITY, "text/xml", 400, "malformed_xml"),
    ("malformed json", b'{"variables": ', "application/json", 400, "malformed_json"),
    ("invalid utf-8", b'{"variables": {"uuid": "\xff"}}', "application/json", 400, "malformed_json"),
    ("bad base64", b"cdr=***", "application/x-www-form-base64-encoded", 400, "malformed_form"),
    ("no cdr field", b"xml=1", "application/x-www-form-urlencoded", 400, "malformed_form"),
    ("wrong content type", b"{}", "text/plain", 415, "unsupported_media_type"),
    (
        "no uuid",
        b'{"variables": {"start_epoch": "1515666344"}, "callflow": []}',
        "application/json",
        422,
        "invalid_payload",
    ),
]


@pytest.mark.parametrize(("name", "body", "content_type", "status", "code"), BAD, ids=[b[0] for b in BAD])
async def test_bad_bodies(
    gateway: Any, redis_client: redis.Redis, name: str, body: bytes, content_type: str, status: int, code: str
) -> None:
    response = await post(gateway, body, content_type)
    assert response.status == status, await response.text()
    assert (await response.json())["error"] == code
    assert queued_events(redis_client) == []


async def test_a_query_uuid_of_another_call_is_refused(gateway: Any, redis_client: redis.Redis) -> None:
    body, content_type = XML_ENCODINGS["text/xml"](sample(XML_BRIDGED))
    response = await post(gateway, body, content_type, uuid=UUIDS[XML_UNANSWERED])
    assert response.status == 422
    assert queued_events(redis_client) == []

"""Twilio voice callbacks: the signature (checked against Twilio's published values and against
requests signed by Twilio's own `RequestValidator`, never by ours), the parameters as Twilio
documents them for each callback, and the call record each callback becomes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]  # twilio ships no types

from channels.base import Inbound, InvalidPayload, UnsupportedMediaType
from channels.form_body import URLENCODED, decode_form
from channels.twilio_voice import (
    SIGNATURE_HEADER,
    TwilioCallback,
    callback_kind,
    parse_twilio_form,
    twilio_signature,
    twilio_to_ivr_call,
    verify_twilio_signature,
)
from normalizers.time import SHANGHAI
from tests.twilio_samples import (
    ACCOUNT_SID,
    CALL_SID,
    CALL_START,
    CALLER,
    COMMON,
    DIAL_BRIDGED,
    DIAL_NO_ANSWER,
    DIAL_SID,
    GATHER,
    HOTLINE,
    INCOMING,
    RECEIVED,
    RECORD_ACTION,
    RECORDING_SID,
    RECORDING_STATUS,
    RECORDING_URL,
    STATUS_ANSWERED,
    STATUS_COMPLETED,
    TOKEN,
    TRANSCRIPTION,
    TRANSCRIPTION_SID,
    URL,
)

# --- Twilio's published values ------------------------------------------------------------------

# "Validating requests are coming from Twilio" (twilio.com/docs/usage/security): the worked example.
DOCS_TOKEN = "12345"
DOCS_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOCS_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
DOCS_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

# twilio-python's tests/unit/test_request_validator.py: the same URL and token, other numbers.
SDK_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
SDK_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
SDK_SIGNATURE_WITH_443 = "kvajT1Ptam85bY51eRf/AJRuM3w="  # the https URL with :443
SDK_SIGNATURE_HTTP_WITH_80 = "0ZXoZLH/DfblKGATFgpif+LLRf4="  # the http URL with :80
SDK_SIGNATURE_HTTP_WITH_1234 = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="  # the http URL with :1234
SDK_REPEATED_SIGNATURE = "IK+Dwps556ElfBT0I3Rgjkr1wJU="  # Sid, SidAccount and Digits 5678, 1234, 1234

Params = Mapping[str, str | Sequence[str]]


def twilio_signed(url: str, params: Params | MultiDict[str], token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio's own library computes for this request."""
    return str(RequestValidator(token).compute_signature(url, params))


def make_inbound(
    params: Mapping[str, str] | None = None,
    *,
    body: bytes | None = None,
    content_type: str = URLENCODED,
    signature: str = "",
) -> Inbound:
    """The `Inbound` the gateway would build for a Twilio callback."""
    return Inbound(
        method="POST",
        path="/channels/ivr/twilio",
        query={"centre": "gz"},
        headers={"Content-Type": content_type, SIGNATURE_HEADER: signature},
        body=body if body is not None else urlencode(params or {}).encode(),
        client="54.172.60.0",
        received_at=RECEIVED,
        content_type=content_type,
    )


def parsed(params: Mapping[str, str]) -> TwilioCallback:
    return parse_twilio_form(make_inbound(params))


def refused(inbound: Inbound) -> InvalidPayload:
    with pytest.raises(InvalidPayload) as caught:
        parse_twilio_form(inbound)
    return caught.value


# --- (a) the published values -------------------------------------------------------------------


def test_the_worked_example_of_twilios_security_docs() -> None:
    assert twilio_signature(DOCS_TOKEN, DOCS_URL, DOCS_PARAMS) == DOCS_SIGNATURE
    assert verify_twilio_signature(DOCS_TOKEN, DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE)


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        (DOCS_URL, SDK_SIGNATURE),
        (DOCS_URL, SDK_SIGNATURE_WITH_443),  # signed with :443, requested without
        (DOCS_URL.replace(".com", ".com:1234"), SDK_SIGNATURE),  # the port dropped, like Twilio's validator
        (DOCS_URL.replace("https", "http"), SDK_SIGNATURE_HTTP_WITH_80),
        (DOCS_URL.replace("https", "http").replace(".com", ".com:1234"), SDK_SIGNATURE_HTTP_WITH_1234),
    ],
)
def test_the_values_of_twilios_own_validator_tests(url: str, signature: str) -> None:
    assert verify_twilio_signature(DOCS_TOKEN, url, SDK_PARAMS, signature)


def test_repeated_parameters_sign_each_distinct_value_once_in_order() -> None:
    params = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
    assert twilio_signature(DOCS_TOKEN, DOCS_URL, params) == SDK_REPEATED_SIGNATURE
    assert twilio_signature(DOCS_TOKEN, DOCS_URL, {**params, "Digits": ["1234", "5678"]}) == SDK_REPEATED_SIGNATURE


# --- (b) requests signed by Twilio's RequestValidator -------------------------------------------


@pytest.mark.parametrize(
    "params",
    [STATUS_COMPLETED, GATHER, DIAL_BRIDGED, RECORD_ACTION, RECORDING_STATUS, TRANSCRIPTION],
    ids=["status", "gather", "dial", "record", "recording", "transcription"],
)
def test_a_callback_signed_by_twilio_verifies_from_its_form_body(params: dict[str, str]) -> None:
    # The body as sent (numbers' "+" percent-encoded, Chinese in UTF-8), decoded as the channel will.
    inbound = make_inbound(params, signature=twilio_signed(URL, params))
    fields = decode_form(inbound).fields
    assert verify_twilio_signature(TOKEN, URL, fields, inbound.headers[SIGNATURE_HEADER])


@pytest.mark.parametrize(
    ("url", "params", "signature"),
    [
        (URL, {**STATUS_COMPLETED, "CallDuration": "281"}, None),  # a changed value
        (URL, {**STATUS_COMPLETED, "Digits": "9"}, None),  # an added parameter
        (URL, {k: v for k, v in STATUS_COMPLETED.items() if k != "From"}, None),  # a removed one
        (URL, {**STATUS_COMPLETED, "From": "+8613900139000"}, None),
        (URL.replace("centre=gz", "centre=sz"), STATUS_COMPLETED, None),  # another query string
        (URL.replace("/twilio", "/twilio/"), STATUS_COMPLETED, None),  # another path
        (URL.replace("hotline.", "evil."), STATUS_COMPLETED, None),  # another host
        (URL.replace("https", "http"), STATUS_COMPLETED, None),  # another scheme
        (URL, STATUS_COMPLETED, ""),  # no header value
        (URL, STATUS_COMPLETED, twilio_signed(URL, STATUS_COMPLETED, token="another-token")),
        (URL, STATUS_COMPLETED, twilio_signed(URL, STATUS_COMPLETED)[:-1]),  # one character short
        (URL, STATUS_COMPLETED, "签名" + twilio_signed(URL, STATUS_COMPLETED)[2:]),  # not even ASCII
    ],
    ids=[
        "value",
        "added",
        "removed",
        "caller",
        "query",
        "path",
        "host",
        "scheme",
        "missing",
        "wrong-token",
        "truncated",
        "non-ascii",
    ],
)
def test_a_tampered_request_fails(url: str, params: dict[str, str], signature: str | None) -> None:
    genuine = twilio_signed(URL, STATUS_COMPLETED)
    assert verify_twilio_signature(TOKEN, url, params, genuine if signature is None else signature) is False


def test_an_empty_auth_token_verifies_nothing() -> None:
    assert not verify_twilio_signature("", URL, STATUS_COMPLETED, twilio_signed(URL, STATUS_COMPLETED, token=""))


@pytest.mark.parametrize(
    ("signed_url", "requested_url", "valid"),
    [
        ("https://h.example.cn/p?a=1", "https://h.example.cn:443/p?a=1", True),
        ("https://h.example.cn:443/p?a=1", "https://h.example.cn/p?a=1", True),
        ("http://h.example.cn:80/p", "http://h.example.cn/p", True),
        ("http://h.example.cn/p", "http://h.example.cn:80/p", True),
        ("https://h.example.cn:8443/p", "https://h.example.cn:8443/p", True),
        ("https://h.example.cn/p", "https://h.example.cn:8443/p", True),  # Twilio's validator drops any port
        ("https://h.example.cn:8443/p", "https://h.example.cn/p", False),  # but cannot guess one
        ("https://h.example.cn:8443/p", "https://h.example.cn:9443/p", False),
        ("https://h.example.cn:443/p", "http://h.example.cn:443/p", False),
    ],
)
def test_ports_are_handled_as_twilios_validator_handles_them(signed_url: str, requested_url: str, valid: bool) -> None:
    signature = twilio_signed(signed_url, STATUS_COMPLETED)
    assert RequestValidator(TOKEN).validate(requested_url, STATUS_COMPLETED, signature) is valid
    assert verify_twilio_signature(TOKEN, requested_url, STATUS_COMPLETED, signature) is valid


@pytest.mark.parametrize(
    ("signed_url", "requested_url"),
    [
        ("https://[2001:db8::1]:8443/p", "https://[2001:db8::1]:8443/p"),
        ("https://[2001:db8::1]/p", "https://[2001:db8::1]:443/p"),
        ("https://[2001:db8::1]:443/p", "https://[2001:db8::1]/p"),
    ],
)
def test_the_port_of_an_ipv6_host_is_found_after_its_brackets(signed_url: str, requested_url: str) -> None:
    # Twilio's validator cuts the host at its first colon here, so only the signing is Twilio's.
    signature = twilio_signed(signed_url, STATUS_COMPLETED)
    assert verify_twilio_signature(TOKEN, requested_url, STATUS_COMPLETED, signature)


def test_a_url_with_an_impossible_port_verifies_nothing() -> None:
    signature = twilio_signed("https://h.example.cn/p", STATUS_COMPLETED)
    assert not verify_twilio_signature(TOKEN, "https://h.example.cn:99999/p", STATUS_COMPLETED, signature)


def test_repeated_parameters_verify_as_twilios_validator_signs_them() -> None:
    pairs = [*GATHER.items(), ("Digits", "9"), ("Digits", "2"), ("Digits", "2")]
    signature = twilio_signed(URL, MultiDict(pairs))
    inbound = make_inbound(body=urlencode(pairs).encode(), signature=signature)
    fields = decode_form(inbound).fields
    assert fields["Digits"] == ["2", "9", "2", "2"]
    assert verify_twilio_signature(TOKEN, URL, fields, signature)
    # Twilio signs each distinct value once: a repeated identical value is not a change ...
    assert verify_twilio_signature(TOKEN, URL, {**fields, "Digits": ["9", "2"]}, signature)
    # ... but a missing or different one is.
    assert not verify_twilio_signature(TOKEN, URL, {**fields, "Digits": ["2"]}, signature)
    assert not verify_twilio_signature(TOKEN, URL, {**fields, "Digits": ["2", "8"]}, signature)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"CallSid": ""},
        {"SpeechResult": "我要投诉 & 举报 = 出租车 + 绕路 100%"},
        {"a": "1", "B": "2", "_": "3", "b": "4", "Ä": "5"},  # case-sensitive, code point order
    ],
)
def test_our_signature_is_twilios_for_awkward_parameters(params: dict[str, str]) -> None:
    assert twilio_signature(TOKEN, URL, params) == twilio_signed(URL, params)


# --- (c) parsing ----------------------------------------------------------------------------------


def test_a_status_callback() -> None:
    callback = parsed(STATUS_COMPLETED)
    assert callback.call_sid == CALL_SID
    assert callback.account_sid == ACCOUNT_SID
    assert (callback.from_, callback.to) == (CALLER, HOTLINE)
    assert callback.call_status == "completed"
    assert callback.direction == "inbound"
    assert callback.call_duration_s == 280
    assert callback.timestamp == datetime(2026, 11, 29, 9, 4, 40, tzinfo=SHANGHAI)
    assert callback.timestamp.utcoffset() == timedelta(hours=8)
    assert (callback.callback_source, callback.sequence_number) == ("call-progress-events", 3)
    assert callback_kind(callback) == "status"


def test_a_gather_action() -> None:
    callback = parsed(GATHER)
    assert (callback.digits, callback.finished_on_key) == ("2", None)  # an empty value is no value
    assert callback_kind(callback) == "gather"


def test_a_speech_gather_action() -> None:
    callback = parsed({**COMMON, "CallStatus": "in-progress", "SpeechResult": "投诉", "Confidence": "0.91"})
    assert (callback.speech_result, callback.confidence) == ("投诉", 0.91)
    assert callback_kind(callback) == "gather"


def test_a_dial_action() -> None:
    callback = parsed(DIAL_BRIDGED)
    assert callback.dial_call_status == "completed"
    assert callback.dial_call_sid == DIAL_SID
    assert callback.dial_call_duration_s == 200
    assert callback.dial_bridged is True
    assert callback_kind(callback) == "status"
    assert callback_kind(parsed({**DIAL_BRIDGED, "RecordingUrl": RECORDING_URL})) == "recording"


def test_a_record_action() -> None:
    callback = parsed(RECORD_ACTION)
    assert str(callback.recording_url) == RECORDING_URL
    assert (callback.recording_sid, callback.recording_duration_s) == (RECORDING_SID, 42)
    assert callback.digits == "hangup"
    assert callback_kind(callback) == "recording"


def test_a_recording_status_callback() -> None:
    callback = parsed(RECORDING_STATUS)
    assert callback.recording_status == "completed"
    assert callback.recording_source == "RecordVerb"
    assert callback.recording_started_at == datetime(2026, 11, 29, 9, 3, 50, tzinfo=SHANGHAI)
    assert (callback.from_, callback.call_status) == (None, None)
    assert callback_kind(callback) == "recording"


def test_a_transcription_callback() -> None:
    callback = parsed(TRANSCRIPTION)
    assert callback.transcription_sid == TRANSCRIPTION_SID
    assert callback.transcription_status == "completed"
    assert callback.transcription_text == TRANSCRIPTION["TranscriptionText"]
    assert callback_kind(callback) == "transcription"


@pytest.mark.parametrize("status", ["queued", "initiated", "ringing", "in-progress", "busy", "no-answer"])
def test_every_call_status_twilio_sends_is_accepted(status: str) -> None:
    assert parsed({**INCOMING, "CallStatus": status}).call_status == status


def test_parameters_the_hotline_does_not_use_are_ignored() -> None:
    callback = parsed({**INCOMING, "StirVerstat": "TN-Validation-Passed-A", "AddOns": '{"status":"successful"}'})
    assert not hasattr(callback, "StirVerstat")
    assert callback_kind(callback) == "status"


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data", "text/plain", ""])
def test_only_form_bodies_are_accepted(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        parse_twilio_form(make_inbound(GATHER, content_type=content_type))
    assert caught.value.status == 415


@pytest.mark.parametrize(
    "body",
    [b"CallSid=CA\xff", b"CallSid=%ff%fe", "&".join(f"p{n}=1" for n in range(65)).encode()],
    ids=["not-utf8", "bad-percent-encoding", "too-many-fields"],
)
def test_an_undecodable_body_is_a_400(body: bytes) -> None:
    error = refused(make_inbound(body=body))
    assert (error.status, error.code) == (400, "malformed_form")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"CallSid": None}, "CallSid"),
        ({"CallSid": ""}, "CallSid"),
        ({"CallSid": "CA1234567890ABCDE"}, "CallSid"),  # the docs' example is no real SID
        ({"CallSid": "CA5d0a1b2c3d4e5f60718293a4b5c6d7eg"}, "CallSid"),
        ({"CallSid": "PN5d0a1b2c3d4e5f60718293a4b5c6d7e8"}, "CallSid"),
        ({"AccountSid": "AC123"}, "AccountSid"),
        ({"CallStatus": "hung-up"}, "CallStatus"),
        ({"Timestamp": "2026-11-29T01:04:40Z"}, "Timestamp"),
        ({"CallDuration": "-3"}, "CallDuration"),
        ({"RecordingUrl": "not a url"}, "RecordingUrl"),
        ({"DialBridged": "perhaps"}, "DialBridged"),
    ],
)
def test_an_invalid_parameter_is_a_422_naming_it(change: dict[str, str | None], field: str) -> None:
    params = {k: v for k, v in {**STATUS_COMPLETED, **change}.items() if v is not None}
    error = refused(make_inbound(params))
    assert (error.status, error.code) == (422, "invalid_payload")
    assert list(error.fields) == [field]


def test_a_repeated_parameter_is_refused() -> None:
    body = urlencode([*STATUS_COMPLETED.items(), ("CallSid", DIAL_SID)]).encode()
    assert refused(make_inbound(body=body)).fields == {"CallSid": "must be given once"}


def test_numbers_and_what_was_said_stay_out_of_reprs_and_errors() -> None:
    callback = parsed({**TRANSCRIPTION, "Digits": "110101199003077777"})
    shown = repr(callback) + str(callback)
    for secret in ("13800138000", "12328", "火车站", "110101199003077777"):
        assert secret not in shown
    error = refused(make_inbound({**STATUS_COMPLETED, "From": CALLER * 20, "CallSid": "CA" + CALLER}))
    assert set(error.fields) == {"From", "CallSid"}
    assert "13800138000" not in json.dumps(error.to_json_dict()) + str(error)


# --- (d) the call record ------------------------------------------------------------------------


def test_a_completed_status_callback_is_the_whole_call() -> None:
    call = twilio_to_ivr_call(parsed(STATUS_COMPLETED), RECEIVED)
    assert call.call_id == CALL_SID
    assert (call.caller, call.callee) == (CALLER, HOTLINE)
    assert call.started_at == CALL_START  # Timestamp − CallDuration
    assert call.ended_at == datetime(2026, 11, 29, 9, 4, 40, tzinfo=SHANGHAI)
    assert call.answered_at is None
    assert call.disposition == "self_service"
    assert (call.menu_path, call.recording, call.transcript) == (None, None, None)


@pytest.mark.parametrize("status", ["busy", "no-answer", "canceled", "failed"])
def test_a_call_nobody_answered_is_abandoned(status: str) -> None:
    callback = parsed({**STATUS_COMPLETED, "CallStatus": status, "CallDuration": "0"})
    call = twilio_to_ivr_call(callback, RECEIVED)
    assert call.disposition == "abandoned"
    assert call.started_at == call.ended_at == callback.timestamp


def test_the_answered_event_tells_when_the_call_was_answered() -> None:
    call = twilio_to_ivr_call(parsed(STATUS_ANSWERED), RECEIVED)
    assert call.started_at == call.answered_at == CALL_START
    assert call.ended_at is None


def test_a_callback_without_a_time_starts_the_call_when_it_arrived() -> None:
    call = twilio_to_ivr_call(parsed(INCOMING), RECEIVED)
    assert call.started_at == RECEIVED
    assert (call.answered_at, call.ended_at) == (None, None)
    assert call.disposition == "self_service"


@pytest.mark.parametrize(
    ("digits", "menu_path"),
    [("2", "2"), ("21", "21"), ("*#", "*#"), ("12328123281232812", None), (None, None)],
)
def test_a_gather_gives_the_menu_keys_pressed(digits: str | None, menu_path: str | None) -> None:
    params = {k: v for k, v in {**GATHER, "Digits": digits}.items() if v is not None}
    if digits is None:
        params["SpeechResult"] = "投诉"
    call = twilio_to_ivr_call(parsed(params), RECEIVED)
    assert call.menu_path == menu_path
    assert call.disposition == "self_service"


def test_a_bridged_dial_was_answered_by_an_agent() -> None:
    assert twilio_to_ivr_call(parsed(DIAL_BRIDGED), RECEIVED).disposition == "agent"
    without_flag = {k: v for k, v in DIAL_BRIDGED.items() if k != "DialBridged"}
    assert twilio_to_ivr_call(parsed(without_flag), RECEIVED).disposition == "agent"
    recorded = twilio_to_ivr_call(parsed({**DIAL_BRIDGED, "RecordingUrl": RECORDING_URL}), RECEIVED)
    assert recorded.disposition == "agent"
    assert recorded.recording is not None


def test_a_dial_that_reached_nobody_is_abandoned() -> None:
    assert twilio_to_ivr_call(parsed(DIAL_NO_ANSWER), RECEIVED).disposition == "abandoned"


def test_a_record_action_is_a_voicemail_with_its_recording() -> None:
    call = twilio_to_ivr_call(parsed(RECORD_ACTION), RECEIVED)
    assert call.disposition == "voicemail"
    assert call.recording is not None
    assert (str(call.recording.url), call.recording.duration_s) == (RECORDING_URL, 42)
    assert call.menu_path is None  # "hangup", or the key that ended the message, is no menu choice
    assert twilio_to_ivr_call(parsed({**RECORD_ACTION, "Digits": "#"}), RECEIVED).menu_path is None


def test_a_recording_status_callback_is_a_voicemail_started_no_later_than_its_recording() -> None:
    call = twilio_to_ivr_call(parsed(RECORDING_STATUS), RECEIVED)
    assert call.disposition == "voicemail"
    assert call.started_at == datetime(2026, 11, 29, 9, 3, 50, tzinfo=SHANGHAI)
    assert call.recording is not None
    assert call.recording.duration_s == 42
    assert (call.caller, call.callee, call.ended_at) == (None, None, None)


@pytest.mark.parametrize("status", ["in-progress", "absent", "failed"])
def test_a_recording_that_is_not_ready_is_left_out(status: str) -> None:
    params = {**RECORDING_STATUS, "RecordingStatus": status, "RecordingDuration": "-1"}
    call = twilio_to_ivr_call(parsed(params), RECEIVED)
    assert call.recording is None
    assert call.disposition == "voicemail"  # the caller meant to leave one: call back


@pytest.mark.parametrize(
    ("source", "disposition"),
    [("RecordVerb", "voicemail"), ("DialVerb", "agent"), ("StartCallRecordingTwiML", "self_service")],
)
def test_what_was_recorded_tells_the_disposition(source: str, disposition: str) -> None:
    call = twilio_to_ivr_call(parsed({**RECORDING_STATUS, "RecordingSource": source}), RECEIVED)
    assert call.disposition == disposition


def test_a_completed_transcription_is_the_transcript() -> None:
    call = twilio_to_ivr_call(parsed(TRANSCRIPTION), RECEIVED)
    assert call.transcript == TRANSCRIPTION["TranscriptionText"]
    assert call.disposition == "voicemail"
    assert call.recording is not None
    failed = twilio_to_ivr_call(parsed({**TRANSCRIPTION, "TranscriptionStatus": "failed"}), RECEIVED)
    assert failed.transcript is None


def test_a_status_callback_with_an_api_recording_is_no_voicemail() -> None:
    call = twilio_to_ivr_call(parsed({**STATUS_COMPLETED, "RecordingUrl": RECORDING_URL}), RECEIVED)
    assert call.disposition == "self_service"
    assert call.recording is not None


def test_an_address_too_long_for_the_record_is_an_unknown_caller() -> None:
    sip = "sip:citizen-with-a-long-name@pbx.example.cn"
    assert twilio_to_ivr_call(parsed({**STATUS_COMPLETED, "From": sip}), RECEIVED).caller is None


@pytest.mark.parametrize("params", [STATUS_COMPLETED, STATUS_ANSWERED, RECORDING_STATUS], ids=["end", "answer", "rec"])
def test_a_retried_callback_maps_to_the_same_record(params: dict[str, str]) -> None:
    callback = parsed(params)
    first = twilio_to_ivr_call(callback, RECEIVED)
    retry = twilio_to_ivr_call(callback, RECEIVED + timedelta(minutes=5))
    assert first.model_dump_json() == retry.model_dump_json()


def test_every_piece_of_a_call_is_the_same_call() -> None:
    pieces = [INCOMING, GATHER, DIAL_NO_ANSWER, RECORD_ACTION, STATUS_COMPLETED, RECORDING_STATUS, TRANSCRIPTION]
    calls = [twilio_to_ivr_call(parsed(piece), RECEIVED) for piece in pieces]
    assert {call.call_id for call in calls} == {CALL_SID}
    assert [callback_kind(parsed(piece)) for piece in pieces] == [
        "status",
        "gather",
        "status",
        "recording",
        "status",
        "recording",
        "transcription",
    ]

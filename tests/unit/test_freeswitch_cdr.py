"""FreeSWITCH CDR posts: real CDRs (tests/data/freeswitch, see its README) sent the way mod_json_cdr
and mod_xml_cdr send them, read into `FreeSwitchCdr` and mapped onto `IvrCall`.

The wire encoders below follow FreeSWITCH's C source (read, not copied): `switch_url_encode_opt`
escapes control and non-ASCII bytes and `SWITCH_URL_UNSAFE` as `%XX`; mod_xml_cdr's form encodes
every `%` (double_encode), mod_json_cdr's form and `encode-values` leave an existing `%XX` alone.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest

from channels.base import ChannelError, Inbound, InvalidPayload, UnsupportedMediaType
from channels.form_body import URLENCODED
from channels.freeswitch_cdr import (
    BASE64_FORM,
    PLAINTEXT_FORM,
    FreeSwitchCdr,
    freeswitch_to_ivr_call,
    parse_freeswitch_post,
)
from channels.xml_body import XmlBodyError, parse_xml_document
from tests.freeswitch_samples import (
    JSON_ARRAY,
    JSON_ENCODINGS,
    JSON_REPEATED,
    XML_BRIDGED,
    XML_ENCODINGS,
    XML_UNANSWERED,
    fs_url_encode,
    json_form,
    json_raw,
    sample,
    xml_form,
    xml_textxml,
)


def inbound(body: bytes, content_type: str, query: dict[str, str] | None = None) -> Inbound:
    return Inbound(
        method="POST",
        path="/channels/ivr/freeswitch",
        query=query or {},
        headers={"Content-Type": content_type, "User-Agent": "freeswitch-xml/1.0"},
        body=body,
        client="10.0.0.5",
        received_at=datetime.now(UTC),
        content_type=content_type,
    )


def parse(text: str, encoding: Any = None, query: dict[str, str] | None = None) -> FreeSwitchCdr:
    encode = encoding or (json_raw if text.lstrip().startswith("{") else xml_textxml)
    body, content_type = encode(text)
    return parse_freeswitch_post(inbound(body, content_type, query))


def micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


# --- editing samples the way FreeSWITCH would have written them -----------------------------


class _Members(list[tuple[str, Any]]):
    """A JSON object as its members in order, repeated keys and all (old mod_json_cdr repeats them)."""


def _dump(value: Any) -> str:
    if isinstance(value, _Members):
        return "{" + ",".join(f"{json.dumps(key)}:{_dump(item)}" for key, item in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_edit(
    text: str, *, set_vars: dict[str, str] | None = None, drop_vars: tuple[str, ...] = (), encode_all: bool = False
) -> str:
    """A JSON sample with channel variables set or dropped, each value encoded as encode-values=true
    does (`encode_all` encodes the sample's own values too). Written compact, as cJSON does."""
    document = json.loads(text, object_pairs_hook=_Members)
    position, members = next((index, item) for index, (key, item) in enumerate(document) if key == "variables")
    kept = [(name, value) for name, value in members if name not in drop_vars]
    if encode_all:
        kept = [(name, fs_url_encode(value, double_encode=False)) for name, value in kept]
    added = [(name, fs_url_encode(value, double_encode=False)) for name, value in (set_vars or {}).items()]
    document[position] = ("variables", _Members(kept + added))
    return _dump(document)


def xml_edit(text: str, *, set_vars: dict[str, str] | None = None, drop_vars: tuple[str, ...] = ()) -> str:
    for name in drop_vars:
        text = re.sub(rf"\s*<{name}>[^<]*</{name}>", "", text)
    added = "".join(
        f"\n    <{name}>{fs_url_encode(value, double_encode=False)}</{name}>"
        for name, value in (set_vars or {}).items()
    )
    return text.replace("<variables>", "<variables>" + added, 1)


BRIDGE_VARS = ("last_bridge_to", "bridge_channel", "bridge_uuid", "signal_bond", "bridge_epoch", "bridge_uepoch")


def self_service_json(**set_vars: str) -> str:
    """The bridged JSON sample as if the menu had served the caller: no bridge variables."""
    return json_edit(sample(JSON_ARRAY), set_vars=set_vars, drop_vars=BRIDGE_VARS)


# --- every sample in every encoding -------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    uuid: str
    caller: str
    callee: str
    started: int
    answered: int | None
    ended: int
    billsec: int


EXPECTED = {
    JSON_ARRAY: Expected(
        "3da8bf84-c133-4959-9e24-e72875cb33a1", "1001", "1002", 1515666344534355, 1515666347954373, 1515666415494269, 68
    ),
    JSON_REPEATED: Expected(
        "e3133bf7-dcde-4daf-9663-9a79ffcef5ad", "1001", "1003", 1436280728471153, 1436280728971147, 1436280794010851, 66
    ),
    XML_BRIDGED: Expected(
        "6f32e2f8-38d1-43a7-b6ea-215bbfe6a314",
        "1160",
        "92137991400",
        1217529338212616,
        1217529341528422,
        1217529377795951,
        36,
    ),
    XML_UNANSWERED: Expected(
        "80183ec8-d424-11e3-8fb2-65b6c3cdac7d", "8009", "003468888646444", 1399273898421766, None, 1399273898421766, 0
    ),
}
CASES = [
    pytest.param(name, encoding, id=f"{name}-{label}")
    for name in EXPECTED
    for label, encoding in (JSON_ENCODINGS if name.endswith(".json") else XML_ENCODINGS).items()
]


@pytest.mark.parametrize(("name", "encoding"), CASES)
def test_each_sample_reads_the_same_in_each_encoding(name: str, encoding: Any) -> None:
    expected = EXPECTED[name]
    cdr = parse(sample(name), encoding)
    assert cdr.uuid == expected.uuid
    assert (cdr.caller, cdr.callee) == (expected.caller, expected.callee)
    assert cdr.started_at == micros(expected.started)
    assert cdr.answered_at == (micros(expected.answered) if expected.answered else None)
    assert cdr.ended_at == micros(expected.ended)
    assert cdr.started_at.utcoffset() == timedelta(hours=8)
    assert cdr.hangup_cause == "NORMAL_CLEARING"
    assert cdr.billsec == expected.billsec
    assert cdr.is_b_leg is False


@pytest.mark.parametrize(("name", "encoding"), CASES)
def test_the_query_uuid_fits_the_body_with_or_without_the_a_leg_prefix(name: str, encoding: Any) -> None:
    uuid = EXPECTED[name].uuid
    assert parse(sample(name), encoding, {"uuid": uuid}).uuid == uuid
    assert parse(sample(name), encoding, {"uuid": f"a_{uuid}"}).uuid == uuid


@pytest.mark.parametrize("encoding", JSON_ENCODINGS.values(), ids=JSON_ENCODINGS.keys())
def test_the_repeated_callflow_keys_of_old_mod_json_cdr_are_all_kept(encoding: Any) -> None:
    text = sample(JSON_REPEATED)
    assert text.count('"callflow":') == 2  # the sample really is the pre-1.6 layout
    # json.loads alone keeps the last key: the original profile, which never saw the answer.
    last = json.loads(text)["callflow"]
    assert last["profile_index"] == "1"
    assert last["times"]["answered_time"] == "0"
    # Without the variables' own times only the newest callflow, profile 2, knows them.
    text = json_edit(text, drop_vars=("answer_epoch", "answer_uepoch", "end_epoch", "end_uepoch"))
    assert text.count('"callflow":') == 2
    assert "answer_uepoch" not in text
    cdr = parse(text, encoding)
    assert cdr.answered_at == micros(1436280728971147)
    assert cdr.ended_at == micros(1436280794010851)
    assert (cdr.caller, cdr.callee) == ("1001", "1003")


def test_caller_and_callee_come_from_the_original_profile_not_the_transfer() -> None:
    document = json.loads(sample(JSON_ARRAY))
    assert [flow["profile_index"] for flow in document["callflow"]] == ["2", "1"]  # newest first
    document["callflow"][1]["caller_profile"]["destination_number"] = "12328"  # dialled, then transferred
    cdr = parse(json.dumps(document))
    assert (cdr.caller, cdr.callee) == ("1001", "12328")
    document["callflow"].reverse()  # the order does not matter while profile_index is there
    assert parse(json.dumps(document)).callee == "12328"


def test_xml_callflows_are_newest_first_and_profile_index_one_is_the_original() -> None:
    text = sample(XML_BRIDGED)
    original = text[text.index("<callflow") : text.index("</callflow>") + len("</callflow>")]
    transferred = original.replace('profile_index="1"', 'profile_index="2"').replace(
        "<destination_number>92137991400</destination_number>", "<destination_number>agents</destination_number>"
    )
    two_flows = text.replace(original, transferred + "\n  " + original)
    assert parse(two_flows).callee == "92137991400"
    without_index = two_flows.replace(' profile_index="2"', "").replace(' profile_index="1"', "")
    assert parse(without_index).callee == "92137991400"  # FreeSWITCH's newest-first order


def test_times_come_from_the_newest_callflow_then_from_the_variables() -> None:
    text = sample(XML_BRIDGED)
    # This 2008 sample's answer_uepoch disagrees with the callflow; the callflow matches answer_stamp.
    assert "<answer_uepoch>1217529338452698</answer_uepoch>" in text
    assert "<answer_stamp>2008-07-31%2011%3A35%3A41</answer_stamp>" in text
    assert parse(text).answered_at == micros(1217529341528422)
    no_times = re.sub(r"<times>.*</times>", "", text, flags=re.DOTALL)
    assert parse(no_times).answered_at == micros(1217529338452698)
    seconds_only = xml_edit(no_times, drop_vars=("start_uepoch", "answer_uepoch", "end_uepoch"))
    cdr = parse(seconds_only)
    assert (cdr.started_at, cdr.answered_at, cdr.ended_at) == (
        micros(1217529338_000000),
        micros(1217529338_000000),
        micros(1217529377_000000),
    )


def test_xml_variables_are_url_decoded_and_an_array_variable_keeps_its_first_item() -> None:
    cdr = parse(sample(XML_BRIDGED))
    assert cdr.variables["effective_caller_id_name"] == "Michael S Collins"
    assert cdr.variables["sip_contact_uri"] == "1160@192.168.50.21:39368"
    assert cdr.variables["switch_r_sdp"].startswith("v=0\r\no=- 6 2 IN IP4 192.168.50.21\r\n")
    assert cdr.variables["caller_id"] == '"Mikey" <1160>'
    doubled = xml_edit(sample(XML_UNANSWERED), set_vars={"DP_MATCH": "2"})
    assert doubled.count("<DP_MATCH>") == 1
    doubled = doubled.replace("<DP_MATCH>2</DP_MATCH>", "<DP_MATCH>2</DP_MATCH><DP_MATCH>3</DP_MATCH>")
    assert parse(doubled).variables["DP_MATCH"] == "2"


@pytest.mark.parametrize(
    ("name", "variable", "value"),
    [
        (JSON_ARRAY, "sip_full_from", '"1001" <sip:1001@10.10.10.204>;tag=f25afe20'),
        (JSON_REPEATED, "ringback", "%(2000,4000,440,480)"),
    ],
)
def test_encode_values_true_gives_the_same_variables_as_plain_json(name: str, variable: str, value: str) -> None:
    text = sample(name)  # written with encode-values=false; FreeSWITCH's default encodes each value
    plain = parse(text).variables
    assert plain[variable] == value
    assert "\r\n" in plain["switch_r_sdp"]
    encoded = json_edit(text, encode_all=True)
    assert fs_url_encode(value, double_encode=False) in encoded
    for encoding in JSON_ENCODINGS.values():
        assert parse(encoded, encoding).variables == plain


def test_old_mod_json_cdr_forms_with_encoded_values_are_read_despite_their_ambiguity() -> None:
    # Before PR #3152 the form kept the values' %XX, so decoding it once yields broken JSON: the
    # caller_id's %22 becomes a bare quote. The gateway reads the body's structure instead.
    text = json_edit(sample(JSON_ARRAY), encode_all=True, set_vars={"hotline_agent_notes": '投诉 "绕路", 要求退款'})
    body, content_type = json_form(text)
    [(_name, decoded)] = parse_qsl(body.decode(), keep_blank_values=True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(decoded)
    cdr = parse_freeswitch_post(inbound(body, content_type))
    assert cdr.variables["caller_id"] == '"1001" <1001>'
    assert cdr.variables["hotline_agent_notes"] == '投诉 "绕路", 要求退款'
    assert (cdr.caller, cdr.callee, cdr.uuid) == ("1001", "1002", EXPECTED[JSON_ARRAY].uuid)
    assert (
        cdr.variables
        == parse(json_edit(sample(JSON_ARRAY), set_vars={"hotline_agent_notes": '投诉 "绕路", 要求退款'})).variables
    )


def test_base64_sent_as_a_urlencoded_form_with_its_plus_signs_unescaped() -> None:
    encoded = base64.b64encode(sample(XML_UNANSWERED).encode())
    assert b"+" in encoded
    cdr = parse_freeswitch_post(inbound(b"cdr=" + encoded, URLENCODED))
    assert cdr.uuid == EXPECTED[XML_UNANSWERED].uuid


def test_a_b_leg_is_recognised_by_its_originator() -> None:
    document = json.loads(sample(JSON_ARRAY))
    profile = document["callflow"][0]["caller_profile"]
    profile["originator"] = {"originator_caller_profiles": profile.pop("originatee")["originatee_caller_profiles"]}
    assert parse(json.dumps(document)).is_b_leg is True


def test_the_model_repr_shows_no_numbers() -> None:
    cdr = parse(sample(XML_BRIDGED))
    assert "92137991400" not in repr(cdr)
    assert "5597993757" not in repr(cdr)
    assert "6f32e2f8-38d1-43a7-b6ea-215bbfe6a314" in repr(cdr)


# --- the call record -------------------------------------------------------------------------


def test_a_bridged_call_went_to_an_agent() -> None:
    call = freeswitch_to_ivr_call(parse(sample(JSON_ARRAY)))
    assert call.call_id == "3da8bf84-c133-4959-9e24-e72875cb33a1"
    assert (call.caller, call.callee) == ("1001", "1002")
    assert call.started_at == micros(1515666344534355)
    assert call.answered_at == micros(1515666347954373)
    assert call.ended_at == micros(1515666415494269)
    assert call.disposition == "agent"
    assert call.menu_path is None  # digits_dialed is "none"
    assert call.recording is None
    assert call.transcript is None
    assert call.agent_notes is None


def test_an_unanswered_call_was_abandoned() -> None:
    call = freeswitch_to_ivr_call(parse(sample(XML_UNANSWERED)))
    assert call.disposition == "abandoned"
    assert call.answered_at is None
    assert (call.caller, call.callee) == ("8009", "003468888646444")


def test_an_answered_call_that_reached_nobody_was_self_service() -> None:
    assert freeswitch_to_ivr_call(parse(self_service_json())).disposition == "self_service"


def test_a_message_left_with_mod_voicemail_makes_a_voicemail() -> None:
    text = self_service_json(
        voicemail_message_len="00:00:12", voicemail_file_path="/var/lib/freeswitch/storage/voicemail/1.wav"
    )
    assert freeswitch_to_ivr_call(parse(text)).disposition == "voicemail"


@pytest.mark.parametrize(
    "variables",
    [{"bridge_epoch": "1515666347"}, {"last_bridge_to": "f52c26f1"}, {"cc_agent_bridged": "true"}],
    ids=["bridge_epoch", "last_bridge_to", "mod_callcenter"],
)
def test_any_sign_of_a_bridge_makes_an_agent_call(variables: dict[str, str]) -> None:
    assert freeswitch_to_ivr_call(parse(self_service_json(**variables))).disposition == "agent"


def test_originated_legs_alone_is_no_bridge() -> None:
    # Set when a leg is dialled, before anyone answers it: a bridge that failed has it too.
    assert "originated_legs" in sample(JSON_ARRAY)
    assert freeswitch_to_ivr_call(parse(self_service_json())).disposition == "self_service"


@pytest.mark.parametrize(
    ("value", "disposition"),
    [("self_service", "self_service"), ("VOICEMAIL", "voicemail"), (" abandoned ", "abandoned"), ("operator", "agent")],
)
def test_hotline_disposition_wins_when_it_is_one_of_ours(value: str, disposition: str) -> None:
    text = json_edit(sample(JSON_ARRAY), set_vars={"hotline_disposition": value})
    assert freeswitch_to_ivr_call(parse(text)).disposition == disposition


@pytest.mark.parametrize(
    ("variables", "menu_path"),
    [
        ({"hotline_menu_path": "2-1"}, "2-1"),
        ({"hotline_menu_path": "2-x", "digits_dialed": "21#"}, "21#"),
        ({"digits_dialed": "21"}, "21"),
        ({"digits_dialed": "21" + "440106198001011234"}, "2144010619800101"),
        ({"digits_dialed": "XXXX"}, None),
        ({"digits_dialed": "2A"}, None),
        ({"hotline_menu_path": "", "digits_dialed": "none"}, None),
    ],
    ids=["explicit", "bad explicit", "digits", "digits then an ID", "filtered", "DTMF letter", "none"],
)
def test_the_menu_path(variables: dict[str, str], menu_path: str | None) -> None:
    text = xml_edit(sample(XML_BRIDGED), set_vars=variables)
    assert freeswitch_to_ivr_call(parse(text)).menu_path == menu_path


@pytest.mark.parametrize(
    ("variables", "url", "duration"),
    [
        (
            {"hotline_recording_url": "https://rec.12328.example/a.wav", "hotline_recording_duration_s": "36.5"},
            "https://rec.12328.example/a.wav",
            36.5,
        ),
        ({"hotline_recording_url": "http://10.0.0.9/r/a.wav", "record_seconds": "35"}, "http://10.0.0.9/r/a.wav", 35),
        (
            {"hotline_recording_url": "https://rec.12328.example/a.wav", "hotline_recording_duration_s": "-1"},
            "https://rec.12328.example/a.wav",
            None,
        ),
        ({"hotline_recording_url": "/var/lib/freeswitch/recordings/a.wav", "record_seconds": "35"}, None, None),
        ({"hotline_recording_url": "ftp://rec.12328.example/a.wav"}, None, None),
        ({"record_seconds": "35"}, None, None),
    ],
    ids=["https", "http with record_seconds", "bad duration", "local path", "ftp", "no url"],
)
def test_the_recording(variables: dict[str, str], url: str | None, duration: float | None) -> None:
    text = xml_edit(sample(XML_BRIDGED), set_vars=variables)
    recording = freeswitch_to_ivr_call(parse(text)).recording
    if url is None:
        assert recording is None
    else:
        assert recording is not None
        assert (str(recording.url), recording.duration_s) == (url, duration)


def test_the_docs_sample_records_to_a_local_file_which_is_no_recording() -> None:
    assert 'app_name="record_session"' in sample(XML_BRIDGED)
    assert freeswitch_to_ivr_call(parse(sample(XML_BRIDGED))).recording is None


TRANSCRIPT = "我昨天在火车站打的出租车，司机绕路多收了30元 & 拒开发票；车牌粤A·D1234。"
NOTES = "来电人要求退还多收车费，已告知 3 个工作日内答复（100%回访）。"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_transcript_and_agent_notes_are_decoded(fmt: str) -> None:
    variables = {"hotline_transcript": TRANSCRIPT, "hotline_agent_notes": NOTES}
    if fmt == "json":
        text, encoding = json_edit(sample(JSON_ARRAY), set_vars=variables), json_form
    else:
        text, encoding = xml_edit(sample(XML_BRIDGED), set_vars=variables), xml_form
    assert "%E6%88%91" in text  # stored percent-encoded, as FreeSWITCH writes it
    call = freeswitch_to_ivr_call(parse(text, encoding))
    assert (call.transcript, call.agent_notes) == (TRANSCRIPT, NOTES)


def test_a_value_the_script_encoded_itself_is_decoded_once() -> None:
    # FreeSWITCH leaves an existing %XX alone, so a pre-encoded value reaches us as it was stored.
    text = sample(XML_BRIDGED).replace(
        "<variables>", "<variables><hotline_agent_notes>%E6%8A%95%E8%AF%89</hotline_agent_notes>", 1
    )
    assert freeswitch_to_ivr_call(parse(text)).agent_notes == "投诉"


def test_an_over_long_transcript_is_clipped_not_refused() -> None:
    text = json_edit(sample(JSON_ARRAY), set_vars={"hotline_transcript": "绕路" * 15000})
    call = freeswitch_to_ivr_call(parse(text))
    assert call.transcript is not None
    assert len(call.transcript) == 20000


def test_a_sip_address_too_long_for_a_number_is_left_out() -> None:
    document = json.loads(sample(JSON_ARRAY))
    document["callflow"][1]["caller_profile"]["caller_id_number"] = "sip:anonymous@anonymous.invalid.example.org"
    call = freeswitch_to_ivr_call(parse(json.dumps(document)))
    assert call.caller is None
    assert call.callee == "1002"


# --- what is refused ---------------------------------------------------------------------------


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<cdr><variables><uuid>&lol3;</uuid></variables></cdr>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE cdr [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<cdr><variables><uuid>&xxe;</uuid></variables></cdr>"
)
EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE cdr SYSTEM "http://127.0.0.1:9/evil.dtd"><cdr/>'


def refused(body: bytes, content_type: str, query: dict[str, str] | None = None) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        parse_freeswitch_post(inbound(body, content_type, query))
    return caught.value


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b'{"variables": {"uuid": ', "application/json", "malformed_json"),
        (b"[]", "application/json", "malformed_json"),
        (b"\xff\xfe{}", "application/json", "malformed_json"),
        (b"[" * 100_000, "application/json", "malformed_json"),
        (b'{"a":' * 100_000, "application/json", "malformed_json"),
        (b"<cdr><variables></cdr>", "text/xml", "malformed_xml"),
        (b"<xml><uuid>x</uuid></xml>", "text/xml", "malformed_xml"),
        (b"", "text/xml", "malformed_xml"),
        (b"<cdr>\xff</cdr>", "text/xml", "malformed_xml"),
        (BILLION_LAUGHS.encode(), "text/xml", "malformed_xml"),
        (EXTERNAL_ENTITY.encode(), "text/xml", "malformed_xml"),
        (EXTERNAL_DTD.encode(), "text/xml", "malformed_xml"),
        (b"cdr=" + base64.b64encode(BILLION_LAUGHS.encode()), BASE64_FORM, "malformed_xml"),
        (("cdr=" + fs_url_encode(EXTERNAL_ENTITY, double_encode=True)).encode(), URLENCODED, "malformed_xml"),
        (b"cdr=" + EXTERNAL_DTD.encode(), PLAINTEXT_FORM, "malformed_xml"),
        (b"cdr=<cdr>\xff</cdr>", PLAINTEXT_FORM, "malformed_xml"),
        (b"cdr=%FF%FE", URLENCODED, "malformed_form"),
        (b"uuid=x", URLENCODED, "malformed_form"),
        (b"cdr=!!not-base64!!", BASE64_FORM, "malformed_form"),
        (b"cdr=" + base64.b64encode(b"hello"), BASE64_FORM, "malformed_form"),
        (base64.b64encode(b"<cdr/>"), BASE64_FORM, "malformed_form"),
        (b"<cdr/>", PLAINTEXT_FORM, "malformed_form"),
    ],
    ids=[
        "truncated json",
        "json array",
        "json not utf-8",
        "deep json array",
        "deep json object",
        "bad xml",
        "wrong root",
        "empty xml",
        "xml not utf-8",
        "billion laughs",
        "external entity",
        "external dtd",
        "billion laughs in base64",
        "external entity in a form",
        "external dtd in plaintext",
        "plaintext not utf-8",
        "form not utf-8",
        "form without cdr",
        "bad base64",
        "base64 of neither",
        "base64 without cdr=",
        "plaintext without cdr=",
    ],
)
def test_undecodable_bodies_are_400(body: bytes, content_type: str, code: str) -> None:
    error = refused(body, content_type)
    assert isinstance(error, InvalidPayload)
    assert (error.status, error.code) == (400, code)


@pytest.mark.parametrize("content_type", ["text/plain", "", "multipart/form-data", "application/octet-stream"])
def test_other_content_types_are_415(content_type: str) -> None:
    error = refused(sample(XML_BRIDGED).encode(), content_type)
    assert isinstance(error, UnsupportedMediaType)
    assert error.status == 415


def test_a_cdr_without_uuid_is_422() -> None:
    # The docs' 2008 sample has no uuid variable: its caller profile's uuid is the leg's.
    text = sample(XML_BRIDGED)
    assert text.count("<uuid>") == 2  # the caller profile's and the originatee's, no variable
    anonymous = text.replace("<uuid>6f32e2f8-38d1-43a7-b6ea-215bbfe6a314</uuid>", "<uuid></uuid>")
    error = refused(anonymous.encode(), "text/xml")
    assert (error.status, error.code) == (422, "invalid_payload")
    assert set(error.fields) == {"uuid"}


def test_a_cdr_without_start_time_is_422() -> None:
    text = re.sub(r"<times>.*</times>", "", sample(XML_UNANSWERED), flags=re.DOTALL)
    text = xml_edit(text, drop_vars=("start_epoch", "start_uepoch"))
    error = refused(text.encode(), "text/xml")
    assert (error.status, error.code) == (422, "invalid_payload")
    assert set(error.fields) == {"started_at"}


def test_a_uuid_no_call_record_can_carry_is_422() -> None:
    text = xml_edit(sample(XML_UNANSWERED), drop_vars=("uuid",), set_vars={"uuid": "80183ec8 d424"})
    error = refused(text.encode(), "text/xml")
    assert (error.status, set(error.fields)) == (422, {"uuid"})


@pytest.mark.parametrize(
    "query_uuid", ["3e7cc60a-0937-4c8d-b6a3-94c0bd25ec9f", "a_3e7cc60a-0937-4c8d-b6a3-94c0bd25ec9f"]
)
def test_a_query_uuid_naming_another_leg_is_422(query_uuid: str) -> None:
    body, content_type = xml_form(sample(XML_UNANSWERED))
    error = refused(body, content_type, {"uuid": query_uuid})
    assert (error.status, error.code, set(error.fields)) == (422, "invalid_payload", {"uuid"})
    assert query_uuid not in error.message


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b"{}", {"uuid", "started_at"}),
        (b'{"variables": []}', {"uuid", "started_at"}),
        (b'{"variables": {"uuid": 5}, "callflow": "x"}', {"uuid", "started_at"}),
        (b'{"variables": {"uuid": "u1", "start_epoch": "99999999999999999999"}}', {"started_at"}),
        (b'{"variables": {"uuid": "u1", "start_epoch": "-5"}}', {"started_at"}),
        (b'{"variables": {"uuid": "u1", "start_epoch": "1e9"}}', {"started_at"}),
        (b'{"callflow": [{"caller_profile": "x", "times": []}]}', {"uuid", "started_at"}),
        (b'{"callflow": {"profile_index": "x", "caller_profile": {"uuid": ["u"]}}}', {"uuid", "started_at"}),
        (b'{"variables": {"uuid": "u1", "start_epoch": "1", "hangup_cause": "' + b"X" * 65 + b'"}}', {"hangup_cause"}),
    ],
)
def test_odd_json_is_a_422_naming_the_field_never_a_crash(body: bytes, fields: set[str]) -> None:
    error = refused(body, "application/json")
    assert (error.status, set(error.fields)) == (422, fields)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"<cdr/>", 400),
        (b"<cdr>text</cdr>", 400),
        (b"<cdr><variables>x</variables><callflow>y</callflow></cdr>", 422),
        (b"<cdr><variables><uuid><a/></uuid></variables></cdr>", 422),
        (b"<cdr>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</cdr>", 422),
    ],
    ids=["empty", "text", "text children", "nested variable", "deep"],
)
def test_odd_xml_is_a_channel_error_never_a_crash(body: bytes, status: int) -> None:
    assert refused(body, "text/xml").status == status


# --- the shared XML reader -------------------------------------------------------------------


def test_the_shared_reader_refuses_a_doctype_before_reading_it() -> None:
    with pytest.raises(XmlBodyError, match="DOCTYPE"):
        parse_xml_document(EXTERNAL_DTD)
    assert parse_xml_document("<cdr><callflow/></cdr>", force_list=("callflow",)) == {"cdr": {"callflow": [None]}}

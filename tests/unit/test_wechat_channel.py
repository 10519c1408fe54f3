"""The WeChat channel's protocol without HTTP, with wechatpy's own crypto playing the WeChat server:
signatures, plaintext/compatible/safe pushes of every documented type, encrypted replies, and every
way a body can be wrong (each a 4xx, never a crash)."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import xmltodict
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pydantic import SecretStr
from wechatpy.exceptions import InvalidSignatureException

from channels.base import ChannelConfigError, ChannelError, ChannelServices, Forbidden, InvalidPayload
from channels.registry import REGISTRY
from channels.wechat import PASSIVE_REPLY_MAX_BYTES, WeChatChannel, WeChatRequest, split_passive
from channels.wechat_model import WeChatMessage
from domain import ChannelName, DecisionKind, IntakeReply
from normalizers.wechat import NotNormalizable
from tests.wechat_samples import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    EVENT_SAMPLES,
    MESSAGE_SAMPLES,
    MODES,
    TENCENT_SAMPLE_BODY,
    TENCENT_SAMPLE_QUERY,
    TEXT_XML,
    TOKEN,
    UNKNOWN_TYPE_XML,
    Mode,
    WeChatServer,
    make_inbound,
    message_xml,
)

NOW = 1_795_905_999
RECEIVED = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)


@dataclass
class _Settings:
    wechat_token: SecretStr | None = field(default_factory=lambda: SecretStr(TOKEN))
    wechat_aes_key: SecretStr | None = field(default_factory=lambda: SecretStr(AES_KEY))
    wechat_app_id: str | None = APP_ID
    wechat_app_secret: SecretStr | None = field(default_factory=lambda: SecretStr(APP_SECRET))


class _Nonces:
    async def use_once(self, scope: str, token: str, ttl_s: int) -> bool:
        return True


class _Signer:
    def sign(self, purpose: str, *parts: str) -> str:
        return "s"

    def check(self, signature: str, purpose: str, *parts: str) -> bool:
        return True


SERVICES = ChannelServices(nonces=_Nonces(), signer=_Signer())


@pytest.fixture
def channel() -> WeChatChannel:
    return WeChatChannel(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW)


@pytest.fixture
def server() -> WeChatServer:
    return WeChatServer(clock=lambda: NOW)


async def _receive(channel: WeChatChannel, query: dict[str, str], body: bytes) -> WeChatRequest:
    inbound = make_inbound(query, body, received_at=RECEIVED)
    await channel.verify(inbound)
    return channel.parse(inbound)


def _refused(channel: WeChatChannel, query: dict[str, str], body: bytes, status: int, code: str) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        channel.parse(make_inbound(query, body))
    assert (caught.value.status, caught.value.code) == (status, code), caught.value.message
    return caught.value


# -- configuration ------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert REGISTRY["wechat"] is WeChatChannel


def test_from_settings_with_and_without_aes_key() -> None:
    assert WeChatChannel.from_settings(_Settings(), SERVICES).encryption_configured
    plaintext_only = WeChatChannel.from_settings(_Settings(wechat_aes_key=None), SERVICES)
    assert not plaintext_only.encryption_configured


def test_from_settings_accepts_the_gateway_settings() -> None:
    from gateway.settings import Settings

    settings = Settings(
        _env_file=None,
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
    )
    assert WeChatChannel.from_settings(settings, SERVICES).encryption_configured


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"wechat_token": None}, "HOTLINE_WECHAT_TOKEN"),
        ({"wechat_token": SecretStr("  ")}, "HOTLINE_WECHAT_TOKEN"),
        ({"wechat_token": SecretStr("has space")}, "HOTLINE_WECHAT_TOKEN"),
        ({"wechat_app_id": None}, "HOTLINE_WECHAT_APP_ID"),
        ({"wechat_app_id": "gh_10f6c3c3ac5a"}, "HOTLINE_WECHAT_APP_ID"),
        ({"wechat_app_secret": None}, "HOTLINE_WECHAT_APP_SECRET"),
        ({"wechat_aes_key": SecretStr("too-short")}, "HOTLINE_WECHAT_AES_KEY"),
        ({"wechat_aes_key": SecretStr(AES_KEY[:-1] + "!")}, "HOTLINE_WECHAT_AES_KEY"),
        ({"wechat_aes_key": SecretStr(AES_KEY + "H")}, "HOTLINE_WECHAT_AES_KEY"),
    ],
)
def test_from_settings_names_the_bad_variable(overrides: dict[str, Any], variable: str) -> None:
    with pytest.raises(ChannelConfigError, match=variable):
        WeChatChannel.from_settings(_Settings(**overrides), SERVICES)


# -- signatures ---------------------------------------------------------------------------------


def test_handshake_echoes_echostr_as_sent(channel: WeChatChannel, server: WeChatServer) -> None:
    query = server.handshake_query(echostr="5837397520665436492")
    assert channel.handshake(make_inbound(query, method="GET")) == "5837397520665436492"


def test_handshake_with_tencent_signature(channel: WeChatChannel) -> None:
    query = {k: TENCENT_SAMPLE_QUERY[k] for k in ("signature", "timestamp", "nonce")}
    assert channel.handshake(make_inbound({**query, "echostr": "shr5ch"}, method="GET")) == "shr5ch"


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "0" * 40},
        {"nonce": "1"},
        {"timestamp": "1"},
        {"signature": "签名"},  # non-ASCII: compared as bytes, refused, not a TypeError
        {"signature": ""},
    ],
)
def test_handshake_refuses_a_bad_signature(
    channel: WeChatChannel, server: WeChatServer, tamper: dict[str, str]
) -> None:
    query = {**server.handshake_query(), **tamper}
    with pytest.raises(Forbidden) as caught:
        channel.handshake(make_inbound(query, method="GET"))
    assert (caught.value.status, caught.value.code) == (403, "bad_signature")


@pytest.mark.parametrize("missing", ["signature", "timestamp", "nonce"])
def test_handshake_refuses_missing_parameters(channel: WeChatChannel, server: WeChatServer, missing: str) -> None:
    query = server.handshake_query()
    del query[missing]
    with pytest.raises(Forbidden):
        channel.handshake(make_inbound(query, method="GET"))


def test_handshake_without_echostr_is_a_400(channel: WeChatChannel, server: WeChatServer) -> None:
    query = server.handshake_query()
    del query["echostr"]
    with pytest.raises(InvalidPayload) as caught:
        channel.handshake(make_inbound(query, method="GET"))
    assert caught.value.status == 400


def test_signature_uppercase_hex_is_accepted(channel: WeChatChannel, server: WeChatServer) -> None:
    query = server.handshake_query(echostr="x")
    query["signature"] = query["signature"].upper()
    assert channel.handshake(make_inbound(query, method="GET")) == "x"


@pytest.mark.parametrize("mode", MODES)
async def test_verify_refuses_a_post_with_a_wrong_signature(
    channel: WeChatChannel, server: WeChatServer, mode: Mode
) -> None:
    query, body = server.request(TEXT_XML, mode)
    await channel.verify(make_inbound(query, body))
    other = WeChatServer(token="othertoken", clock=lambda: NOW)
    forged_query, _ = other.request(TEXT_XML, mode)
    with pytest.raises(Forbidden) as caught:
        await channel.verify(make_inbound({**query, "signature": forged_query["signature"]}, body))
    assert (caught.value.status, caught.value.code) == (403, "bad_signature")
    with pytest.raises(Forbidden):
        await channel.verify(make_inbound({k: v for k, v in query.items() if k != "signature"}, body))


# -- Tencent's published sample -----------------------------------------------------------------


def _at_sample_time() -> WeChatChannel:
    """The published sample was signed in 2014: a channel whose clock stands at that moment."""
    sample_time = float(TENCENT_SAMPLE_QUERY["timestamp"])
    return WeChatChannel(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: sample_time)


async def test_tencent_sample_decrypts() -> None:
    request = await _receive(_at_sample_time(), dict(TENCENT_SAMPLE_QUERY), TENCENT_SAMPLE_BODY)
    assert request.mode == "compatible"
    message = request.message
    assert (message.msg_type, message.content, message.msg_id) == ("text", "abcdteT", "6054768590064713728")
    assert (message.from_user, message.to_user) == ("oyORnuP8q7ou2gfYjqLzSIWZf0rs", "gh_10f6c3c3ac5a")
    assert message.create_time == 1409735668
    assert (request.nonce, request.timestamp) == ("1320562132", "1409735669")


async def test_tencent_sample_reply_round_trip(server: WeChatServer) -> None:
    query = dict(TENCENT_SAMPLE_QUERY)
    channel = _at_sample_time()
    request = await _receive(channel, query, TENCENT_SAMPLE_BODY)
    response = channel.text_reply(request, "已收到")
    assert "已收到" not in (response.text or "")  # encrypted, not in the clear
    fields = server.reply_fields(response.text or "", query)
    assert fields["Content"] == "已收到"
    assert fields["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_tencent_sample_with_a_tampered_msg_signature(channel: WeChatChannel) -> None:
    query = {**TENCENT_SAMPLE_QUERY, "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fb"}
    _refused(channel, query, TENCENT_SAMPLE_BODY, 403, "bad_signature")


# -- every documented message and event, in every mode ------------------------------------------

EXPECTED_MESSAGES: dict[str, dict[str, Any]] = {
    "text": {"msg_type": "text", "content": "this is a test"},
    "image": {"msg_type": "image", "pic_url": "this is a url", "media_id": "media_id"},
    "voice": {"msg_type": "voice", "media_id": "media_id", "format": "Format", "recognition": None},
    "voice_recognition": {"msg_type": "voice", "recognition": "腾讯微信团队"},
    "video": {"msg_type": "video", "media_id": "media_id", "thumb_media_id": "thumb_media_id"},
    "shortvideo": {"msg_type": "shortvideo", "media_id": "media_id", "thumb_media_id": "thumb_media_id"},
    "location": {
        "msg_type": "location",
        "location_x": 23.134521,
        "location_y": 113.358803,
        "scale": 20,
        "label": "位置信息",
    },
    "link": {
        "msg_type": "link",
        "title": "公众平台官网链接",
        "description": "公众平台官网链接",
        "url": "url",
    },
}

EXPECTED_EVENTS: dict[str, dict[str, Any]] = {
    "subscribe": {"event": "subscribe", "event_key": None},
    "subscribe_qrscene": {"event": "subscribe", "event_key": "qrscene_123123", "ticket": "TICKET"},
    "unsubscribe": {"event": "unsubscribe"},
    "click": {"event": "click", "event_key": "EVENTKEY"},
    "view": {"event": "view", "event_key": "www.qq.com", "menu_id": "MENUID"},
    "location": {"event": "location", "latitude": 23.137466, "longitude": 113.352425, "precision": 119.38504},
    "scan": {"event": "scan", "event_key": "SCENE_VALUE", "ticket": "TICKET"},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sample", list(MESSAGE_SAMPLES))
async def test_messages_in_every_mode(channel: WeChatChannel, server: WeChatServer, mode: Mode, sample: str) -> None:
    query, body = server.request(MESSAGE_SAMPLES[sample], mode)
    request = await _receive(channel, query, body)
    assert request.mode == mode
    message = request.message
    for name, value in EXPECTED_MESSAGES[sample].items():
        assert getattr(message, name) == value, name
    assert (message.to_user, message.from_user, message.msg_id) == ("toUser", "fromUser", "1234567890123456")
    assert message.dedupe_key == "1234567890123456"
    assert message.carries_content
    assert not message.is_event
    intake = channel.normalize(request, make_inbound(query, body, received_at=RECEIVED))
    assert intake.channel is ChannelName.WECHAT
    assert intake.idempotency_key == "1234567890123456"
    assert intake.citizen.channel_user_id == "fromUser"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sample", list(EVENT_SAMPLES))
async def test_events_in_every_mode(channel: WeChatChannel, server: WeChatServer, mode: Mode, sample: str) -> None:
    query, body = server.request(EVENT_SAMPLES[sample], mode)
    request = await _receive(channel, query, body)
    message = request.message
    assert (request.mode, message.msg_type, message.is_event, message.msg_id) == (mode, "event", True, None)
    for name, value in EXPECTED_EVENTS[sample].items():
        assert getattr(message, name) == value, name
    assert message.dedupe_key == f"{message.from_user}:123456789:{message.event}"
    with pytest.raises(NotNormalizable):
        channel.normalize(request, make_inbound(query, body))


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_type_is_parsed_not_refused(channel: WeChatChannel, server: WeChatServer, mode: Mode) -> None:
    query, body = server.request(UNKNOWN_TYPE_XML, mode)
    request = await _receive(channel, query, body)
    assert request.message.msg_type == "miniprogrampage"
    assert not request.message.carries_content
    assert request.message.dedupe_key == "1234567890123457"
    with pytest.raises(NotNormalizable):
        channel.normalize(request, make_inbound(query, body))


async def test_compatible_mode_uses_the_decrypted_message(channel: WeChatChannel, server: WeChatServer) -> None:
    query, body = server.request(message_xml("text", Content="真实内容", msg_id="42"), "compatible")
    # Plain elements are not covered by msg_signature: whatever they say, the ciphertext wins.
    forged = body.replace("真实内容".encode(), "伪造内容".encode(), 1)
    assert forged != body
    request = await _receive(channel, query, forged)
    assert request.message.content == "真实内容"


async def test_safe_mode_body_holds_no_plain_content(server: WeChatServer) -> None:
    _, body = server.request(TEXT_XML, "safe")
    assert set(xmltodict.parse(body)["xml"]) == {"ToUserName", "Encrypt"}


async def test_normalize_received_at_in_shanghai(channel: WeChatChannel, server: WeChatServer) -> None:
    query, body = server.request(TEXT_XML, "safe")
    inbound = make_inbound(query, body, received_at=RECEIVED)
    intake = channel.normalize(channel.parse(inbound), inbound)
    assert intake.received_at.isoformat() == "2026-11-28T10:30:00+08:00"
    assert intake.source.message_id == "1234567890123456"
    assert intake.content.text == "this is a test"


# -- replies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_text_reply_round_trip(channel: WeChatChannel, server: WeChatServer, mode: Mode) -> None:
    query, body = server.request(TEXT_XML, mode)
    request = await _receive(channel, query, body)
    response = channel.text_reply(request, "您的诉求已受理，工单号 12328-20261128-000042。")
    assert response.content_type == "application/xml"
    assert response.charset == "utf-8"
    raw = response.text or ""
    envelope = xmltodict.parse(raw)["xml"]
    if mode == "plaintext":
        assert "Encrypt" not in envelope
    else:
        assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
        assert (envelope["TimeStamp"], envelope["Nonce"]) == (query["timestamp"], query["nonce"])
        assert "工单号" not in raw
    fields = server.reply_fields(raw, query)
    assert fields == {
        "MsgType": "text",
        "Content": "您的诉求已受理，工单号 12328-20261128-000042。",
        "FromUserName": "toUser",
        "ToUserName": "fromUser",
        "CreateTime": str(NOW),
    }


async def test_encrypted_reply_with_a_broken_signature_is_caught_by_wechatpy(
    channel: WeChatChannel, server: WeChatServer
) -> None:
    query, body = server.request(TEXT_XML, "safe")
    raw = channel.text_reply(await _receive(channel, query, body), "好").text or ""
    envelope = xmltodict.parse(raw)["xml"]
    tampered = raw.replace(envelope["MsgSignature"], "0" * 40)
    with pytest.raises(InvalidSignatureException):
        server.decrypt_reply(tampered, query)


@pytest.mark.parametrize("mode", MODES)
async def test_reply_text_that_would_break_cdata(channel: WeChatChannel, server: WeChatServer, mode: Mode) -> None:
    query, body = server.request(TEXT_XML, mode)
    request = await _receive(channel, query, body)
    text = "a]]><MsgType>news</MsgType>\x00\x07b"
    fields = server.reply_fields(channel.text_reply(request, text).text or "", query)
    assert fields["Content"] == "a]]><MsgType>news</MsgType>b"
    assert fields["MsgType"] == "text"


def test_success_reply() -> None:
    response = WeChatChannel.success_reply()
    assert (response.status, response.text, response.content_type) == (200, "success", "text/plain")


async def test_reply_renders_the_intake_reply_message(channel: WeChatChannel, server: WeChatServer) -> None:
    query, body = server.request(TEXT_XML, "safe")
    request = await _receive(channel, query, body)
    reply = IntakeReply(
        ticket_no="12328-20261128-000042",
        decision=DecisionKind.ACCEPTED,
        category=None,
        domain=None,
        urgent=False,
        message="已受理",
    )
    assert server.reply_fields(channel.reply(reply, request).text or "", query)["Content"] == "已受理"
    with pytest.raises(TypeError):
        channel.reply(reply)


# -- refused bodies -----------------------------------------------------------------------------


def test_wrong_app_id(channel: WeChatChannel) -> None:
    foreign = WeChatServer(app_id="wx0123456789abcdef", clock=lambda: NOW)
    query, body = foreign.request(TEXT_XML, "safe")
    _refused(channel, query, body, 403, "wrong_app_id")


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_bad_msg_signature(channel: WeChatChannel, server: WeChatServer, mode: Mode) -> None:
    query, body = server.request(TEXT_XML, mode)
    _refused(channel, {**query, "msg_signature": "f" * 40}, body, 403, "bad_signature")
    _refused(channel, {k: v for k, v in query.items() if k != "msg_signature"}, body, 403, "bad_signature")


def test_ciphertext_swapped_for_another_one_fails_the_signature(channel: WeChatChannel, server: WeChatServer) -> None:
    query, _ = server.request(TEXT_XML, "safe")
    _, other_body = server.request(message_xml("text", Content="别的消息"), "safe")
    _refused(channel, query, other_body, 403, "bad_signature")


def _frame(xml: bytes, app_id: bytes, padding: bytes) -> str:
    """WeChat's plaintext frame encrypted with the sample key, with a chosen (maybe wrong) padding."""
    key = base64.b64decode(AES_KEY + "=")
    plain = b"0123456789abcdef" + struct.pack(">I", len(xml)) + xml + app_id + padding
    assert len(plain) % 16 == 0, "AES-CBC needs whole blocks"
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _valid_padding(length: int) -> bytes:
    count = 32 - length % 32
    return bytes([count]) * count


@pytest.mark.parametrize(
    "encrypt",
    [
        "this is not base64!",
        base64.b64encode(b"x" * 20).decode(),  # not a whole number of AES blocks
        base64.b64encode(b"\x00" * 64).decode(),  # decrypts to noise
        base64.b64encode(bytes(range(48))).decode(),
        _frame(b"<xml/>", APP_ID.encode(), b"\x00" * 20),  # padding byte 0
        _frame(b"<xml/>", APP_ID.encode(), bytes([40]) * 20),  # padding longer than WeChat's 32
        _frame(b"<xml/>", APP_ID.encode(), b"\x00" * 19 + bytes([21])),  # inconsistent padding
        _frame(b"\xff\xfe<xml/>", APP_ID.encode(), _valid_padding(16 + 4 + 8 + 18)),  # not UTF-8
    ],
)
def test_undecryptable_ciphertext(server: WeChatServer, channel: WeChatChannel, encrypt: str) -> None:
    query, body = server.encrypted_request(encrypt)
    _refused(channel, query, body, 400, "undecryptable")


def test_well_formed_frame_for_another_app_id_is_wrong_app_id(server: WeChatServer, channel: WeChatChannel) -> None:
    xml, app_id = TEXT_XML.encode(), b"wx0123456789abcdef"
    query, body = server.encrypted_request(_frame(xml, app_id, _valid_padding(20 + len(xml) + len(app_id))))
    _refused(channel, query, body, 403, "wrong_app_id")


def test_aes_without_a_configured_key(server: WeChatServer) -> None:
    plaintext_only = WeChatChannel(token=TOKEN, app_id=APP_ID)
    query, body = server.request(TEXT_XML, "safe")
    _refused(plaintext_only, query, body, 400, "aes_not_configured")


def test_aes_without_encrypt_element(channel: WeChatChannel, server: WeChatServer) -> None:
    query, _ = server.request(TEXT_XML, "safe")
    _refused(channel, query, TEXT_XML.encode(), 400, "malformed_xml")


def test_unknown_encrypt_type(channel: WeChatChannel, server: WeChatServer) -> None:
    query, body = server.request(TEXT_XML)
    _refused(channel, {**query, "encrypt_type": "des"}, body, 400, "bad_encrypt_type")


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body(channel: WeChatChannel, server: WeChatServer, body: bytes) -> None:
    query, _ = server.request(TEXT_XML)
    _refused(channel, query, body, 400, "empty_body")


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
    "<xml><ToUserName>toUser</ToUserName><FromUserName>fromUser</FromUserName>"
    "<CreateTime>1348831860</CreateTime><MsgType>text</MsgType><Content>&lol4;</Content>"
    "<MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>toUser</ToUserName><FromUserName>fromUser</FromUserName>"
    "<CreateTime>1348831860</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content>"
    "<MsgId>1</MsgId></xml>"
)
EXTERNAL_DTD = '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">' + TEXT_XML

MALFORMED = {
    "truncated": TEXT_XML[:-10],
    "not xml": "hello",
    "json": '{"MsgType": "text"}',
    "other root": TEXT_XML.replace("<xml>", "<root>").replace("</xml>", "</root>"),
    "text root": "<xml>text</xml>",
    "empty root": "<xml/>",
    "no MsgType": TEXT_XML.replace("<MsgType><![CDATA[text]]></MsgType>", ""),
    "no FromUserName": TEXT_XML.replace("<FromUserName><![CDATA[fromUser]]></FromUserName>", ""),
    "no CreateTime": TEXT_XML.replace("<CreateTime>1348831860</CreateTime>", ""),
    "two MsgTypes": TEXT_XML.replace("</xml>", "<MsgType>image</MsgType></xml>"),
    "nested Content": TEXT_XML.replace("<![CDATA[this is a test]]>", "<b>x</b>"),
    "CreateTime not a number": TEXT_XML.replace("1348831860", "yesterday"),
    "openid with spaces": TEXT_XML.replace("fromUser", "from user"),
    "latitude out of range": message_xml("location", Location_X=123.0, Location_Y=113.3),
    "latitude not a number": message_xml("location", Location_X="north", Location_Y=113.3),
    "event without Event": message_xml("event"),
    "undefined entity": TEXT_XML.replace("<![CDATA[this is a test]]>", "&nope;"),
    "billion laughs": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "external DTD": EXTERNAL_DTD,
}


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_xml(channel: WeChatChannel, server: WeChatServer, encrypted: bool, case: str) -> None:
    xml = MALFORMED[case]
    if encrypted:  # the same bad XML inside a correctly encrypted and signed envelope
        query, body = server.encrypted_request(server.encrypt(xml))
    else:
        query, _ = server.request(TEXT_XML)
        body = xml.encode()
    error = _refused(channel, query, body, 400, "malformed_xml")
    assert isinstance(error, InvalidPayload)
    assert "fromUser" not in error.message
    assert "this is a test" not in error.message


def test_malformed_field_is_named(channel: WeChatChannel, server: WeChatServer) -> None:
    query, _ = server.request(TEXT_XML)
    body = message_xml("location", Location_X="north", Location_Y=113.3).encode()
    error = _refused(channel, query, body, 400, "malformed_xml")
    assert set(error.fields) == {"Location_X"}


@pytest.mark.parametrize("mode", ["plaintext", "compatible"])
def test_outer_envelope_with_entities_is_refused(channel: WeChatChannel, server: WeChatServer, mode: Mode) -> None:
    query, _ = server.request(TEXT_XML, mode)
    _refused(channel, query, BILLION_LAUGHS.encode(), 400, "malformed_xml")
    _refused(channel, query, EXTERNAL_ENTITY.encode(), 400, "malformed_xml")


def test_non_utf8_body(channel: WeChatChannel, server: WeChatServer) -> None:
    xml = message_xml("text", Content="高速公路收费站乱收费", msg_id="7")
    query, _ = server.request(xml)
    _refused(channel, query, xml.encode("gbk"), 400, "malformed_xml")


def test_model_repr_hides_personal_data(channel: WeChatChannel) -> None:
    message = WeChatMessage.from_xml(message_xml("text", from_user="oSecretOpenid", Content="手机13812345678"))
    shown = repr(message)
    assert "oSecretOpenid" not in shown
    assert "13812345678" not in shown
    assert "text" in shown


# -- split_passive ------------------------------------------------------------------------------


def test_split_passive_cuts_a_long_chinese_answer_at_a_full_stop() -> None:
    sentence = "高速公路通行费按照车型和行驶里程收取，具体标准以各省公布的收费标准为准。"
    text = sentence * 30
    assert len(text.encode()) > 3000
    head, rest = split_passive(text)
    assert len(head.encode()) <= PASSIVE_REPLY_MAX_BYTES
    assert head.endswith("。")
    assert rest.startswith("高速")
    assert head + rest == text
    assert len(head.encode()) > PASSIVE_REPLY_MAX_BYTES - len(sentence.encode())


def test_split_passive_short_text_is_whole() -> None:
    assert split_passive("  您好。  ") == ("您好。", "")
    assert split_passive("") == ("", "")


def test_split_passive_exactly_at_the_limit() -> None:
    text = "好" * (PASSIVE_REPLY_MAX_BYTES // 3)  # 682 characters, 2046 bytes
    assert split_passive(text) == (text, "")


def test_split_passive_without_sentence_end_cuts_between_characters() -> None:
    text = "路" * 1000  # 3000 bytes, no punctuation
    head, rest = split_passive(text)
    assert head == "路" * 682
    assert rest == "路" * 318


def test_split_passive_falls_back_to_a_clause_end() -> None:
    text = "，".join(["请携带身份证件"] * 200)  # one sentence far longer than the limit
    head, rest = split_passive(text)
    assert len(head.encode()) <= PASSIVE_REPLY_MAX_BYTES
    assert head.endswith("，")
    assert rest.startswith("请携带")
    assert head + rest == text


def test_split_passive_never_splits_a_four_byte_character() -> None:
    text = "🚌" * 600
    head, rest = split_passive(text, 2050)
    assert head == "🚌" * 512
    assert head + rest == text


@pytest.mark.parametrize("mark", list("！？!?；;"))
def test_split_passive_other_sentence_ends(mark: str) -> None:
    text = "甲" * 10 + mark + "乙" * 10
    assert split_passive(text, 40) == ("甲" * 10 + mark, "乙" * 10)


def test_split_passive_at_a_line_break_and_keeps_closing_quotes() -> None:
    assert split_passive("第一行内容\n第二行内容", 20) == ("第一行内容", "第二行内容")
    assert split_passive("他说：“请稍候。”然后离开了很久很久", 30) == (
        "他说：“请稍候。”",
        "然后离开了很久很久",
    )


def test_split_passive_takes_the_last_sentence_end_that_fits() -> None:
    head, rest = split_passive("路\n" + "长" * 20, 12)
    assert head == "路"
    assert rest == "长" * 20


def test_split_passive_rejects_a_limit_below_one_character() -> None:
    with pytest.raises(ValueError, match="limit_bytes"):
        split_passive("好", 3)

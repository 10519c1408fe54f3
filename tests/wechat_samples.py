"""WeChat test material: the official docs' XML samples, Tencent's published encryption sample, and
`WeChatServer`, which plays the WeChat server with wechatpy's own crypto (never with ours), so a test
passes only if our channel speaks the protocol as wechatpy does.

    server = WeChatServer()                       # the Tencent sample account (spamtest, …)
    query, body = server.request(TEXT_XML, "safe")
    # POST /channels/wechat?{urlencode(query)} with body, then:
    reply_xml = server.decrypt_reply(response_body, query)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlencode

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from channels.base import Inbound

Mode = Literal["plaintext", "compatible", "safe"]
MODES: tuple[Mode, ...] = ("plaintext", "compatible", "safe")

# The account of Tencent's sample code (WXBizMsgCrypt demo): token, EncodingAESKey and AppID.
TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
APP_SECRET = "0123456789abcdef0123456789abcdef"  # made up: never sent anywhere by these tests
ACCOUNT = "gh_10f6c3c3ac5a"

# Tencent's published decryption sample (compatible mode: plain elements and <Encrypt>).
TENCENT_SAMPLE_QUERY = {
    "signature": "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "encrypt_type": "aes",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
}
TENCENT_SAMPLE_BODY = (
    b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    b"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    b"<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    b"<Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6"
    b"F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVt"
    b"icbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77Tsz"
    b"TfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsN"
    b"PfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>"
)

# 接收普通消息 / 接收事件推送: the samples of the official docs, as published.
TEXT_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>"
)
IMAGE_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType>"
    "<PicUrl><![CDATA[this is a url]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"
    "<MsgId>1234567890123456</MsgId></xml>"
)
VOICE_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
    "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[Format]]></Format>"
    "<MsgId>1234567890123456</MsgId></xml>"
)
VOICE_AMR_XML = VOICE_XML.replace("<![CDATA[Format]]>", "<![CDATA[amr]]>")
VOICE_RECOGNITION_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
    "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[Format]]></Format>"
    "<Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123456</MsgId></xml>"
)
VIDEO_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1357290913</CreateTime><MsgType><![CDATA[video]]></MsgType>"
    "<MediaId><![CDATA[media_id]]></MediaId><ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>"
    "<MsgId>1234567890123456</MsgId></xml>"
)
SHORTVIDEO_XML = VIDEO_XML.replace("<![CDATA[video]]>", "<![CDATA[shortvideo]]>")
LOCATION_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1351776360</CreateTime><MsgType><![CDATA[location]]></MsgType>"
    "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
    "<Label><![CDATA[位置信息]]></Label><MsgId>1234567890123456</MsgId></xml>"
)
LINK_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1351776360</CreateTime><MsgType><![CDATA[link]]></MsgType>"
    "<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description>"
    "<Url><![CDATA[url]]></Url><MsgId>1234567890123456</MsgId></xml>"
)
SUBSCRIBE_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[subscribe]]></Event></xml>"
)
SUBSCRIBE_QRSCENE_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey>"
    "<Ticket><![CDATA[TICKET]]></Ticket></xml>"
)
UNSUBSCRIBE_XML = SUBSCRIBE_XML.replace("<![CDATA[subscribe]]>", "<![CDATA[unsubscribe]]>")
SCAN_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[SCENE_VALUE]]></EventKey>"
    "<Ticket><![CDATA[TICKET]]></Ticket></xml>"
)
LOCATION_EVENT_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude>"
    "<Precision>119.385040</Precision></xml>"
)
CLICK_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[EVENTKEY]]></EventKey></xml>"
)
VIEW_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[www.qq.com]]></EventKey><MenuId>MENUID</MenuId></xml>"
)
# A type the docs do not list for official accounts (mini-program cards reach some accounts).
UNKNOWN_TYPE_XML = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[miniprogrampage]]></MsgType>"
    "<Title><![CDATA[卡片]]></Title><AppId><![CDATA[wxabcdef]]></AppId><MsgId>1234567890123457</MsgId></xml>"
)

MESSAGE_SAMPLES: dict[str, str] = {
    "text": TEXT_XML,
    "image": IMAGE_XML,
    "voice": VOICE_XML,
    "voice_recognition": VOICE_RECOGNITION_XML,
    "video": VIDEO_XML,
    "shortvideo": SHORTVIDEO_XML,
    "location": LOCATION_XML,
    "link": LINK_XML,
}
EVENT_SAMPLES: dict[str, str] = {
    "subscribe": SUBSCRIBE_XML,
    "subscribe_qrscene": SUBSCRIBE_QRSCENE_XML,
    "unsubscribe": UNSUBSCRIBE_XML,
    "click": CLICK_XML,
    "view": VIEW_XML,
    "location": LOCATION_EVENT_XML,
    "scan": SCAN_XML,
}


def message_xml(
    msg_type: str,
    *,
    from_user: str = "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
    to_user: str = ACCOUNT,
    create_time: int | None = None,
    msg_id: str | None = None,
    **elements: str | int | float,
) -> str:
    """A push of any type, e.g. `message_xml("text", Content="高速收费站多收费", msg_id="1001")` or
    `message_xml("event", Event="CLICK", EventKey="COMPLAINT")`. Events get no MsgId."""
    fields: dict[str, object] = {
        "ToUserName": to_user,
        "FromUserName": from_user,
        "CreateTime": int(time.time()) if create_time is None else create_time,
        "MsgType": msg_type,
    }
    fields.update(elements)
    if msg_type != "event":
        fields["MsgId"] = msg_id or str(secrets.randbits(63))
    return str(xmltodict.unparse({"xml": fields}, full_document=False))


class WeChatServer:
    """The WeChat side of the protocol, built on wechatpy: signs and (for compatible and safe mode)
    encrypts pushes, and checks and decrypts the passive replies."""

    def __init__(
        self,
        token: str = TOKEN,
        aes_key: str = AES_KEY,
        app_id: str = APP_ID,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id)
        self._clock = clock

    def signature(self, timestamp: str, nonce: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        return str(signer.signature)

    def handshake_query(self, echostr: str = "5837397520665436492") -> dict[str, str]:
        timestamp, nonce = self._fresh()
        return {
            "signature": self.signature(timestamp, nonce),
            "echostr": echostr,
            "timestamp": timestamp,
            "nonce": nonce,
        }

    def request(
        self,
        xml: str,
        mode: Mode = "plaintext",
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The query and body WeChat would POST for the message `xml` in `mode`."""
        fresh_timestamp, fresh_nonce = self._fresh()
        timestamp = timestamp or fresh_timestamp
        nonce = nonce or fresh_nonce
        plain = xmltodict.parse(xml)["xml"]
        query = {
            "signature": self.signature(timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": plain["FromUserName"],
        }
        if mode == "plaintext":
            return query, xml.encode()
        encrypt = self.encrypt(xml)
        query.update(encrypt_type="aes", msg_signature=self.msg_signature(timestamp, nonce, encrypt))
        if mode == "safe":
            envelope = {"ToUserName": plain["ToUserName"], "Encrypt": encrypt}
        else:
            envelope = {**plain, "Encrypt": encrypt}
        body = xmltodict.unparse({"xml": envelope}, full_document=False)
        return query, body.encode()

    def encrypt(self, xml: str) -> str:
        """The `<Encrypt>` value of `xml`: wechatpy's reply envelope holds the same ciphertext a
        push carries (a push has the signature in the query instead)."""
        return str(xmltodict.parse(self.crypto.encrypt_message(xml, "0", "0"))["xml"]["Encrypt"])

    def msg_signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce, encrypt)
        return str(signer.signature)

    def encrypted_request(self, encrypt: str, *, to_user: str = ACCOUNT) -> tuple[dict[str, str], bytes]:
        """A correctly signed safe-mode push of any `<Encrypt>` value (garbage, foreign frames)."""
        timestamp, nonce = self._fresh()
        query = {
            "signature": self.signature(timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": self.msg_signature(timestamp, nonce, encrypt),
        }
        body = xmltodict.unparse({"xml": {"ToUserName": to_user, "Encrypt": encrypt}}, full_document=False)
        return query, body.encode()

    def decrypt_reply(self, body: bytes | str, query: Mapping[str, str]) -> str:
        """The reply's XML: as is for plaintext pushes; for encrypted ones, its MsgSignature checked
        (wechatpy raises InvalidSignatureException) and its <Encrypt> decrypted."""
        text = body.decode() if isinstance(body, bytes) else body
        if query.get("encrypt_type") != "aes":
            return text
        envelope = xmltodict.parse(text)["xml"]
        return str(
            self.crypto.decrypt_message(envelope, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        )

    def reply_fields(self, body: bytes | str, query: Mapping[str, str]) -> dict[str, str]:
        """The reply's elements, e.g. `{"ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"}`."""
        return dict(xmltodict.parse(self.decrypt_reply(body, query))["xml"])

    def _fresh(self) -> tuple[str, str]:
        return str(int(self._clock())), str(secrets.randbelow(10**10))


def make_inbound(
    query: Mapping[str, str],
    body: bytes = b"",
    *,
    method: str = "POST",
    received_at: datetime | None = None,
) -> Inbound:
    """The `Inbound` the gateway would build for this request (tests of the channel without HTTP)."""
    return Inbound(
        method=method,
        path="/channels/wechat",
        query=dict(query),
        headers={"Content-Type": "text/xml"},
        body=body,
        client="101.226.103.0",
        received_at=received_at or datetime.now(UTC),
        content_type="text/xml",
    )


def url_with_query(query: Mapping[str, str], path: str = "/channels/wechat") -> str:
    return f"{path}?{urlencode(query)}"

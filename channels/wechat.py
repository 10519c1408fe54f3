"""The WeChat official-account channel: the protocol (signatures, the three message modes, replies).

- Every request carries `signature` = sha1 of the sorted (Token, timestamp, nonce) in its query: the
  GET handshake echoes `echostr` back when it holds, every POST is refused without it.
- Plaintext mode: the body is the message. With `encrypt_type=aes` the body carries `<Encrypt>`,
  signed by `msg_signature` = sha1 of the sorted (Token, timestamp, nonce, Encrypt): alone (safe mode)
  or beside the plain elements (compatible mode). Either way the decrypted message is the one used,
  and the passive reply is encrypted back.
- Passive replies (被动回复) must come within WeChat's 5-second window; `success_reply()` tells WeChat
  that the answer comes later (customer-service API) or never, so it does not retry.

What to do with a message (tickets, conversations, late replies) is the gateway's WeChat flow; this
module never logs, so no openid or message content can reach a log from here (第七条).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pydantic import SecretStr
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply

from channels.base import (
    Channel,
    ChannelConfigError,
    ChannelServices,
    Forbidden,
    Inbound,
    InvalidPayload,
)
from channels.wechat_model import WeChatMessage, WeChatXmlError, parse_xml
from domain import Intake, IntakeReply
from normalizers.wechat import wechat_message_to_intake

Mode = Literal["plaintext", "compatible", "safe"]

# WeChat's limit for a passive text reply; longer ones are not delivered.
PASSIVE_REPLY_MAX_BYTES = 2048
_SENTENCE_ENDS = "。！？!?；;\n"
_CLAUSE_ENDS = "，、,"  # a sentence longer than the window is better cut after a clause than mid-word
_CLOSERS = "”’」』）)》】"  # kept with the sentence they close

_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # 服务器配置: 3–32 letters or digits
_AES_KEY = re.compile(r"^[A-Za-z0-9+/]{43}$")  # EncodingAESKey: 43 characters, base64 of 32 bytes
_APP_ID = re.compile(r"^wx[0-9a-fA-F]{16}$")
# Characters XML 1.0 cannot carry at all, even in CDATA: WeChat would refuse the whole reply.
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


TIMESTAMP_SKEW_S = 300


class WeChatSettings(Protocol):
    wechat_token: SecretStr | None
    wechat_aes_key: SecretStr | None
    wechat_app_id: str | None
    wechat_app_secret: SecretStr | None


@dataclass(frozen=True, slots=True)
class WeChatRequest:
    """A verified, parsed push, with what its passive reply needs (mode, nonce, timestamp)."""

    mode: Mode
    message: WeChatMessage
    nonce: str
    timestamp: str

    @property
    def encrypted(self) -> bool:
        return self.mode != "plaintext"


def wechat_signature(*parts: str) -> str:
    """sha1 hex of the parts sorted and joined: `signature` (Token, timestamp, nonce) and
    `msg_signature` (the same and Encrypt)."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)


def split_passive(text: str, limit_bytes: int = PASSIVE_REPLY_MAX_BYTES) -> tuple[str, str]:
    """`(head, rest)`: head at most `limit_bytes` of UTF-8, cut after the last sentence end that
    fits (else after the last clause, else at a character boundary); rest is what follows (maybe
    ""). Both stripped; nothing is dropped but the whitespace at the cut."""
    if limit_bytes < 4:
        raise ValueError("limit_bytes must hold at least one character (4 bytes)")
    text = text.strip()
    encoded = text.encode()
    if len(encoded) <= limit_bytes:
        return text, ""
    # The longest prefix within the limit: a character cut in half is dropped by the decoder.
    window = encoded[:limit_bytes].decode("utf-8", errors="ignore")
    cut = len(window)
    for marks in (_SENTENCE_ENDS, _CLAUSE_ENDS):
        end = max(window.rfind(mark) for mark in marks)
        if end >= 0:
            cut = end + 1
            while cut < len(window) and window[cut] in _CLOSERS:
                cut += 1
            break
    return text[:cut].strip(), text[cut:].strip()


class WeChatChannel(Channel[WeChatRequest]):
    name: ClassVar[str] = "wechat"

    def __init__(
        self,
        *,
        token: str,
        app_id: str,
        aes_key: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = token
        self._app_id = app_id
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: WeChatSettings, services: ChannelServices) -> WeChatChannel:
        token = _secret(settings.wechat_token)
        if not token:
            raise ChannelConfigError("wechat channel: HOTLINE_WECHAT_TOKEN is not set (服务器配置 Token)")
        if not _TOKEN.match(token):
            raise ChannelConfigError("wechat channel: HOTLINE_WECHAT_TOKEN must be 3–32 letters or digits")
        app_id = (settings.wechat_app_id or "").strip()
        if not app_id:
            raise ChannelConfigError("wechat channel: HOTLINE_WECHAT_APP_ID is not set (the account's AppID)")
        if not _APP_ID.match(app_id):
            raise ChannelConfigError("wechat channel: HOTLINE_WECHAT_APP_ID must look like wx + 16 hex digits")
        # Not used here, but late replies (customer-service API) cannot be sent without it: a
        # channel that takes messages it can never answer must not start.
        if not _secret(settings.wechat_app_secret):
            raise ChannelConfigError(
                "wechat channel: HOTLINE_WECHAT_APP_SECRET is not set (needed for replies after 5 s)"
            )
        aes_key = _secret(settings.wechat_aes_key) or None
        if aes_key is not None and not _valid_aes_key(aes_key):
            raise ChannelConfigError("wechat channel: HOTLINE_WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        return cls(token=token, app_id=app_id, aes_key=aes_key)

    @property
    def app_id(self) -> str:
        return self._app_id

    @property
    def encryption_configured(self) -> bool:
        return self._crypto is not None

    # -- authenticity ------------------------------------------------------------------------

    def handshake(self, inbound: Inbound) -> str:
        """The server-configuration check (GET): `echostr` back, as sent, when the signature holds."""
        self._check_signature(inbound)
        echostr = inbound.query.get("echostr")
        if not echostr:
            raise InvalidPayload("echostr is missing", code="missing_echostr", status=400)
        return echostr

    async def verify(self, inbound: Inbound) -> None:
        """`signature` of every POST; in the AES modes `parse` also checks `msg_signature`, which
        (unlike `signature`) covers the message itself.

        `signature` covers only token, timestamp and nonce, so a leaked query string could carry
        any plaintext body: the timestamp must be recent (WeChat's retries come within seconds)."""
        self._check_signature(inbound)
        timestamp = inbound.query.get("timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - self._clock()) > TIMESTAMP_SKEW_S:
            raise Forbidden(f"timestamp outside ±{TIMESTAMP_SKEW_S} s", code="stale_timestamp")

    def _check_signature(self, inbound: Inbound) -> None:
        query = inbound.query
        signature, timestamp, nonce = query.get("signature"), query.get("timestamp"), query.get("nonce")
        if not (signature and timestamp and nonce):
            raise Forbidden("signature, timestamp and nonce are required", code="bad_signature")
        if not _same(wechat_signature(self._token, timestamp, nonce), signature):
            raise Forbidden("signature does not match", code="bad_signature")

    # -- parsing -----------------------------------------------------------------------------

    def parse(self, inbound: Inbound) -> WeChatRequest:
        """The push, decrypted when `encrypt_type=aes`. Refusals: 400 `empty_body`, `malformed_xml`
        (also DOCTYPE/entities, non-UTF-8, missing MsgType/FromUserName/ToUserName/CreateTime),
        `bad_encrypt_type`, `aes_not_configured`, `undecryptable`; 403 `bad_signature` (msg_signature),
        `wrong_app_id`."""
        if not inbound.body.strip():
            raise InvalidPayload("body is empty", code="empty_body", status=400)
        query = inbound.query
        nonce, timestamp = query.get("nonce", ""), query.get("timestamp", "")
        fields = _xml_fields(inbound.body)
        encrypt_type = (query.get("encrypt_type") or "raw").lower()
        if encrypt_type == "raw":
            return WeChatRequest("plaintext", _message(fields), nonce, timestamp)
        if encrypt_type != "aes":
            raise InvalidPayload(f"unknown encrypt_type {encrypt_type[:16]!r}", code="bad_encrypt_type", status=400)
        mode: Mode = "compatible" if "MsgType" in fields else "safe"
        decrypted = self._decrypt(fields, query.get("msg_signature", ""), timestamp, nonce)
        return WeChatRequest(mode, _message(_xml_fields(decrypted)), nonce, timestamp)

    def _decrypt(self, fields: dict[str, object], msg_signature: str, timestamp: str, nonce: str) -> str:
        if self._crypto is None:
            raise InvalidPayload(
                "encrypted message, but no EncodingAESKey is configured (HOTLINE_WECHAT_AES_KEY)",
                code="aes_not_configured",
                status=400,
            )
        encrypt = fields.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise InvalidPayload(
                "encrypt_type=aes but no <Encrypt>",
                code="malformed_xml",
                status=400,
                fields={"Encrypt": "is missing"},
            )
        # Checked here in constant time (wechatpy compares with !=) and before any decryption.
        if not msg_signature or not _same(wechat_signature(self._token, timestamp, nonce, encrypt), msg_signature):
            raise Forbidden("msg_signature does not match", code="bad_signature")
        try:
            decrypted: str = self._crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
        except InvalidSignatureException as exc:
            raise Forbidden("msg_signature does not match", code="bad_signature") from exc
        except InvalidAppIdException as exc:
            # wechatpy checks no padding: garbage that decrypts to anything lands here too.
            if _well_formed_plaintext(self._crypto.key, encrypt):
                raise Forbidden("message encrypted for another AppID", code="wrong_app_id") from exc
            raise _undecryptable() from exc
        except (ValueError, IndexError, TypeError, struct.error) as exc:
            # base64 (binascii.Error), block length, UTF-8 (UnicodeDecodeError), truncated frames.
            raise _undecryptable() from exc
        return decrypted

    def normalize(self, native: WeChatRequest, inbound: Inbound) -> Intake:
        """The citizen's message as an `Intake`; `normalizers.wechat.NotNormalizable` (a ValueError)
        for events and unknown types — check `native.message.carries_content` first."""
        return wechat_message_to_intake(native.message, received_at=inbound.received_at)

    # -- replies -----------------------------------------------------------------------------

    def text_reply(self, native: WeChatRequest, text: str) -> web.Response:
        """A passive text reply to `native`'s sender, encrypted when the push was. Keep `text` within
        `PASSIVE_REPLY_MAX_BYTES` (see `split_passive`): WeChat drops longer replies."""
        message = native.message
        reply = TextReply(
            source=message.to_user,
            target=message.from_user,
            time=int(self._clock()),
            content=_cdata_safe(text),
        )
        xml: str = reply.render()
        if native.encrypted:
            if self._crypto is None:  # parse() never builds an encrypted request without a key
                raise RuntimeError("an encrypted request reached a channel without EncodingAESKey")
            xml = self._crypto.encrypt_message(xml, native.nonce, native.timestamp)
        return web.Response(text=xml, content_type="application/xml", charset="utf-8")

    @staticmethod
    def success_reply() -> web.Response:
        """What WeChat wants when the answer comes later or never: no retry, nothing shown."""
        return web.Response(text="success", content_type="text/plain", charset="utf-8")

    def reply(self, reply: IntakeReply, request: WeChatRequest | None = None) -> web.Response:
        """`reply.message` as a passive text reply to `request`. A WeChat reply has no addressee
        without the request it answers, so `request` is required despite the base signature."""
        if request is None:
            raise TypeError("WeChatChannel.reply needs the WeChatRequest it answers")
        return self.text_reply(request, reply.message)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""


def _valid_aes_key(key: str) -> bool:
    if not _AES_KEY.match(key):
        return False
    try:
        return len(base64.b64decode(key + "=")) == 32
    except binascii.Error:
        return False


def _same(expected: str, given: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a query may hold any.
    return hmac.compare_digest(expected.encode(), given.lower().encode())


def _xml_fields(body: bytes | str) -> dict[str, object]:
    try:
        return parse_xml(body)
    except WeChatXmlError as exc:
        raise InvalidPayload(str(exc), code="malformed_xml", status=400) from exc


def _message(fields: dict[str, object]) -> WeChatMessage:
    try:
        return WeChatMessage.from_xml_fields(fields)
    except WeChatXmlError as exc:
        raise InvalidPayload(str(exc), code="malformed_xml", status=400, fields=exc.fields) from exc


def _undecryptable() -> InvalidPayload:
    return InvalidPayload("<Encrypt> cannot be decrypted with the EncodingAESKey", code="undecryptable", status=400)


def _well_formed_plaintext(key: bytes, encrypt: str) -> bool:
    """Whether `encrypt` decrypts to WeChat's frame: 16 random bytes, a 4-byte big-endian length,
    the XML, the AppID, PKCS#7 padding to 32 bytes. Tells a foreign AppID from garbage."""
    try:
        data = base64.b64decode(encrypt, validate=True)
    except binascii.Error:
        return False
    if not data or len(data) % 16:
        return False
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        return False
    frame = plain[16:-pad]
    if len(frame) < 4:
        return False
    length = int.from_bytes(frame[:4], "big")
    return 4 + length < len(frame)


def _cdata_safe(text: str) -> str:
    """Text that survives wechatpy's `<![CDATA[…]]>`: no characters XML forbids, and a `]]>` split
    across two CDATA sections (wechatpy does not escape it, so it would end the element)."""
    return _XML_INVALID.sub("", text).replace("]]>", "]]]]><![CDATA[>")

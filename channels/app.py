"""The mobile app channel: JSON messages signed with HMAC-SHA256 (DESIGN.md "App HMAC").

Signature = lowercase hex HMAC-SHA256(secret,
"{timestamp}\\n{nonce}\\n{METHOD}\\n{path}\\n{sha256_hex(body)}"), with the key id, timestamp (±300 s)
and nonce (16–64 chars, single use for 10 minutes) in headers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from aiohttp import web
from pydantic import SecretStr

from channels.app_model import AppMessage
from channels.base import (
    Channel,
    ChannelConfigError,
    ChannelServices,
    Inbound,
    NonceStore,
    Unauthenticated,
    json_response,
)
from channels.json_body import decode_json_model
from domain import Intake, IntakeReply
from normalizers.app import app_message_to_intake

TIMESTAMP_SKEW_S = 300
NONCE_TTL_S = 600
_NONCE = re.compile(r"^[A-Za-z0-9_\-.~]{16,64}$")


class AppSettings(Protocol):
    app_keys: dict[str, SecretStr]


def app_signature(secret: str, *, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """The signature an app client sends; also what the tests and the README's example use."""
    message = f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedAppMessage:
    key_id: str
    message: AppMessage


class AppChannel(Channel[SignedAppMessage]):
    name: ClassVar[str] = "app"

    def __init__(self, keys: Mapping[str, SecretStr], nonces: NonceStore, clock_skew_s: int = TIMESTAMP_SKEW_S):
        self._keys = dict(keys)
        self._nonces = nonces
        self._skew = clock_skew_s

    @classmethod
    def from_settings(cls, settings: AppSettings, services: ChannelServices) -> AppChannel:
        if not settings.app_keys:
            raise ChannelConfigError('app channel: HOTLINE_APP_KEYS is empty (JSON object {"key id": "secret"})')
        return cls(settings.app_keys, services.nonces)

    async def verify(self, inbound: Inbound) -> None:
        headers = inbound.headers
        key_id = headers.get("X-Hotline-Key")
        timestamp = headers.get("X-Hotline-Timestamp")
        nonce = headers.get("X-Hotline-Nonce")
        signature = headers.get("X-Hotline-Signature")
        if not (key_id and timestamp and nonce and signature):
            raise Unauthenticated(
                "X-Hotline-Key, X-Hotline-Timestamp, X-Hotline-Nonce and X-Hotline-Signature are required",
                code="missing_signature",
            )
        secret = self._keys.get(key_id)
        if secret is None:
            raise Unauthenticated("unknown key id", code="unknown_key")
        if not timestamp.isdigit() or abs(int(timestamp) - inbound.received_at.timestamp()) > self._skew:
            raise Unauthenticated(f"timestamp outside ±{self._skew} s", code="stale_timestamp")
        if not _NONCE.match(nonce):
            raise Unauthenticated("nonce must be 16–64 URL-safe characters", code="bad_nonce")
        expected = app_signature(
            secret.get_secret_value(),
            timestamp=timestamp,
            nonce=nonce,
            method=inbound.method,
            path=inbound.path,
            body=inbound.body,
        )
        if not hmac.compare_digest(expected, signature.lower()):
            raise Unauthenticated("signature does not match", code="bad_signature")
        # Recorded only once the signature holds, so nobody can burn another client's nonces.
        if not await self._nonces.use_once(f"app:{key_id}", nonce, NONCE_TTL_S):
            raise Unauthenticated("nonce already used", code="replayed_nonce")

    def parse(self, inbound: Inbound) -> SignedAppMessage:
        message = decode_json_model(inbound, AppMessage)
        return SignedAppMessage(key_id=inbound.headers["X-Hotline-Key"], message=message)

    def normalize(self, native: SignedAppMessage, inbound: Inbound) -> Intake:
        return app_message_to_intake(native.message, key_id=native.key_id, received_at=inbound.received_at)

    def reply(self, reply: IntakeReply) -> web.StreamResponse:
        return json_response(reply.to_json_dict())

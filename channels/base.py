"""What every channel is: a small class that checks authenticity, parses the native payload into a
typed model, turns it into an `Intake` (through a pure normalizer) and renders the channel's reply.

Channels hold no routing logic and no business rules. They see requests as `Inbound` values, so they
are tested on recorded payloads without an HTTP server; errors are raised as `ChannelError`s that the
gateway turns into JSON (`{"error", "message"}`) with the right status, never a 500.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from aiohttp import web

from domain import Intake, IntakeReply

NativeT = TypeVar("NativeT")


@dataclass(frozen=True, slots=True)
class Inbound:
    """An HTTP request as a channel sees it: the body is already read (and size-limited)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    client: str
    received_at: datetime
    content_type: str = ""
    raw_path: str = ""  # path and query string exactly as requested (what a signed URL covers)


class ChannelError(Exception):
    """A request the channel refuses. `status` is always 4xx; `fields` carries per-field messages."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields: dict[str, str] = dict(fields or {})

    def to_json_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class Unauthenticated(ChannelError):
    status = 401
    code = "unauthenticated"


class Forbidden(ChannelError):
    status = 403
    code = "forbidden"


class InvalidPayload(ChannelError):
    status = 422
    code = "invalid_payload"


class UnsupportedMediaType(ChannelError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(ChannelError):
    """Too many requests from one sender (address, openid, caller number) in the window."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ChannelConfigError(Exception):
    """A channel cannot start: the message names the setting that is wrong or missing."""


class NonceStore(Protocol):
    """Single-use tokens (request nonces, message ids), shared by every gateway process."""

    async def use_once(self, scope: str, token: str, ttl_s: int) -> bool:
        """Record `token`; False when it was already used within `ttl_s`."""
        ...


class TokenSigner(Protocol):
    """HMAC tokens keyed by the gateway's secret (CSRF tokens, signed URLs)."""

    def sign(self, purpose: str, *parts: str) -> str: ...

    def check(self, signature: str, purpose: str, *parts: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class ChannelServices:
    """What the gateway lends a channel at start-up (ports, implemented in `gateway/`)."""

    nonces: NonceStore
    signer: TokenSigner


class Channel(ABC, Generic[NativeT]):
    """Base class of every channel. `name` is the registry key and the event's `channel`."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Any, services: ChannelServices) -> Channel[NativeT]:
        """Build the channel, or raise `ChannelConfigError` naming the bad setting."""

    @abstractmethod
    async def verify(self, inbound: Inbound) -> None:
        """Raise `Unauthenticated`/`Forbidden` unless the request really comes from the channel."""

    @abstractmethod
    def parse(self, inbound: Inbound) -> NativeT:
        """The native payload as a typed model; raise `ChannelError` on anything malformed."""

    @abstractmethod
    def normalize(self, native: NativeT, inbound: Inbound) -> Intake:
        """Delegate to the channel's pure normalizer."""

    @abstractmethod
    def reply(self, reply: IntakeReply) -> web.StreamResponse:
        """The channel's own reply format."""


def json_response(data: object, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """JSON with Chinese kept as UTF-8 (readable in logs, curl and app consoles, and shorter)."""
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)

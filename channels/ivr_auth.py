"""Which IVR sent a request: a per-IVR token (`HOTLINE_IVR_TOKENS`, IVR id → token).

An IVR sends its token as `Authorization: Bearer <token>`, or as the password of HTTP Basic auth —
what FreeSWITCH's mod_json_cdr and mod_xml_cdr send from their `cred` setting (`user:password`).
With Basic auth the user name may be the IVR id; any other user name is ignored and the password
alone identifies the IVR. Every comparison is constant-time, and every configured token is
compared, so the time taken says nothing about which IVR ids exist.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from pydantic import SecretStr

from channels.base import ChannelConfigError, Unauthenticated

MIN_TOKEN_CHARS = 16


class IvrTokens:
    def __init__(self, tokens: Mapping[str, SecretStr]) -> None:
        if not tokens:
            raise ChannelConfigError('IVR channels: HOTLINE_IVR_TOKENS is empty (JSON object {"ivr id": "token"})')
        self._tokens = {ivr_id: token.get_secret_value().encode() for ivr_id, token in tokens.items()}

    def identify(self, headers: Mapping[str, str]) -> str:
        """The IVR id whose token the request carries; `Unauthenticated` (401) otherwise."""
        user, token = _credentials(headers.get("Authorization", ""))
        found: str | None = None
        for ivr_id, expected in self._tokens.items():
            # No early exit: every token is compared whatever matched.
            if hmac.compare_digest(expected, token) and (found is None or ivr_id == user):
                found = ivr_id
        if found is None:
            raise Unauthenticated("the IVR token is not valid", code="bad_token")
        return found


def _credentials(authorization: str) -> tuple[str | None, bytes]:
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value.encode()
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthenticated("malformed Basic credentials", code="bad_token") from exc
        user, colon, password = decoded.partition(":")
        if colon and password:
            return user, password.encode()
        raise Unauthenticated("Basic credentials need a password (the IVR token)", code="bad_token")
    raise Unauthenticated(
        "an IVR token is required: Authorization: Bearer <token>, or HTTP Basic with the token as password",
        code="missing_token",
    )

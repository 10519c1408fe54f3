"""The app channel's HMAC scheme (DESIGN.md "App HMAC"), on recorded requests without HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from channels.app import AppChannel, app_signature
from channels.base import Inbound, Unauthenticated

SECRET = "s3cret-s3cret-s3cret"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
BODY = json.dumps({"request_id": "req-00000001", "user_id": "u1", "text": "公交车不停站"}).encode()


class MemoryNonces:
    """Hand-written fake of the Redis nonce store: remembers every (scope, token)."""

    def __init__(self) -> None:
        self.used: set[tuple[str, str]] = set()

    async def use_once(self, scope: str, token: str, ttl_s: int) -> bool:
        if (scope, token) in self.used:
            return False
        self.used.add((scope, token))
        return True


def _inbound(headers: dict[str, str], body: bytes = BODY, path: str = "/api/v1/app/messages") -> Inbound:
    return Inbound(
        method="POST",
        path=path,
        query={},
        headers=headers,
        body=body,
        client="127.0.0.1",
        received_at=NOW,
        content_type="application/json",
    )


def _headers(
    *, key: str = "k1", secret: str = SECRET, ts: datetime = NOW, nonce: str = "n" * 20, body: bytes = BODY
) -> dict[str, str]:
    timestamp = str(int(ts.timestamp()))
    return {
        "X-Hotline-Key": key,
        "X-Hotline-Timestamp": timestamp,
        "X-Hotline-Nonce": nonce,
        "X-Hotline-Signature": app_signature(
            secret, timestamp=timestamp, nonce=nonce, method="POST", path="/api/v1/app/messages", body=body
        ),
    }


@pytest.fixture
def channel() -> AppChannel:
    return AppChannel({"k1": SecretStr(SECRET)}, MemoryNonces())


def test_signature_is_hmac_sha256_of_the_documented_string() -> None:
    body = b'{"a":1}'
    expected_message = "1700000000\nabcdefghijklmnop\nPOST\n/api/v1/app/messages\n" + hashlib.sha256(body).hexdigest()
    expected = hmac.new(b"key", expected_message.encode(), hashlib.sha256).hexdigest()
    got = app_signature(
        "key",
        timestamp="1700000000",
        nonce="abcdefghijklmnop",
        method="post",
        path="/api/v1/app/messages",
        body=body,
    )
    assert got == expected


async def test_good_signature_passes(channel: AppChannel) -> None:
    await channel.verify(_inbound(_headers()))


async def test_uppercase_hex_signature_passes(channel: AppChannel) -> None:
    headers = _headers()
    headers["X-Hotline-Signature"] = headers["X-Hotline-Signature"].upper()
    await channel.verify(_inbound(headers))


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        (_headers(secret="wrong-secret-wrong"), "bad_signature"),
        (_headers(key="nobody"), "unknown_key"),
        (_headers(ts=NOW - timedelta(seconds=301)), "stale_timestamp"),
        (_headers(ts=NOW + timedelta(seconds=301)), "stale_timestamp"),
        (_headers(nonce="short"), "bad_nonce"),
        (_headers(nonce="x" * 65), "bad_nonce"),
        ({k: v for k, v in _headers().items() if k != "X-Hotline-Signature"}, "missing_signature"),
        ({}, "missing_signature"),
    ],
)
async def test_bad_requests_are_refused(channel: AppChannel, headers: dict[str, str], code: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        await channel.verify(_inbound(headers))
    assert refused.value.code == code
    assert refused.value.status == 401


async def test_timestamp_within_skew_passes(channel: AppChannel) -> None:
    await channel.verify(_inbound(_headers(ts=NOW - timedelta(seconds=299))))


async def test_tampered_body_is_refused(channel: AppChannel) -> None:
    with pytest.raises(Unauthenticated, match="signature"):
        await channel.verify(_inbound(_headers(), body=BODY.replace(b"u1", b"u2")))


async def test_signature_covers_the_path(channel: AppChannel) -> None:
    with pytest.raises(Unauthenticated, match="signature"):
        await channel.verify(_inbound(_headers(), path="/api/v1/app/other"))


async def test_replayed_nonce_is_refused(channel: AppChannel) -> None:
    headers = _headers()
    await channel.verify(_inbound(headers))
    with pytest.raises(Unauthenticated) as refused:
        await channel.verify(_inbound(headers))
    assert refused.value.code == "replayed_nonce"


async def test_failed_signature_does_not_burn_the_nonce(channel: AppChannel) -> None:
    with pytest.raises(Unauthenticated):
        await channel.verify(_inbound(_headers(secret="wrong-secret-wrong", nonce="m" * 20)))
    await channel.verify(_inbound(_headers(nonce="m" * 20)))

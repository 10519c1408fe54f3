"""HMAC tokens the gateway issues itself: CSRF tokens and expiring upload URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from gateway.local_files import read_or_create


def load_or_create_secret(path: Path) -> bytes:
    """The key in `path`, created (0600) on first use so one machine's processes share it."""
    key = read_or_create(path, lambda: secrets.token_hex(32).encode(), mode=0o600).strip()
    if not key:
        raise ValueError(f"{path} is empty: delete it (a new key is made) or set HOTLINE_SECRET_KEY")
    return key


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, purpose: str, *parts: str) -> str:
        message = "\n".join((purpose, *parts)).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def check(self, signature: str, purpose: str, *parts: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, *parts), signature)

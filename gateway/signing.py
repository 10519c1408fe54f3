"""HMAC tokens the gateway issues itself: CSRF tokens and expiring upload URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_or_create_secret(path: Path) -> bytes:
    """The key in `path`, created (0600) on first use so one machine's processes share it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        key = secrets.token_hex(32).encode()
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
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

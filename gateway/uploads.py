"""Photos citizens upload through the web form, stored on local disk and served by signed URL.

A stored file is named by a random id plus the extension of the format its *content* was found to
be (`3f…9a.png`), under a two-character shard directory. The citizen's file name never reaches the
file system; it travels only as the `Attachment.name` of the event. The ticketing core fetches a
photo at `{base_url}/files/{id}?exp=…&sig=…`, a URL signed with the gateway's key that expires after
`HOTLINE_UPLOAD_URL_TTL_S`.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import get_args
from urllib.parse import urlencode

from channels.webform_model import DEFAULT_PHOTO_MAX_BYTES, ImageMime, sniff_image
from domain.file_names import IMAGE_EXTENSIONS
from gateway.local_files import fsync_directory
from gateway.signing import Signer

EXTENSIONS: dict[ImageMime, str] = {mime: IMAGE_EXTENSIONS[mime][0].lstrip(".") for mime in get_args(ImageMime)}
MIME_BY_EXTENSION: dict[str, ImageMime] = {ext: mime for mime, ext in EXTENSIONS.items()}
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|webp|gif)$")
_EXPIRY = re.compile(r"^\d{1,12}$")
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class UploadRejected(ValueError):
    """The bytes are not something the gateway will store: too large, or not a supported image."""


@dataclass(frozen=True, slots=True)
class StoredUpload:
    upload_id: str
    size: int
    mime: ImageMime


class UploadStore:
    def __init__(
        self,
        root: Path,
        signer: Signer,
        base_url: str,
        ttl_s: int,
        *,
        max_bytes: int = DEFAULT_PHOTO_MAX_BYTES,
    ) -> None:
        self.root = root
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._ttl_s = ttl_s
        self._max_bytes = max_bytes

    @staticmethod
    def is_upload_id(upload_id: str) -> bool:
        return bool(_UPLOAD_ID.match(upload_id))

    def _path(self, upload_id: str) -> Path:
        return self.root / upload_id[:2] / upload_id

    async def save(self, data: bytes) -> StoredUpload:
        """Store one photo durably, off the event loop (disk writes and fsync block)."""
        return await asyncio.to_thread(self.save_sync, data)

    def save_sync(self, data: bytes) -> StoredUpload:
        # Checked again here, whatever the caller did: only images this store has sniffed itself are
        # ever served back under an image/* type from the gateway's origin.
        if len(data) > self._max_bytes:
            raise UploadRejected(f"larger than {self._max_bytes} bytes")
        mime = sniff_image(data)
        if mime is None:
            raise UploadRejected("not a JPEG, PNG, WebP or GIF image")
        upload_id = f"{secrets.token_hex(16)}.{EXTENSIONS[mime]}"
        path = self._path(upload_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name in the same directory and renamed into place, so a reader
        # (or a crash) never sees half a photo; both the file and the directory entry are fsynced
        # before the submission is acknowledged.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        fsync_directory(path.parent)
        return StoredUpload(upload_id=upload_id, size=len(data), mime=mime)

    def signed_url(self, upload_id: str, *, now: float) -> str:
        expires = str(int(now) + self._ttl_s)
        signature = self._signer.sign("upload", upload_id, expires)
        return f"{self._base_url}/files/{upload_id}?{urlencode({'exp': expires, 'sig': signature})}"

    def signature_valid(self, upload_id: str, expires: str, signature: str, *, now: float) -> bool:
        """True for an untampered URL that has not expired yet."""
        # Shape first: comparing non-ASCII text in constant time raises instead of failing.
        if not (_UPLOAD_ID.match(upload_id) and _EXPIRY.match(expires) and _SIGNATURE.match(signature)):
            return False
        if not self._signer.check(signature, "upload", upload_id, expires):
            return False
        return now <= int(expires)

    def locate(self, upload_id: str) -> tuple[Path, ImageMime] | None:
        """The stored file and its type, or None when there is no such upload."""
        if not _UPLOAD_ID.match(upload_id):
            return None
        path = self._path(upload_id)
        if not path.is_file():
            return None
        return path, MIME_BY_EXTENSION[upload_id.rsplit(".", 1)[1]]

"""Helpers for the web-form tests: images made with Pillow, and the hidden fields of a rendered form."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from PIL import Image

SCRIPT = b"#!/bin/sh\necho '<script>alert(1)</script>'\nrm -rf ~\n"


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (32, 24), color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


def hidden_fields(html: str) -> tuple[str, str]:
    """(csrf_token, request_id) of a rendered form page."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    request_id = re.search(r'name="request_id" value="([^"]+)"', html)
    assert token is not None, "form page without a CSRF token"
    assert request_id is not None, "form page without a request_id"
    return token.group(1), request_id.group(1)


BOUNDARY = "----WebKitFormBoundaryq2Rv8s0bXk3TnZ4p"


def multipart_body(
    fields: dict[str, str],
    files: Sequence[tuple[str, str, str, bytes]] = (),
    boundary: str = BOUNDARY,
) -> bytes:
    """A body as Chromium encodes a form: CRLF lines, quoted names, raw UTF-8 file names."""
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for field, filename, content_type, data in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)

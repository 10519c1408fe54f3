"""Decoding HTML form bodies (multipart/form-data and application/x-www-form-urlencoded).

Why parse an already-read body instead of streaming with aiohttp's `MultipartReader`: the gateway
reads every body with a hard limit first (`gateway.http.read_body`, never past
`HOTLINE_FORM_MAX_BYTES`), so memory per request is bounded either way; decoding the bytes here keeps
`Channel.parse()` synchronous and free of I/O, so the web form is tested on recorded payloads like
every other channel. The parser is strict (RFC 7578): anything malformed is a 400, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from channels.base import Inbound, InvalidPayload, UnsupportedMediaType

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"

# Far more than the form has: a body with more parts than this is not from our page.
MAX_PARTS = 64
# One part's headers (Content-Disposition with a long file name, Content-Type) fit easily in this.
MAX_PART_HEADER_BYTES = 8 * 1024

_BOUNDARY = re.compile(r';\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)
_PARAM = re.compile(r';\s*([A-Za-z0-9!#$%&\'*+.^_`|~-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_QUOTED_PAIR = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class FilePart:
    """One uploaded file as the browser sent it; name and type are the sender's claims only."""

    name: str
    filename: str
    declared_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FormBody:
    fields: dict[str, list[str]]
    files: list[FilePart]

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


def _malformed(message: str) -> InvalidPayload:
    return InvalidPayload(message, code="malformed_form", status=400)


def decode_form(inbound: Inbound) -> FormBody:
    """The submitted fields and files; `InvalidPayload` (400) or `UnsupportedMediaType` (415) else."""
    if inbound.content_type == MULTIPART:
        match = _BOUNDARY.search(inbound.headers.get("Content-Type", ""))
        if match is None:
            raise _malformed("multipart body without a valid boundary")
        boundary = match.group(1) or match.group(2)
        return parse_multipart(inbound.body, boundary)
    if inbound.content_type == URLENCODED:
        return parse_urlencoded(inbound.body)
    raise UnsupportedMediaType(f"Content-Type must be {MULTIPART} or {URLENCODED}")


def parse_urlencoded(body: bytes) -> FormBody:
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_PARTS,
            encoding="utf-8",
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise _malformed("form body is not valid UTF-8 form encoding") from exc
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return FormBody(fields=fields, files=[])


def parse_multipart(body: bytes, boundary: str) -> FormBody:
    delimiter = b"--" + boundary.encode("ascii", "strict")
    start = body.find(delimiter)
    # A preamble is allowed by RFC 2046 but must end in CRLF right before the first delimiter.
    if start < 0 or (start > 0 and body[start - 2 : start] != b"\r\n"):
        raise _malformed("multipart body does not start with its boundary")
    fields: dict[str, list[str]] = {}
    files: list[FilePart] = []
    position = start + len(delimiter)
    count = 0
    while True:
        if body.startswith(b"--", position):
            return FormBody(fields=fields, files=files)  # close delimiter; the epilogue is ignored
        if not body.startswith(b"\r\n", position):
            raise _malformed("multipart boundary not followed by CRLF")
        position += 2
        end = body.find(b"\r\n" + delimiter, position)
        if end < 0:
            raise _malformed("multipart body ends inside a part")
        count += 1
        if count > MAX_PARTS:
            raise _malformed(f"more than {MAX_PARTS} parts")
        _add_part(body[position:end], fields, files)
        position = end + 2 + len(delimiter)


def _add_part(part: bytes, fields: dict[str, list[str]], files: list[FilePart]) -> None:
    if part.startswith(b"\r\n"):
        raise _malformed("multipart part without Content-Disposition")
    split = part.find(b"\r\n\r\n")
    if split < 0 or split > MAX_PART_HEADER_BYTES:
        raise _malformed("multipart part headers missing or too long")
    try:
        header_text = part[:split].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed("multipart part headers are not UTF-8") from exc
    data = part[split + 4 :]
    headers: dict[str, str] = {}
    for line in header_text.split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise _malformed("malformed multipart part header")
        headers[name.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    if not disposition.lower().startswith("form-data"):
        raise _malformed("multipart part is not form-data")
    params = _parameters(disposition)
    field_name = params.get("name")
    if not field_name:
        raise _malformed("multipart part without a field name")
    filename = params.get("filename*")
    if filename is None and "filename" in params:
        # Browsers percent-encode '"', CR and LF in file names (WHATWG), some clients everything
        # outside ASCII; decoding is harmless for names that need none of it.
        filename = unquote(params["filename"], encoding="utf-8", errors="replace")
    if filename is not None:
        files.append(FilePart(field_name, filename, headers.get("content-type", ""), data))
        return
    try:
        fields.setdefault(field_name, []).append(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _malformed(f"field {field_name!r} is not UTF-8") from exc


def _parameters(header: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _PARAM.finditer(header):
        key, raw = match.group(1).lower(), match.group(2).strip()
        value = _QUOTED_PAIR.sub(r"\1", raw[1:-1]) if raw.startswith('"') else raw
        if key.endswith("*"):
            # RFC 5987 (charset'lang'percent-encoded); browsers rarely send it for forms.
            charset, _, rest = value.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                value = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError) as exc:
                raise _malformed("undecodable extended parameter") from exc
        params.setdefault(key, value)
    return params

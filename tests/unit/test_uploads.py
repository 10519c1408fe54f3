"""Photos are judged by their content, stored atomically under random names, served by signed URL."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from channels.webform_model import sniff_image
from gateway.signing import Signer
from gateway.uploads import UploadRejected, UploadStore
from tests.webform_support import SCRIPT, image_bytes

NOW = 1_800_000_000.0
TTL = 3600


@pytest.fixture
def store(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "uploads", Signer(b"k" * 32), "https://gw.example/", TTL, max_bytes=64 * 1024)


def _query(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path.rsplit("/", 1)[1], query["exp"][0], query["sig"][0]


def _png_claiming(width: int, height: int) -> bytes:
    """A small valid PNG whose header claims another size (CRC fixed up)."""
    png = bytearray(image_bytes("PNG", (4, 4)))
    ihdr = 8 + 8  # signature, then length and type of the IHDR chunk
    png[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(png[ihdr - 4 : ihdr + 13]))
    png[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(png)


@pytest.mark.parametrize(
    ("kind", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_supported_formats_are_recognised(kind: str, mime: str) -> None:
    assert sniff_image(image_bytes(kind)) == mime


@pytest.mark.parametrize(
    "data",
    [
        SCRIPT,
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        image_bytes("BMP"),
        image_bytes("TIFF"),
        image_bytes("PNG")[:40],
        b"",
    ],
    ids=["shell-script", "html", "pdf", "bmp", "tiff", "truncated-png", "empty"],
)
def test_anything_else_is_not_an_image(data: bytes) -> None:
    assert sniff_image(data) is None


def test_corrupted_png_fails_verification() -> None:
    png = bytearray(image_bytes("PNG", (64, 64)))
    png[-20] ^= 0xFF  # inside the last IDAT chunk: its CRC no longer matches
    assert sniff_image(bytes(png)) is None


def test_header_claiming_a_huge_image_is_refused() -> None:
    assert sniff_image(_png_claiming(4, 4)) == "image/png"
    assert sniff_image(_png_claiming(9000, 8000)) is None  # 72 Mpx, above the gateway's limit


def test_png_named_txt_is_stored_as_png(store: UploadStore, tmp_path: Path) -> None:
    source = tmp_path / "holiday.txt"
    source.write_bytes(image_bytes("PNG"))
    stored = store.save_sync(source.read_bytes())
    assert stored.mime == "image/png"
    assert stored.upload_id.endswith(".png")
    located = store.locate(stored.upload_id)
    assert located is not None
    path, mime = located
    assert mime == "image/png"
    assert path.read_bytes() == source.read_bytes()
    assert "holiday" not in str(path)


def test_script_named_jpg_is_rejected(store: UploadStore, tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(SCRIPT)
    with pytest.raises(UploadRejected, match="not a JPEG"):
        store.save_sync(source.read_bytes())
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))


def test_size_limit(store: UploadStore) -> None:
    big = image_bytes("PNG", (200, 200), "white") + b"\0" * (64 * 1024)
    with pytest.raises(UploadRejected, match="larger than"):
        store.save_sync(big)


async def test_save_leaves_no_temporary_files_and_ids_are_random(store: UploadStore) -> None:
    data = image_bytes("GIF")
    first, second = await store.save(data), await store.save(data)
    assert first.upload_id != second.upload_id
    files = sorted(p.name for p in store.root.rglob("*") if p.is_file())
    assert files == sorted([first.upload_id, second.upload_id])
    assert (first.size, first.mime) == (len(data), "image/gif")


def test_signed_url_is_absolute_and_verifies(store: UploadStore) -> None:
    stored = store.save_sync(image_bytes())
    url = store.signed_url(stored.upload_id, now=NOW)
    assert url.startswith(f"https://gw.example/files/{stored.upload_id}?exp=")
    upload_id, expires, signature = _query(url)
    assert int(expires) == NOW + TTL
    assert store.signature_valid(upload_id, expires, signature, now=NOW)
    assert store.signature_valid(upload_id, expires, signature, now=NOW + TTL)


def test_signed_url_expires(store: UploadStore) -> None:
    upload_id, expires, signature = _query(store.signed_url("0" * 32 + ".png", now=NOW))
    assert not store.signature_valid(upload_id, expires, signature, now=NOW + TTL + 1)


def test_tampered_urls_are_refused(store: UploadStore) -> None:
    upload_id, expires, signature = _query(store.signed_url("a" * 32 + ".png", now=NOW))
    other_id = "b" * 32 + ".png"
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not store.signature_valid(other_id, expires, signature, now=NOW)
    assert not store.signature_valid(upload_id, str(int(expires) + 86400), signature, now=NOW)
    assert not store.signature_valid(upload_id, expires, flipped, now=NOW)
    assert not store.signature_valid(upload_id, expires, "", now=NOW)
    assert not store.signature_valid(upload_id, expires, "签名" * 20, now=NOW)  # non-ASCII: no crash
    assert not store.signature_valid(upload_id, "-1", signature, now=NOW)
    other_key = UploadStore(store.root, Signer(b"x" * 32), "https://gw.example", TTL)
    assert not other_key.signature_valid(upload_id, expires, signature, now=NOW)


@pytest.mark.parametrize("upload_id", ["0" * 32 + ".png", "../secret_key", "0" * 32 + ".svg", "x.png", ""])
def test_unknown_or_malformed_ids_are_not_located(store: UploadStore, upload_id: str) -> None:
    assert store.locate(upload_id) is None

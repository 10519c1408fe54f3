"""The web form's pure normaliser: a validated form model in, an `Intake` out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.webform_model import WebForm
from domain import Category, ChannelName, Domain
from normalizers.webform import safe_filename, webform_to_intake
from tests.webform_support import image_bytes

RECEIVED = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
REQUEST_ID = "3b0f6a4e-9a3c-4d2b-8f1e-2c5d7e9a1b3c"


def _form(**overrides: Any) -> WebForm:
    values: dict[str, Any] = {
        "request_id": REQUEST_ID,
        "category": "complaint",
        "domain": "urban_transit",
        "description": "  出租车司机拒载\r\n\r\n\r\n\r\n车牌粤A12345\u200b  ",
        "name": " 王五 ",
        "phone": "+86 138-0013-8000",
        "place": " 广州南站东广场 ",
        "occurred_at": "2026-11-27T20:15",
    }
    values.update(overrides)
    return WebForm.model_validate(values, context={"now": RECEIVED})


def test_form_becomes_intake_of_the_webform_channel() -> None:
    intake = webform_to_intake(_form(), received_at=RECEIVED)
    assert intake.channel is ChannelName.WEBFORM
    assert intake.idempotency_key == REQUEST_ID
    assert intake.source.request_id == REQUEST_ID
    assert intake.received_at.isoformat() == "2026-11-28T10:30:00+08:00"
    assert intake.category_hint is Category.COMPLAINT
    assert intake.domain_hint is Domain.URBAN_TRANSIT
    assert intake.interactive is True


def test_text_is_cleaned_and_contact_normalised() -> None:
    intake = webform_to_intake(_form(), received_at=RECEIVED)
    assert intake.content.text == "出租车司机拒载\n\n车牌粤A12345"
    assert intake.citizen.name == "王五"
    assert intake.citizen.phone == "13800138000"
    assert intake.citizen.channel_user_id is None


def test_landline_keeps_its_area_code() -> None:
    intake = webform_to_intake(_form(phone="020-8765 4321"), received_at=RECEIVED)
    assert intake.citizen.phone == "02087654321"


def test_place_and_incident_time_in_shanghai() -> None:
    intake = webform_to_intake(_form(), received_at=RECEIVED)
    assert intake.content.location is not None
    assert intake.content.location.label == "广州南站东广场"
    assert intake.content.location.lat is None
    assert intake.content.occurred_at is not None
    # datetime-local carries no zone: the citizen means the centre's local time.
    assert intake.content.occurred_at.isoformat() == "2026-11-27T20:15:00+08:00"


def test_optional_fields_left_empty() -> None:
    form = _form(domain="", name="", phone="", place="  ", occurred_at="")
    intake = webform_to_intake(form, received_at=RECEIVED)
    assert intake.domain_hint is None
    assert intake.citizen.name is None
    assert intake.citizen.phone is None
    assert intake.content.location is None
    assert intake.content.occurred_at is None
    assert intake.content.attachments == ()


def test_stored_photos_become_image_attachments_in_order() -> None:
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG")
    form = _form(
        photos=[
            {"filename": "C:\\Users\\me\\现场<1>.png", "data": png},
            {"filename": "../../etc/passwd.jpg", "data": jpeg},
        ]
    )
    urls = ["https://gw.example/files/a.png?exp=1&sig=x", "https://gw.example/files/b.jpg?exp=1&sig=y"]
    intake = webform_to_intake(form.with_photo_urls(urls), received_at=RECEIVED)
    first, second = intake.content.attachments
    assert (first.kind, first.url, first.mime, first.size) == ("image", urls[0], "image/png", len(png))
    assert first.name == "现场1.png"
    assert (second.url, second.mime, second.size) == (urls[1], "image/jpeg", len(jpeg))
    assert second.name == "passwd.jpg"


def test_photos_not_yet_stored_are_refused() -> None:
    form = _form(photos=[{"filename": "a.png", "data": image_bytes()}])
    with pytest.raises(ValueError, match="stored"):
        webform_to_intake(form, received_at=RECEIVED)


def test_same_form_gives_same_intake() -> None:
    form = _form()
    assert webform_to_intake(form, received_at=RECEIVED) == webform_to_intake(form, received_at=RECEIVED)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("/storage/emulated/0/DCIM/IMG_0001.JPG", "IMG_0001.JPG"),
        ('a"b<c>|d?.png', "abcd.png"),
        ("line\nbreak\t.png", "line break .png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("...", None),
        ("", None),
        ("长" * 300 + ".jpeg", "长" * 95 + ".jpeg"),
    ],
)
def test_safe_filename(raw: str, expected: str | None) -> None:
    assert safe_filename(raw) == expected


def test_request_id_must_be_uuid4() -> None:
    with pytest.raises(ValueError, match="request_id"):
        _form(request_id=str(uuid.uuid1()))

"""Normalizers are pure: recorded payloads in, `Intake` out."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.app_model import AppMessage
from domain import Category, ChannelName, Domain
from normalizers.app import app_message_to_intake
from normalizers.pii import mask_name, mask_phone, mask_pii
from normalizers.text import clean_text, normalize_phone

RECEIVED = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)


def test_app_message_becomes_intake_in_shanghai_time() -> None:
    message = AppMessage.model_validate(
        {
            "request_id": "req-12345678",
            "user_id": "app-user-9",
            "text": "  网约车司机绕路\r\n\r\n\r\n\r\n多收了30元\u200b  ",
            "category": "complaint",
            "domain": "urban_transit",
            "contact": {"name": " 李四 ", "phone": "+86 139-0000-1111"},
            "location": {"lat": 23.1, "lng": 113.3, "label": "广州南站", "region_code": "440113"},
            "occurred_at": "2026-11-27T20:15:00+08:00",
            "attachments": [{"kind": "image", "url": "https://cdn.example.com/a.jpg", "size": 1024}],
            "client_version": "3.2.1",
        }
    )
    intake = app_message_to_intake(message, key_id="k1", received_at=RECEIVED)
    assert intake.channel is ChannelName.APP
    assert intake.idempotency_key == "req-12345678"
    assert intake.received_at.isoformat() == "2026-11-28T10:30:00+08:00"
    assert intake.content.text == "网约车司机绕路\n\n多收了30元"
    assert intake.citizen.phone == "13900001111"
    assert intake.citizen.name == "李四"
    assert intake.citizen.channel_user_id == "app-user-9"
    assert intake.content.location is not None
    assert intake.content.location.region_code == "440113"
    assert intake.content.attachments[0].url == "https://cdn.example.com/a.jpg"
    assert intake.category_hint is Category.COMPLAINT
    assert intake.domain_hint is Domain.URBAN_TRANSIT
    assert intake.source.app_key_id == "k1"


def test_clean_text_drops_controls_and_bidi_overrides() -> None:
    assert clean_text("a\x00b\u202ec\u200dd\n\n\n\ne") == "abcd\n\ne"


def test_clean_text_keeps_full_width_as_typed() -> None:
    assert clean_text("粤Ａ１２３４５") == "粤Ａ１２３４５"


def test_normalize_phone() -> None:
    assert normalize_phone("+86 138 0013 8000") == "13800138000"
    assert normalize_phone("0086-13800138000") == "13800138000"
    assert normalize_phone("（020）8888-1234") == "02088881234"
    assert normalize_phone("１３８００１３８０００") == "13800138000"


def test_masks() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("欧阳修") == "欧**"
    masked = mask_pii("call 13800138000 or +86 139-0000-1111, id 11010519491231002X, order 12345678901234567890")
    assert "13800138000" not in masked
    assert "0000-1111" not in masked
    assert "11010519491231002X" not in masked
    assert "138****8000" in masked
    assert "12345678901234567890" in masked  # a long order number is not a phone

"""The generic IVR call record: its validation, the menu, and the `Intake` it becomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from channels.ivr_model import IvrCall, MenuEntry, default_menu, menu_choice
from domain import Category, ChannelName, Domain
from normalizers.ivr import AGENT_NOTES_HEADING, NO_TRANSCRIPT, ivr_call_to_intake


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "call_id": "c-20261129-0001",
        "caller": "+86 138-0013-8000",
        "callee": "12328",
        "started_at": "2026-11-29T09:00:00+08:00",
        "answered_at": "2026-11-29T09:00:12+08:00",
        "ended_at": "2026-11-29T09:04:40+08:00",
        "menu_path": "2-1",
        "disposition": "agent",
        "recording": {"url": "https://ivr.example/rec/c-0001.wav", "duration_s": 268},
        "transcript": "我昨天晚上在火车站打的出租车，司机绕路多收了三十块，车牌粤A·D1234。",
        "agent_notes": "来电人要求退还多收车费。",
    }
    base.update(overrides)
    return base


def test_a_call_with_transcript_and_notes_becomes_a_non_interactive_intake() -> None:
    call = IvrCall.model_validate(record())
    intake = ivr_call_to_intake(call, ivr_id="ivr-gz", choice=menu_choice(default_menu(), call.keys()))
    assert intake.channel is ChannelName.IVR
    assert intake.idempotency_key == "ivr-gz:c-20261129-0001"
    assert intake.interactive is False
    assert intake.received_at == datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    assert intake.received_at.utcoffset() == timedelta(hours=8)
    assert intake.citizen.channel_user_id == "13800138000" == intake.citizen.phone
    assert intake.content.text.startswith("我昨天晚上在火车站打的出租车")
    assert intake.content.text.endswith(AGENT_NOTES_HEADING + "来电人要求退还多收车费。")
    assert [a.kind for a in intake.content.attachments] == ["recording"]
    assert intake.source.call_id == "c-20261129-0001"
    assert intake.source.platform == "ivr-gz"
    assert intake.source.recording is not None
    assert intake.source.recording.duration_s == 268
    assert (intake.category_hint, intake.domain_hint) == (Category.COMPLAINT, Domain.URBAN_TRANSIT)


def test_a_recording_without_transcript_says_it_needs_transcribing() -> None:
    call = IvrCall.model_validate(record(transcript=None, agent_notes=None, disposition="voicemail"))
    intake = ivr_call_to_intake(call, ivr_id="ivr-gz", choice=MenuEntry())
    assert intake.content.text == NO_TRANSCRIPT
    assert intake.content.attachments[0].url == "https://ivr.example/rec/c-0001.wav"


def test_an_abandoned_call_has_no_content_but_keeps_the_number_to_call_back() -> None:
    call = IvrCall.model_validate(
        record(disposition="abandoned", recording=None, transcript=None, agent_notes=None, answered_at=None)
    )
    intake = ivr_call_to_intake(call, ivr_id="ivr-gz", choice=MenuEntry())
    assert intake.content.text == ""
    assert intake.content.attachments == ()
    assert intake.citizen.phone == "13800138000"


@pytest.mark.parametrize(
    ("caller", "phone"),
    [("02088886666", "02088886666"), ("anonymous", None), ("10086", None), (None, None)],
)
def test_only_a_number_that_can_be_called_back_is_the_citizens_phone(caller: str | None, phone: str | None) -> None:
    call = IvrCall.model_validate(record(caller=caller))
    assert ivr_call_to_intake(call, ivr_id="x", choice=MenuEntry()).citizen.phone == phone


@pytest.mark.parametrize(
    ("path", "category", "domain"),
    [
        ("1", Category.INQUIRY, None),
        ("2-1", Category.COMPLAINT, Domain.URBAN_TRANSIT),
        ("24", Category.COMPLAINT, Domain.WATERWAY),
        ("3-7", Category.SUGGESTION, Domain.MARITIME_SAR),
        ("2-1-9-9", Category.COMPLAINT, Domain.URBAN_TRANSIT),  # keys after the last level
        ("2-9", Category.COMPLAINT, None),  # no such sub-menu: the level above
        ("9", None, None),
        (None, None, None),
    ],
)
def test_the_menu_path_is_read_by_its_longest_known_prefix(
    path: str | None, category: Category | None, domain: Domain | None
) -> None:
    call = IvrCall.model_validate(record(menu_path=path))
    assert menu_choice(default_menu(), call.keys()) == MenuEntry(category=category, domain=domain)


@pytest.mark.parametrize(
    "change",
    [
        {"call_id": ""},
        {"call_id": "../../etc/passwd"},
        {"started_at": "2026-11-29T09:00:00"},  # no zone: ambiguous
        {"ended_at": "2026-11-29T08:00:00+08:00"},  # before the start
        {"menu_path": "2--1"},
        {"menu_path": "<script>"},
        {"disposition": "busy"},
        {"recording": {"url": "not a url"}},
        {"recording": {"url": "https://ivr.example/a.wav", "duration_s": -1}},
        {"transcript": "长" * 20001},
    ],
)
def test_malformed_records_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        IvrCall.model_validate(record(**change))


def test_more_fields_are_allowed_and_ignored() -> None:
    call = IvrCall.model_validate(record(queue="投诉专席", agent_id="0815"))
    assert not hasattr(call, "queue")

"""WeChat message → Intake, on the official docs' XML samples (no HTTP, no crypto)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.wechat_model import WeChatMessage
from domain import Attachment, ChannelName, Location
from normalizers.wechat import VOICE_NEEDS_TRANSCRIPT, NotNormalizable, wechat_message_to_intake
from tests.wechat_samples import (
    EVENT_SAMPLES,
    IMAGE_XML,
    LINK_XML,
    LOCATION_XML,
    SHORTVIDEO_XML,
    TEXT_XML,
    UNKNOWN_TYPE_XML,
    VIDEO_XML,
    VOICE_AMR_XML,
    VOICE_RECOGNITION_XML,
    VOICE_XML,
    message_xml,
)

RECEIVED = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)


def _intake(xml: str):  # type: ignore[no-untyped-def]
    return wechat_message_to_intake(WeChatMessage.from_xml(xml), received_at=RECEIVED)


def test_text() -> None:
    intake = _intake(TEXT_XML)
    assert intake.channel is ChannelName.WECHAT
    assert intake.idempotency_key == "1234567890123456"
    assert intake.received_at.isoformat() == "2026-11-28T10:30:00+08:00"
    assert intake.citizen.channel_user_id == "fromUser"
    assert (intake.citizen.name, intake.citizen.phone) == (None, None)
    assert intake.source.message_id == "1234567890123456"
    assert intake.content.text == "this is a test"
    assert intake.content.attachments == ()
    assert intake.content.location is None
    assert intake.interactive


def test_text_is_cleaned() -> None:
    xml = message_xml("text", Content="  公交车\u200b不停站\r\n\r\n\r\n\r\n请处理\u202e  ", msg_id="9")
    assert _intake(xml).content.text == "公交车不停站\n\n请处理"


def test_image() -> None:
    content = _intake(IMAGE_XML).content
    assert content.text == ""
    assert content.attachments == (Attachment(kind="image", url="this is a url", media_id="media_id"),)


def test_voice_with_recognition() -> None:
    content = _intake(VOICE_RECOGNITION_XML).content
    assert content.text == "腾讯微信团队"
    assert content.attachments == (Attachment(kind="voice", media_id="media_id"),)  # Format "Format"


def test_voice_without_recognition_asks_for_a_transcript() -> None:
    content = _intake(VOICE_AMR_XML).content
    assert content.text == VOICE_NEEDS_TRANSCRIPT == "（语音留言，需人工转写）"
    assert content.attachments == (Attachment(kind="voice", media_id="media_id", mime="audio/amr"),)


def test_voice_with_empty_recognition_asks_for_a_transcript() -> None:
    xml = VOICE_XML.replace("</xml>", "<Recognition><![CDATA[]]></Recognition></xml>")
    assert _intake(xml).content.text == VOICE_NEEDS_TRANSCRIPT


@pytest.mark.parametrize(
    ("voice_format", "mime"), [("amr", "audio/amr"), ("speex", "audio/speex"), ("MP3", "audio/mpeg")]
)
def test_voice_mime(voice_format: str, mime: str) -> None:
    xml = message_xml("voice", MediaId="m1", Format=voice_format, msg_id="5")
    assert _intake(xml).content.attachments[0].mime == mime


@pytest.mark.parametrize("xml", [VIDEO_XML, SHORTVIDEO_XML])
def test_video_and_thumbnail(xml: str) -> None:
    video, thumbnail = _intake(xml).content.attachments
    assert video == Attachment(kind="video", media_id="media_id")
    assert (thumbnail.kind, thumbnail.media_id, thumbnail.name) == ("image", "thumb_media_id", "视频缩略图")


def test_video_without_thumbnail() -> None:
    xml = message_xml("video", MediaId="v1", msg_id="6")
    assert _intake(xml).content.attachments == (Attachment(kind="video", media_id="v1"),)


def test_location() -> None:
    content = _intake(LOCATION_XML).content
    assert content.location == Location(lat=23.134521, lng=113.358803, label="位置信息")
    assert content.text == ""
    assert content.attachments == ()


def test_link() -> None:
    content = _intake(LINK_XML).content
    assert content.text == "公众平台官网链接\n公众平台官网链接\nurl"
    assert content.attachments == (Attachment(kind="link", url="url"),)


def test_link_without_description() -> None:
    xml = message_xml("link", Title="某客运站乱收费", Url="https://mp.weixin.qq.com/s/abc", msg_id="8")
    content = _intake(xml).content
    assert content.text == "某客运站乱收费\nhttps://mp.weixin.qq.com/s/abc"


@pytest.mark.parametrize("sample", list(EVENT_SAMPLES))
def test_events_do_not_normalize(sample: str) -> None:
    with pytest.raises(NotNormalizable, match="event"):
        _intake(EVENT_SAMPLES[sample])


def test_unknown_type_does_not_normalize() -> None:
    with pytest.raises(NotNormalizable, match="miniprogrampage"):
        _intake(UNKNOWN_TYPE_XML)
    assert issubclass(NotNormalizable, ValueError)


def test_message_without_msg_id_dedupes_by_sender_and_time() -> None:
    xml = TEXT_XML.replace("<MsgId>1234567890123456</MsgId>", "")
    intake = _intake(xml)
    assert intake.idempotency_key == "fromUser:1348831860"
    assert intake.source.message_id is None


def test_model_times_and_flags() -> None:
    message = WeChatMessage.from_xml(TEXT_XML)
    assert message.created_at.isoformat() == "2012-09-28T19:31:00+08:00"
    assert message.carries_content
    assert not message.is_event
    event = WeChatMessage.from_xml(EVENT_SAMPLES["click"])
    assert (event.is_event, event.carries_content, event.event) == (True, False, "click")


def test_event_dedupes_by_sender_and_time_even_with_a_msg_id() -> None:
    event = WeChatMessage.from_xml(EVENT_SAMPLES["click"].replace("</xml>", "<MsgId>77</MsgId></xml>"))
    assert event.dedupe_key == "FromUser:123456789:click"


def test_events_of_one_second_do_not_collide() -> None:
    subscribe = WeChatMessage.from_xml(EVENT_SAMPLES["subscribe"])
    location = WeChatMessage.from_xml(EVENT_SAMPLES["location"].replace("fromUser", "FromUser"))
    assert subscribe.create_time == location.create_time
    assert subscribe.dedupe_key != location.dedupe_key
    assert WeChatMessage.from_xml(EVENT_SAMPLES["subscribe"]).dedupe_key == subscribe.dedupe_key  # a retry


def test_a_bad_minor_detail_is_dropped_not_the_message() -> None:
    xml = LOCATION_XML.replace("<Scale>20</Scale>", "<Scale>far</Scale>")
    message = WeChatMessage.from_xml(xml)
    assert (message.scale, message.location_x, message.label) == (None, 23.134521, "位置信息")

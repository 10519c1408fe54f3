"""WeChat message → `Intake` (pure).

Only citizens' messages with content normalise (`WeChatMessage.carries_content`); events (subscribe,
menu clicks, reported locations) and unknown types raise `NotNormalizable`: the conversation flow
answers those itself and they never become tickets.

MediaIds are WeChat's temporary media: they expire after three days, so whoever stores the ticket's
attachments must fetch them (临时素材接口) within that time; PicUrl stays fetchable without a token.
"""

from __future__ import annotations

from datetime import datetime

from channels.wechat_model import WeChatMessage
from domain import Attachment, ChannelName, Citizen, Content, Intake, Location, Source
from normalizers.text import clean_optional, clean_text
from normalizers.time import to_shanghai

# Put in the ticket when WeChat gave no transcript: an operator must listen to the recording.
VOICE_NEEDS_TRANSCRIPT = "（语音留言，需人工转写）"
VIDEO_THUMBNAIL_NAME = "视频缩略图"

# WeChat's voice formats (Format): amr from phones, speex from some clients, mp3 rarely.
_VOICE_MIME = {"amr": "audio/amr", "speex": "audio/speex", "mp3": "audio/mpeg", "silk": "audio/silk"}


class NotNormalizable(ValueError):
    """An event or a message type that carries nothing for a ticket."""


def wechat_message_to_intake(message: WeChatMessage, *, received_at: datetime) -> Intake:
    if not message.carries_content:
        kind = f"event {message.event}" if message.is_event else f"message type {message.msg_type}"
        raise NotNormalizable(f"a WeChat {kind} does not become a ticket")
    return Intake(
        channel=ChannelName.WECHAT,
        idempotency_key=message.dedupe_key,
        received_at=to_shanghai(received_at),
        citizen=Citizen(channel_user_id=message.from_user),
        content=_content(message),
        source=Source(message_id=message.msg_id),
    )


def _content(message: WeChatMessage) -> Content:
    match message.msg_type:
        case "text":
            return Content(text=clean_text(message.content or ""))
        case "image":
            return Content(attachments=(Attachment(kind="image", url=message.pic_url, media_id=message.media_id),))
        case "voice":
            return _voice(message)
        case "video" | "shortvideo":
            return Content(attachments=_video(message))
        case "location":
            return Content(
                location=Location(lat=message.location_x, lng=message.location_y, label=clean_optional(message.label))
            )
        case "link":
            return _link(message)
    raise NotNormalizable(f"no normaliser for WeChat message type {message.msg_type}")  # pragma: no cover


def _voice(message: WeChatMessage) -> Content:
    voice_format = (message.format or "").strip().lower()
    recording = Attachment(kind="voice", media_id=message.media_id, mime=_VOICE_MIME.get(voice_format))
    # WeChat sends an empty <Recognition> when speech recognition is on but heard nothing usable.
    transcript = clean_optional(message.recognition)
    return Content(text=transcript or VOICE_NEEDS_TRANSCRIPT, attachments=(recording,))


def _video(message: WeChatMessage) -> tuple[Attachment, ...]:
    video = Attachment(kind="video", media_id=message.media_id)
    if not message.thumb_media_id:
        return (video,)
    # A second attachment rather than a name: the case handler sees the frame without the player.
    thumbnail = Attachment(kind="image", media_id=message.thumb_media_id, name=VIDEO_THUMBNAIL_NAME)
    return (video, thumbnail)


def _link(message: WeChatMessage) -> Content:
    parts = (clean_optional(message.title), clean_optional(message.description), clean_optional(message.url))
    url = clean_optional(message.url)
    return Content(
        text="\n".join(part for part in parts if part),
        attachments=(Attachment(kind="link", url=url),) if url else (),
    )

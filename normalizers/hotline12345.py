"""12345 work order → `Intake` (pure).

A transfer is non-interactive: the 12345 platform reads no question, so a complaint that lacks
facts is accepted with the list (`interactive=False`). It is received when it reaches the centre:
the 24 hours to transfer it (第十七条: 含12345等地方政务服务便民热线转办业务) run from then; when
12345 received it, its category and its deadline ride along in `source`.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Literal

from domain import Attachment, Category, ChannelName, Citizen, Content, Intake, Location, Source
from normalizers.text import clean_optional, clean_text, is_cn_phone, normalize_phone
from normalizers.time import to_shanghai
from normalizers.webform import safe_filename

if TYPE_CHECKING:
    from channels.hotline12345_model import OrderAttachment, WorkOrder

# 12345's own category names (投诉/举报/咨询/求助/建议/意见 …), first match wins: a 投诉建议 is a complaint.
_CATEGORY_WORDS: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"投诉|举报"), Category.COMPLAINT),
    (re.compile(r"建议|意见"), Category.SUGGESTION),
    (re.compile(r"咨询|求助|查询|询问"), Category.INQUIRY),
)
_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic"})
_AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".amr", ".m4a", ".ogg"})


def work_order_to_intake(order: WorkOrder, *, received_at: datetime) -> Intake:
    phone = normalize_phone(order.citizen.phone)
    return Intake(
        channel=ChannelName.HOTLINE12345,
        idempotency_key=order.order_no,
        received_at=to_shanghai(received_at),
        citizen=Citizen(
            name=clean_optional(order.citizen.name),
            # 12345 took the number from the citizen: kept as given when it is not a Chinese one.
            phone=phone if phone and is_cn_phone(phone) else clean_optional(order.citizen.phone),
        ),
        content=Content(
            text=clean_text(order.content),
            attachments=tuple(map(_attachment, order.attachments)),
            location=Location(region_code=order.region_code),
        ),
        source=Source(
            order_no=order.order_no,
            platform=order.platform,
            region_code=order.region_code,
            origin_received_at=to_shanghai(order.received_at),
            origin_category=clean_optional(order.category),
            due_at=to_shanghai(order.due_at) if order.due_at else None,
        ),
        category_hint=category_of(order.category),
        interactive=False,
    )


def category_of(name: str | None) -> Category | None:
    """The 第三十一条 category of 12345's category name; None when it names none of them."""
    for pattern, category in _CATEGORY_WORDS:
        if name and pattern.search(name):
            return category
    return None


def _attachment(item: OrderAttachment) -> Attachment:
    name = safe_filename(item.name) if item.name else None
    return Attachment(kind=_kind(name or item.url.path or ""), url=str(item.url), name=name)


def _kind(name: str) -> Literal["image", "recording", "file"]:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        return "image"
    if suffix in _AUDIO_SUFFIXES:
        return "recording"
    return "file"

"""App channel model → `Intake` (pure)."""

from __future__ import annotations

from datetime import datetime

from channels.app_model import AppMessage
from domain import Attachment, ChannelName, Citizen, Content, Intake, Location, Source
from normalizers.text import clean_optional, clean_text, normalize_phone
from normalizers.time import to_shanghai


def app_message_to_intake(message: AppMessage, *, key_id: str, received_at: datetime) -> Intake:
    contact = message.contact
    location = message.location
    return Intake(
        channel=ChannelName.APP,
        idempotency_key=message.request_id,
        received_at=to_shanghai(received_at),
        citizen=Citizen(
            channel_user_id=message.user_id,
            name=clean_optional(contact.name) if contact else None,
            phone=normalize_phone(contact.phone) if contact else None,
        ),
        content=Content(
            text=clean_text(message.text),
            attachments=tuple(
                Attachment(kind=a.kind, url=str(a.url), name=clean_optional(a.name), size=a.size, mime=a.mime)
                for a in message.attachments
            ),
            location=Location(
                lat=location.lat,
                lng=location.lng,
                label=clean_optional(location.label),
                region_code=location.region_code,
            )
            if location
            else None,
            occurred_at=to_shanghai(message.occurred_at) if message.occurred_at else None,
        ),
        source=Source(request_id=message.request_id, app_key_id=key_id),
        category_hint=message.category,
        domain_hint=message.domain,
    )

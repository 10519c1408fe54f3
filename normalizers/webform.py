"""Web form model → `Intake` (pure)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from domain import Attachment, ChannelName, Citizen, Content, Intake, Location, Source
from domain.file_names import named_as
from normalizers.text import clean_optional, clean_text, normalize_phone
from normalizers.time import to_shanghai

if TYPE_CHECKING:
    # Types only: importing the channel package here would import this module back through it.
    from channels.webform_model import PhotoUpload, WebForm

FILENAME_MAX_CHARS = 100
_PATH_SEPARATORS = re.compile(r"[\\/]")
# Characters that mean something to shells, Windows or HTTP headers: no use in a display name.
_UNSAFE_IN_NAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WHITESPACE = re.compile(r"\s+")


def safe_filename(name: str) -> str | None:
    """The citizen's file name fit for display: last path segment, no control or shell characters,
    one line, at most 100 characters with the extension kept. Never used to build a path."""
    base = _PATH_SEPARATORS.split(name)[-1]
    cleaned = _UNSAFE_IN_NAME.sub("", _WHITESPACE.sub(" ", clean_text(base))).strip(" .")
    if len(cleaned) > FILENAME_MAX_CHARS:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and stem and len(extension) <= 10:
            cleaned = stem[: FILENAME_MAX_CHARS - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:FILENAME_MAX_CHARS]
    return cleaned or None


def _attachment(photo: PhotoUpload) -> Attachment:
    if photo.url is None:
        # Acknowledging a ticket whose photos were silently dropped would lose evidence.
        raise ValueError("photos must be stored (WebForm.with_photo_urls) before normalising")
    name = safe_filename(photo.filename)
    # The content decides the type (it was sniffed): a name must not say it is something else.
    shown = named_as(name, photo.mime) if name else None
    return Attachment(kind="image", url=photo.url, name=shown, size=photo.size, mime=photo.mime)


def webform_to_intake(form: WebForm, *, received_at: datetime) -> Intake:
    request_id = str(form.request_id)
    place = clean_optional(form.place)
    return Intake(
        channel=ChannelName.WEBFORM,
        idempotency_key=request_id,
        received_at=to_shanghai(received_at),
        citizen=Citizen(name=clean_optional(form.name), phone=normalize_phone(form.phone)),
        content=Content(
            text=clean_text(form.description),
            attachments=tuple(_attachment(photo) for photo in form.photos),
            location=Location(label=place) if place else None,
            # datetime-local carries no zone: the citizen means the centre's local time.
            occurred_at=to_shanghai(form.occurred_at) if form.occurred_at else None,
        ),
        source=Source(request_id=request_id),
        category_hint=form.category,
        domain_hint=form.domain,
    )

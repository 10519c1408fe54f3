"""The mobile app's message body (`POST /api/v1/app/messages`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import Category, Domain
from domain.file_names import FileMime, FileName
from domain.ticket_event import ChannelUrl


class _Body(BaseModel):
    # Newer app versions may send more fields: ignore them rather than break old gateways.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class AppContact(_Body):
    name: Annotated[str, Field(max_length=50)] | None = None
    phone: Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9 \-]{5,20}$")] | None = None


class AppLocation(_Body):
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None
    label: Annotated[str, Field(max_length=200)] | None = None
    region_code: Annotated[str, Field(pattern=r"^\d{6}$")] | None = None


class AppAttachment(_Body):
    kind: Literal["image", "voice", "video", "file"]
    url: ChannelUrl
    # Display name and declared type; a path, a program or an active page is refused (domain.file_names).
    name: FileName | None = None
    size: Annotated[int, Field(ge=0, le=1024 * 1024 * 1024)] | None = None
    mime: FileMime | None = None


class AppMessage(_Body):
    request_id: Annotated[str, Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]
    user_id: Annotated[str, Field(min_length=1, max_length=128)]
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    category: Category | None = None
    domain: Domain | None = None
    contact: AppContact | None = None
    location: AppLocation | None = None
    occurred_at: AwareDatetime | None = None
    attachments: Annotated[list[AppAttachment], Field(max_length=9)] = Field(default_factory=list)

"""`TicketEvent` v1 (schema `hotline.ticket-event/v1`): the one event every intake becomes.

Frozen and closed (`extra="forbid"`): the ticketing core relies on exactly these fields, and the
JSON Schema published in `schema/ticket-event.v1.json` is generated from this module.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from domain.taxonomy import Category, ChannelName, DecisionKind, Domain, RedirectTarget, RefusalReason

SCHEMA_ID = "hotline.ticket-event/v1"
TICKET_NO_PATTERN = r"^12328-\d{8}-\d{6,}$"

RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="6-digit administrative region code")]
SHORT_TEXT_MAX = 2000
ShortText = Annotated[str, Field(max_length=SHORT_TEXT_MAX)]


def _fits(url: HttpUrl) -> HttpUrl:
    # Measured as the event will carry it: normalising adds a "/" to a bare host and turns an
    # internationalised host into punycode, either of which can push a URL over the limit.
    if len(str(url)) > SHORT_TEXT_MAX:
        raise ValueError(f"URL longer than {SHORT_TEXT_MAX} characters")
    return url


# A link a channel sends (a photo, a recording): http(s), and no longer than the event can carry.
ChannelUrl = Annotated[HttpUrl, AfterValidator(_fits)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citizen(_Frozen):
    """Who wrote in. Personal data (第七条): never logged unmasked."""

    channel_user_id: ShortText | None = Field(
        default=None, description="Identity on the channel: WeChat openid, app user id, caller number"
    )
    name: Annotated[str, Field(max_length=100)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None


class Attachment(_Frozen):
    kind: Literal["image", "voice", "video", "file", "recording", "link"]
    url: ShortText | None = Field(default=None, description="Where the ticketing core can fetch it")
    media_id: ShortText | None = Field(default=None, description="Channel media id (e.g. WeChat MediaId)")
    name: Annotated[str, Field(max_length=255)] | None = None
    size: Annotated[int, Field(ge=0)] | None = Field(default=None, description="Bytes")
    mime: Annotated[str, Field(max_length=100)] | None = None


class Location(_Frozen):
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None
    label: ShortText | None = Field(default=None, description="Place as the citizen described it")
    region_code: RegionCode | None = None


class Content(_Frozen):
    text: Annotated[str, Field(max_length=20000)] = ""
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    occurred_at: AwareDatetime | None = Field(default=None, description="When the reported incident happened")


class Answer(_Frozen):
    """The knowledge-base article that answered the citizen at once (第十七条)."""

    kb_id: Annotated[str, Field(max_length=100)]
    text: Annotated[str, Field(max_length=5000)]


class Routing(_Frozen):
    """Where the matter goes (第十八、二十一、二十五条)."""

    region_code: RegionCode | None = None
    level: Literal["city", "provincial"] = "city"
    copy_to: tuple[Literal["provincial"], ...] = ()


class Deadlines(_Frozen):
    """第十七、二十三、二十四条: transfer within 24 h, reply within 3/5/10 working days."""

    transfer_by: AwareDatetime
    reply_by: AwareDatetime
    calendar: Literal["official", "estimated"]


class Recording(_Frozen):
    url: ShortText
    duration_s: Annotated[float, Field(ge=0)] | None = None


class Source(_Frozen):
    """The channel's own references, so the ticketing core can trace an event back."""

    request_id: ShortText | None = Field(default=None, description="App or web-form request id")
    app_key_id: Annotated[str, Field(max_length=64)] | None = None
    message_id: ShortText | None = Field(default=None, description="WeChat MsgId")
    call_id: ShortText | None = Field(default=None, description="IVR call id / uuid / CallSid")
    order_no: ShortText | None = Field(default=None, description="12345 work-order number")
    platform: Annotated[str, Field(max_length=64)] | None = None
    recording: Recording | None = None
    region_code: RegionCode | None = Field(default=None, description="Region of the transferred work order")
    origin_received_at: AwareDatetime | None = Field(
        default=None, description="When the sending platform (12345) received the matter"
    )
    origin_category: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="The category as the sending platform gave it"
    )
    due_at: AwareDatetime | None = Field(default=None, description="The deadline the sending platform set")


class TicketEvent(_Frozen):
    """The unified event delivered to the ticketing core, whatever the decision (第十四、三十条)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        title="TicketEvent",
        json_schema_extra={"$id": "https://12328.example/schema/ticket-event.v1.json"},
    )

    schema_id: Literal["hotline.ticket-event/v1"] = Field(default="hotline.ticket-event/v1", alias="schema")
    event_id: UUID
    ticket_no: Annotated[str, Field(pattern=TICKET_NO_PATTERN)]
    idempotency_key: Annotated[str, Field(min_length=1, max_length=256)]
    channel: ChannelName
    received_at: AwareDatetime
    citizen: Citizen
    content: Content
    category: Category | None
    domain: Domain | None
    decision: DecisionKind
    reason: RefusalReason | None = None
    redirect: RedirectTarget | None = None
    urgent: bool = False
    answer: Answer | None = None
    missing_facts: tuple[Annotated[str, Field(max_length=100)], ...] = ()
    routing: Routing
    deadlines: Deadlines | None = None
    source: Source

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: aliases (`schema`), ISO 8601 datetimes, UUID as text."""
        return self.model_dump(mode="json", by_alias=True)


def ticket_event_json_schema() -> str:
    """The published JSON Schema text (what `schema/ticket-event.v1.json` must contain)."""
    schema = TicketEvent.model_json_schema(by_alias=True, mode="serialization")
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

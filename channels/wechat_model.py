"""One message or event pushed by WeChat to the official account (接收普通消息 / 接收事件推送).

The XML is read with xmltodict on a parser that refuses DOCTYPE and entity declarations (billion
laughs, external entities): WeChat never sends either, so one is a forged or broken request. Unknown
message types and events are kept with their type as sent (lowercased), not refused: the citizen gets
a polite answer instead of a WeChat error page.

Personal data (第七条): the openid, what the citizen wrote and where they were are left out of the
model's repr, so a logged model shows no more than its type, time and ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from channels.xml_body import XmlBodyError, parse_xml_document
from normalizers.time import SHANGHAI

# Types WeChat documents for citizens' messages; each carries content a ticket can use.
CONTENT_MESSAGE_TYPES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link"})
EVENT = "event"

# Account ids (gh_…) and openids (28 URL-safe characters); the docs' samples use toUser/fromUser.
# Kept strict: the openid becomes part of Redis keys and job ids.
_USER = r"^[A-Za-z0-9_\-@.]{1,128}$"
_TYPE = r"^[a-z0-9_]{1,64}$"

UserId = Annotated[str, Field(pattern=_USER)]
Short = Annotated[str, Field(max_length=2000)]
Long = Annotated[str, Field(max_length=20000)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]

# XML element → model field. Only flat text elements: nested ones (ScanCodeInfo, SendPicsInfo …)
# belong to menu events the hotline does not use, and are ignored like any unknown element.
_ELEMENTS: dict[str, str] = {
    "ToUserName": "to_user",
    "FromUserName": "from_user",
    "CreateTime": "create_time",
    "MsgType": "msg_type",
    "MsgId": "msg_id",
    "MsgDataId": "msg_data_id",
    "Idx": "idx",
    "Content": "content",
    "PicUrl": "pic_url",
    "MediaId": "media_id",
    "Format": "format",
    "Recognition": "recognition",
    "ThumbMediaId": "thumb_media_id",
    "Location_X": "location_x",
    "Location_Y": "location_y",
    "Scale": "scale",
    "Label": "label",
    "Title": "title",
    "Description": "description",
    "Url": "url",
    "Event": "event",
    "EventKey": "event_key",
    "Ticket": "ticket",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Precision": "precision",
    "MenuId": "menu_id",
}
_LOWERCASED = frozenset({"MsgType", "Event"})
# Details nobody acts on: a bad value is dropped rather than lose the citizen's whole message.
_DROPPABLE = frozenset({"scale", "precision", "menu_id", "msg_data_id", "idx", "format", "ticket"})


class WeChatXmlError(ValueError):
    """The body is not a WeChat message: bad XML, a DOCTYPE, a missing or invalid element.

    `fields` maps the offending XML element to what is wrong with it (empty for XML errors).
    """

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class WeChatMessage(BaseModel):
    """A pushed message (`msg_type` text, image, …) or event (`msg_type` "event", `event` set)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    msg_type: Annotated[str, Field(pattern=_TYPE)]
    event: Annotated[str, Field(pattern=_TYPE)] | None = None
    to_user: UserId  # the account's original id (gh_…)
    from_user: Annotated[UserId, Field(repr=False)]  # the citizen's openid
    create_time: Annotated[int, Field(ge=0, le=2**32 - 1)]  # unix seconds, as WeChat sends it
    msg_id: Annotated[str, Field(pattern=r"^\S{1,64}$")] | None = None
    msg_data_id: Annotated[str, Field(max_length=64)] | None = None  # messages sent from an article
    idx: Annotated[str, Field(max_length=16)] | None = None
    # text
    content: Long | None = Field(default=None, repr=False)
    # image; voice; video and shortvideo
    pic_url: Short | None = None
    media_id: Short | None = None
    format: Annotated[str, Field(max_length=32)] | None = None
    recognition: Long | None = Field(default=None, repr=False)
    thumb_media_id: Short | None = None
    # location: Location_X is the latitude, Location_Y the longitude
    location_x: Latitude | None = Field(default=None, repr=False)
    location_y: Longitude | None = Field(default=None, repr=False)
    scale: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    label: Short | None = Field(default=None, repr=False)
    # link
    title: Annotated[str, Field(max_length=5000)] | None = Field(default=None, repr=False)
    description: Annotated[str, Field(max_length=5000)] | None = Field(default=None, repr=False)
    url: Short | None = Field(default=None, repr=False)
    # events: subscribe (EventKey qrscene_…, Ticket when by QR code), SCAN, CLICK, VIEW, LOCATION
    event_key: Short | None = None
    ticket: Short | None = None
    latitude: Latitude | None = Field(default=None, repr=False)
    longitude: Longitude | None = Field(default=None, repr=False)
    precision: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    menu_id: Annotated[str, Field(max_length=64)] | None = None

    @model_validator(mode="after")
    def _event_has_a_name(self) -> WeChatMessage:
        if self.msg_type == EVENT and self.event is None:
            raise ValueError("an event needs <Event>")
        if self.msg_type != EVENT and self.event is not None:
            raise ValueError("<Event> only belongs to MsgType event")
        return self

    @property
    def is_event(self) -> bool:
        return self.msg_type == EVENT

    @property
    def carries_content(self) -> bool:
        """A citizen's message with content for a ticket (what `normalize` accepts)."""
        return self.msg_type in CONTENT_MESSAGE_TYPES

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.create_time, SHANGHAI)

    @property
    def dedupe_key(self) -> str:
        """WeChat's own advice: MsgId for messages, FromUserName + CreateTime for events (which have
        no MsgId), with the event's name added: subscribe and LOCATION (or LOCATION and a menu click)
        often arrive within the same second and are not retries of each other, while a retry always
        repeats its event. A message without MsgId falls back to the events' key."""
        if not self.is_event and self.msg_id:
            return self.msg_id
        if self.is_event:
            return f"{self.from_user}:{self.create_time}:{self.event}"
        return f"{self.from_user}:{self.create_time}"

    @classmethod
    def from_xml_fields(cls, fields: Mapping[str, Any]) -> WeChatMessage:
        """The message from the children of `<xml>` (as xmltodict gives them)."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for element, name in _ELEMENTS.items():
            value = fields.get(element)
            if value is None:
                continue
            if not isinstance(value, str):
                problems[element] = "must be a single text element"
                continue
            values[name] = value.lower() if element in _LOWERCASED else value
        for required in ("MsgType", "FromUserName", "ToUserName", "CreateTime"):
            if required not in problems and _ELEMENTS[required] not in values:
                problems[required] = "is missing"
        if values.get("msg_type") != EVENT:
            values.pop("event", None)  # an <Event> on a message means nothing; WeChat sends none
        if problems:
            raise WeChatXmlError(_describe(problems), problems)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            failed = {str(error["loc"][0]) if error["loc"] else "" for error in exc.errors()}
            if failed <= _DROPPABLE:
                return cls.model_validate({k: v for k, v in values.items() if k not in failed})
            problems = _element_errors(exc)
            raise WeChatXmlError(_describe(problems), problems) from exc

    @classmethod
    def from_xml(cls, xml: str | bytes) -> WeChatMessage:
        """Parse a plaintext push (or the decrypted one of the safe modes)."""
        return cls.from_xml_fields(parse_xml(xml))


def parse_xml(xml: str | bytes) -> dict[str, Any]:
    """The children of the `<xml>` root; `WeChatXmlError` for anything else.

    Bytes must be UTF-8 (WeChat sends nothing else); a DOCTYPE or an entity declaration is refused
    before expat expands anything (`channels.xml_body`).
    """
    try:
        document = parse_xml_document(xml)
    except XmlBodyError as exc:
        raise WeChatXmlError(str(exc)) from exc
    root = document.get("xml")
    if not isinstance(root, dict):
        raise WeChatXmlError("the root element must be <xml> with child elements")
    return root


_FIELD_TO_ELEMENT = {name: element for element, name in _ELEMENTS.items()}


def _element_errors(exc: ValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = str(error["loc"][0]) if error["loc"] else "xml"
        problems.setdefault(_FIELD_TO_ELEMENT.get(name, name), error["msg"])
    return problems


def _describe(problems: Mapping[str, str]) -> str:
    return "not a WeChat message: " + "; ".join(f"{element} {what}" for element, what in problems.items())

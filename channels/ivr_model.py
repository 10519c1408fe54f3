"""The generic IVR call record (`POST /channels/ivr/calls`, DESIGN.md) and the IVR menu.

Any IVR that can post JSON at the end of a call sends one record: who called, when, the menu
keys pressed, how the call ended, the recording and, when there is one, the speech-to-text
transcript and the agent's notes. Names are fixed; IVRs may send more fields, which are ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from domain import Category, Domain
from domain.ticket_event import ChannelUrl

# DTMF keys pressed, level by level: "2-1" (complaint, then taxis and buses). Dashes optional.
MENU_PATH = r"^[0-9*#](?:-?[0-9*#]){0,15}$"
Disposition = Literal["agent", "self_service", "abandoned", "voicemail"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class IvrRecording(_Body):
    url: ChannelUrl
    duration_s: Annotated[float, Field(ge=0, le=24 * 3600)] | None = None


EARLIEST_CALL = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_AHEAD = timedelta(days=1)


class IvrCall(_Body):
    call_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")]
    caller: Annotated[str, Field(max_length=32)] | None = None
    callee: Annotated[str, Field(max_length=32)] | None = None
    started_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    menu_path: Annotated[str, Field(pattern=MENU_PATH)] | None = None
    disposition: Disposition
    recording: IvrRecording | None = None
    transcript: Annotated[str, Field(max_length=20000)] | None = None
    agent_notes: Annotated[str, Field(max_length=5000)] | None = None

    @field_validator("started_at", "answered_at", "ended_at")
    @classmethod
    def _plausible(cls, moment: datetime | None) -> datetime | None:
        # A call starts the ticket's clock and names its day (12328-YYYYMMDD-…): a clock set to
        # 1970 or to next year is refused, not turned into a ticket of another century.
        if moment is None:
            return None
        if moment < EARLIEST_CALL:
            raise ValueError(f"before {EARLIEST_CALL:%Y-%m-%d}: the IVR's clock is wrong")
        if moment > datetime.now(UTC) + CLOCK_AHEAD:
            raise ValueError("more than a day ahead of now: the IVR's clock is wrong")
        return moment

    @model_validator(mode="after")
    def _times_in_order(self) -> IvrCall:
        for name in ("answered_at", "ended_at"):
            moment = getattr(self, name)
            if moment is not None and moment < self.started_at:
                raise ValueError(f"{name} is before started_at")
        return self

    def keys(self) -> tuple[str, ...]:
        """The menu keys pressed, in order ("2-1" and "21" alike → ("2", "1"))."""
        return tuple(key for key in (self.menu_path or "") if key != "-")


class MenuEntry(BaseModel):
    """What a menu path means: the category and domain the caller chose by pressing it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category | None = None
    domain: Domain | None = None


def default_menu() -> dict[str, MenuEntry]:
    """1 咨询, 2 投诉举报, 3 意见建议 (第三十一条); then the domain (第二条): 1 城市客运 (taxi, bus,
    metro), 2 道路运输 (coaches, freight, driving schools), 3 公路 (roads, tolls), 4 水路, 5 海事,
    6 救助打捞, 7 海上搜救. The centre's own menu replaces it (`HOTLINE_IVR_MENU`)."""
    categories = {"1": Category.INQUIRY, "2": Category.COMPLAINT, "3": Category.SUGGESTION}
    domains = (
        Domain.URBAN_TRANSIT,
        Domain.ROAD_TRANSPORT,
        Domain.HIGHWAY,
        Domain.WATERWAY,
        Domain.MARITIME,
        Domain.SALVAGE,
        Domain.MARITIME_SAR,
    )
    menu = {key: MenuEntry(category=category) for key, category in categories.items()}
    for key, category in categories.items():
        for sub, domain in enumerate(domains, start=1):
            menu[f"{key}-{sub}"] = MenuEntry(category=category, domain=domain)
    return menu


def menu_choice(menu: dict[str, MenuEntry], keys: tuple[str, ...]) -> MenuEntry:
    """The entry of the longest menu path the keys begin with (keys pressed after the last menu
    level, an extension or a repeated key, are ignored); nothing chosen when no path matches."""
    for length in range(len(keys), 0, -1):
        entry = menu.get("-".join(keys[:length]))
        if entry is not None:
            return entry
    return MenuEntry()

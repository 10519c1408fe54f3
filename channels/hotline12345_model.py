"""A work order transferred by a 12345 local government hotline (`POST /channels/12345/orders`,
DESIGN.md): the order number, the platform and region that sent it, when it was received, the
citizen, what they said, the category and deadline 12345 gave it, and attachments. Names are
fixed; the platform may send more fields, which are ignored.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.file_names import FileName
from domain.ticket_event import ChannelUrl

ORDER_NO = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
MAX_ATTACHMENTS = 20


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class OrderCitizen(_Body):
    name: Annotated[str, Field(max_length=100)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None


class OrderAttachment(_Body):
    url: ChannelUrl
    name: FileName | None = Field(default=None, description="Display name; a path or a program is refused")


class WorkOrder(_Body):
    order_no: Annotated[str, Field(pattern=ORDER_NO)]
    platform: Annotated[str, Field(min_length=1, max_length=64)] = "12345"
    region_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    received_at: AwareDatetime
    citizen: OrderCitizen = Field(default_factory=OrderCitizen)
    content: Annotated[str, Field(min_length=1, max_length=20000)]
    category: Annotated[str, Field(max_length=64)] | None = None
    due_at: AwareDatetime | None = None
    attachments: Annotated[list[OrderAttachment], Field(max_length=MAX_ATTACHMENTS)] = Field(default_factory=list)

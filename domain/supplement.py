"""`TicketSupplement` v1 (schema `hotline.ticket-supplement/v1`): more material for a ticket that
already exists — the photos, voice notes and location a citizen sends after the text of a
complaint, the answer to a question for missing facts, a transcript that arrives after a call.

The ticketing core tells the two kinds of event apart by `schema`, and attaches a supplement to
the ticket named by `ticket_no`. Like every event it is delivered exactly once (`Idempotency-Key:
{event_id}`), and it never opens a ticket of its own.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from domain.taxonomy import ChannelName
from domain.ticket_event import TICKET_NO_PATTERN, Citizen, Content, Source, _Frozen

SUPPLEMENT_SCHEMA_ID = "hotline.ticket-supplement/v1"

SupplementKind = Literal["media", "location", "text", "answer", "transcript"]


class TicketSupplement(_Frozen):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        title="TicketSupplement",
        json_schema_extra={"$id": "https://12328.example/schema/ticket-supplement.v1.json"},
    )

    schema_id: Literal["hotline.ticket-supplement/v1"] = Field(default="hotline.ticket-supplement/v1", alias="schema")
    event_id: UUID
    ticket_no: Annotated[str, Field(pattern=TICKET_NO_PATTERN, description="The ticket this adds to")]
    kind: SupplementKind = Field(
        description=(
            "media: photos/voice/video sent after the ticket's text; location: where it happened; "
            "text: more words; answer: the citizen's answer to a question for missing facts; "
            "transcript: a transcript that arrived after the recording"
        )
    )
    idempotency_key: Annotated[str, Field(min_length=1, max_length=256)]
    channel: ChannelName
    received_at: AwareDatetime
    citizen: Citizen
    content: Content
    source: Source

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def ticket_supplement_json_schema() -> str:
    schema = TicketSupplement.model_json_schema(by_alias=True, mode="serialization")
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

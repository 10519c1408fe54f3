"""The published JSON Schema is the model's: a drift between the two fails here."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain import Citizen, Content, Routing, Source, TicketEvent
from domain.supplement import ticket_supplement_json_schema
from domain.ticket_event import ticket_event_json_schema

SCHEMA_FILE = Path(__file__).parents[2] / "schema" / "ticket-event.v1.json"


def test_schema_file_matches_model() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == ticket_event_json_schema(), (
        "schema/ticket-event.v1.json is stale: run `hotline-gateway schema > schema/ticket-event.v1.json`"
    )


def test_supplement_schema_file_matches_model() -> None:
    path = SCHEMA_FILE.with_name("ticket-supplement.v1.json")
    assert path.read_text(encoding="utf-8") == ticket_supplement_json_schema(), (
        "run `hotline-gateway schema ticket-supplement > schema/ticket-supplement.v1.json`"
    )


def _event(**overrides: object) -> TicketEvent:
    values: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "ticket_no": "12328-20261128-000042",
        "idempotency_key": "req-1",
        "channel": "app",
        "received_at": datetime.fromisoformat("2026-11-28T10:00:00+08:00"),
        "citizen": Citizen(),
        "content": Content(text="x"),
        "category": None,
        "domain": None,
        "decision": "accepted",
        "routing": Routing(region_code="440100"),
        "source": Source(),
    }
    values.update(overrides)
    return TicketEvent.model_validate(values)


def test_wire_form_uses_schema_alias_and_round_trips() -> None:
    event = _event()
    wire = event.to_json_dict()
    assert wire["schema"] == "hotline.ticket-event/v1"
    assert "schema_id" not in wire
    assert TicketEvent.model_validate(wire) == event
    assert set(json.loads(SCHEMA_FILE.read_text())["properties"]) == set(wire)


def test_model_is_frozen_and_closed() -> None:
    event = _event()
    with pytest.raises(ValidationError):
        event.ticket_no = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        _event(extra_field=1)


@pytest.mark.parametrize("bad", ["12328-2026112-000001", "12345-20261128-000001", "12328-20261128-42"])
def test_ticket_number_format_is_enforced(bad: str) -> None:
    with pytest.raises(ValidationError):
        _event(ticket_no=bad)


def test_received_at_must_be_aware() -> None:
    with pytest.raises(ValidationError):
        _event(received_at=datetime(2026, 11, 28, 10, 0))

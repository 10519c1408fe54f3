"""`forward_supplement` refuses a payload that is not a TicketSupplement, without quoting it."""

from __future__ import annotations

import pytest

from queue_workers.forward import (
    InvalidTicketEvent,
    InvalidTicketSupplement,
    PermanentDeliveryError,
    forward_supplement,
    forward_ticket,
)
from tests.event_factory import make_event
from tests.supplement_factory import make_supplement


def test_invalid_supplement_is_permanent_and_names_the_fields_only() -> None:
    payload = make_supplement(1).to_json_dict()
    payload["ticket_no"] = "13700001111"
    payload["kind"] = "13900001111"
    with pytest.raises(InvalidTicketSupplement) as raised:
        forward_supplement(payload)
    assert isinstance(raised.value, PermanentDeliveryError)
    message = str(raised.value)
    assert message.startswith("payload is not a valid TicketSupplement")
    assert "ticket_no" in message
    assert "kind" in message
    assert "13700001111" not in message
    assert "13900001111" not in message


def test_each_job_takes_only_its_own_kind_of_event() -> None:
    with pytest.raises(InvalidTicketSupplement, match="schema"):
        forward_supplement(make_event(1).to_json_dict())
    with pytest.raises(InvalidTicketEvent, match="schema"):
        forward_ticket(make_supplement(1).to_json_dict())

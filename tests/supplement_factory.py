"""Valid `TicketSupplement`s for tests that need one without going through a channel."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from domain import TicketSupplement
from tests.event_factory import BASE_TIME


def make_supplement(
    n: int = 1, *, ticket: int = 1, event_id: uuid.UUID | None = None, **overrides: Any
) -> TicketSupplement:
    """Supplement number `n` of ticket `12328-20261128-{ticket:06d}`, received `n` minutes after
    the ticket's own minute (see `make_event`)."""
    values: dict[str, Any] = {
        "event_id": event_id or uuid.uuid4(),
        "ticket_no": f"12328-20261128-{ticket:06d}",
        "kind": "media",
        "idempotency_key": f"msg-{ticket}-{n}",
        "channel": "wechat",
        "received_at": BASE_TIME + timedelta(minutes=ticket + n),
        "citizen": {"channel_user_id": f"openid-{ticket}", "name": "张三", "phone": "13800138000"},
        "content": {
            "text": "",
            "attachments": [{"kind": "image", "url": f"https://media.example/{ticket}/{n}.jpg", "mime": "image/jpeg"}],
        },
        "source": {"message_id": f"2400000000{ticket:03d}{n:03d}"},
    }
    values.update(overrides)
    return TicketSupplement.model_validate(values)

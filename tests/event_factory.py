"""Valid `TicketEvent`s for tests that need one without going through a channel.

Importable from a subprocess too (`python -c "from tests.event_factory import make_event"`), for
tests that write from several processes at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from domain import TicketEvent

SHANGHAI = timezone(timedelta(hours=8))
BASE_TIME = datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)


def make_event(n: int = 1, *, event_id: uuid.UUID | None = None, **overrides: Any) -> TicketEvent:
    """Event number `n`: ticket `12328-20261128-{n:06d}`, received `n` minutes after 09:00."""
    values: dict[str, Any] = {
        "event_id": event_id or uuid.uuid4(),
        "ticket_no": f"12328-20261128-{n:06d}",
        "idempotency_key": f"req-{n}",
        "channel": "app",
        "received_at": BASE_TIME + timedelta(minutes=n),
        "citizen": {"channel_user_id": f"u-{n}", "name": "张三", "phone": "13800138000"},
        "content": {"text": f"出租车司机拒载，第{n}件。"},
        "category": "complaint",
        "domain": "urban_transit",
        "decision": "accepted",
        "routing": {"region_code": "440100"},
        "source": {"request_id": f"req-{n}", "app_key_id": "test-app"},
    }
    values.update(overrides)
    return TicketEvent.model_validate(values)

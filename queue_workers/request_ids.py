"""The id of the request being handled — in the gateway, or in a worker running a job that a
request queued — for log lines (`RequestIdFilter`) and for the ticketing core (`X-Request-Id`).
gateway/request_context.py gives each request its id; this module only keeps it."""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestInfo:
    request_id: str
    # Filled in by whoever learns them (the channel route, the pipeline): the access line's fields.
    fields: dict[str, Any] = field(default_factory=dict)


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("hotline_request", default=None)


def current_request_id() -> str | None:
    info = _current.get()
    return info.request_id if info is not None else None


def note(**fields: Any) -> None:
    """Add `fields` (channel, decision, ticket number…) to the current request's access line."""
    info = _current.get()
    if info is not None:
        info.fields.update(fields)


def bind(request_id: str | None) -> contextvars.Token[RequestInfo | None]:
    """Make `request_id` current (a worker running a request's job); `unbind` with the token."""
    return enter(RequestInfo(request_id) if request_id else None)


def enter(info: RequestInfo | None) -> contextvars.Token[RequestInfo | None]:
    """Make `info` the current request's; `unbind` with the token."""
    return _current.set(info)


def unbind(token: contextvars.Token[RequestInfo | None]) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`record.request_id`, None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True

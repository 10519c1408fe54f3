"""Each request's id, and what the request came to, for its log lines and its jobs.

The id is the sender's `X-Request-Id` when it sent a usable one (a load balancer's, an app's),
else a new one; it is answered in `X-Request-Id`, written on every log line logged while the
request is handled (the JSON log's `request_id`), carried by every job the request queues (RQ job
meta, through the spool too), and sent to the ticketing core with the event (`X-Request-Id`), so
one id follows a citizen's message from the edge to the core.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from normalizers.pii import mask_pii
from queue_workers.metrics import REQUESTS
from queue_workers.request_ids import RequestInfo, current_request_id, enter, note, unbind

__all__ = ["HEADER", "current_request_id", "note", "request_id_of", "request_ids"]

HEADER = "X-Request-Id"
_USABLE = re.compile(r"^[A-Za-z0-9._:\-]{8,64}$")

access_log = logging.getLogger("hotline.access")


_CHANNEL_PATHS = (
    ("/api/v1/app/", "app"),
    ("/channels/wechat", "wechat"),
    ("/channels/ivr/", "ivr"),
    ("/channels/12345/", "hotline12345"),
    ("/form", "webform"),
)


def channel_of_path(path: str) -> str:
    """The channel a path belongs to (`other`: operations, admin, files), for metric labels."""
    return next((channel for prefix, channel in _CHANNEL_PATHS if path.startswith(prefix)), "other")


def request_id_of(request: web.Request) -> str:
    given = request.headers.get(HEADER, "")
    return given if _USABLE.match(given) else uuid.uuid4().hex


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: the id, the answer's header, and one access line per request."""
    info = RequestInfo(request_id_of(request))
    token = enter(info)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[HEADER] = info.request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[HEADER] = info.request_id
        raise
    finally:
        REQUESTS.labels(channel=channel_of_path(request.path), status=str(status)).inc()
        if access_log.isEnabledFor(logging.INFO):  # the line's fields cost: only when it is written
            path = mask_pii(request.path)
            access_log.info(
                "%s %s %d",
                request.method,
                path,
                status,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    **info.fields,
                },
            )
        unbind(token)

"""HTTP plumbing shared by every route: JSON errors, size-limited bodies, the client address."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.exceptions
from aiohttp import web
from aiohttp.typedefs import Middleware

from channels.base import Channel, ChannelError, Inbound, RateLimited, json_response
from gateway import keys
from gateway.pipeline import ServiceUnavailable, StillInProgress
from normalizers.pii import mask_pii
from normalizers.time import now_shanghai

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, code: str, message: str, **extra: object) -> web.Response:
    headers = {}
    retry_after = extra.pop("retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return json_response({"error": code, "message": message, **extra}, status=status, headers=headers)


class PayloadTooLarge(ChannelError):
    status = 413
    code = "payload_too_large"


def error_middleware_factory() -> Middleware:
    """Every failure becomes `{"error", "message"}` with a 4xx/503; an unexpected one a logged 500."""

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ChannelError as exc:
            headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else None
            return json_response(exc.to_json_dict(), status=exc.status, headers=headers)
        except (ServiceUnavailable, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            # Redis is down (at the nonce check, the dedupe claim or the enqueue): nothing was
            # taken, and the sender must know to retry.
            return json_error(
                503,
                "unavailable",
                "暂时无法受理，请稍后重试 (service temporarily unavailable)",
                retry_after=ServiceUnavailable.retry_after_s,
            )
        except StillInProgress as exc:
            return json_error(
                409, "in_progress", "the same request is still being processed", retry_after=exc.retry_after_s
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _http_json(exc)
        except ConnectionResetError:
            # The sender hung up before its body was complete: nothing was taken, and there is
            # nobody to answer. Not an error of ours, and no traceback for the operators.
            log.info("%s %s: the client went away before its request was complete", request.method, request.path)
            return json_error(400, "incomplete_request", "the connection closed before the request was complete")
        except Exception:
            log.exception("unhandled error on %s %s", request.method, mask_pii(request.path))
            return json_error(500, "internal_error", "internal error")

    return errors


def _http_json(exc: web.HTTPException) -> web.Response:
    response = json_response({"error": exc.reason.lower().replace(" ", "_"), "message": exc.reason}, status=exc.status)
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` (never read past it)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def client_address(request: web.Request, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The peer address; behind a trusted proxy, the last untrusted hop of X-Forwarded-For."""
    peer = request.remote or "unknown"
    if not trusted:
        return peer
    try:
        hops = [peer] + [h.strip() for h in reversed(request.headers.get("X-Forwarded-For", "").split(","))]
        for hop in hops:
            if not hop:
                continue
            address = ipaddress.ip_address(hop)
            if not any(address in network for network in trusted):
                return hop
    except ValueError:
        return peer
    return peer


async def read_inbound(request: web.Request, limit: int, client: str) -> Inbound:
    body = await read_body(request, limit)
    return Inbound(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=body,
        client=client,
        received_at=now_shanghai(),
        content_type=request.content_type,
        raw_path=request.raw_path,
    )


ChannelT = TypeVar("ChannelT", bound=Channel[Any])


def channel_of(request: web.Request, kind: type[ChannelT]) -> ChannelT:
    """The app's enabled channel of class `kind` (its routes exist only when it is enabled)."""
    channel = request.app[keys.CHANNELS][kind.name]
    if not isinstance(channel, kind):
        raise TypeError(f"the registry's {kind.name} channel is not a {kind.__name__}")
    return channel


def rate_subject(client: str) -> str:
    """IPv4 address, or the /64 of an IPv6 one (one household or phone holds a whole /64)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)

"""Operator pages under /admin: the local ticket store, as HTML (Chinese) or JSON.

`GET /admin/tickets` lists tickets newest first (filters: ticket_no prefix, channel, decision,
category, domain; paging: page, per_page); `GET /admin/tickets/{ticket_no}` shows one ticket whole,
with its supplements (`TicketSupplement`: photos, locations, answers sent later) in the order the
citizen sent them — JSON `"supplements": [{"stored_at", "event"}]`.
HTML by default, JSON when the client asks `Accept: application/json`.

Auth: `Authorization: Bearer <HOTLINE_ADMIN_TOKEN>`, or HTTP Basic with the token as password so a
browser can prompt for it. Operators see personal data because they call citizens back (第七条
limits it to that duty); nothing of a ticket is logged here, and no page may be cached.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import jinja2
from aiohttp import BasicAuth, web
from multidict import MultiMapping

from channels.base import json_response
from domain import Category, ChannelName, DecisionKind, Domain, RedirectTarget, RefusalReason, fact_label
from domain.taxonomy import CATEGORY_LABELS, DOMAIN_LABELS
from gateway import keys
from gateway.http import json_error
from queue_workers.ticket_store import StoredSupplement, StoredTicket, TicketFilter, TicketStore

routes = web.RouteTableDef()

Handler = Callable[[web.Request], Awaitable[web.Response]]

PER_PAGE = 50
MAX_PER_PAGE = 200
BASIC_CHALLENGE = 'Basic realm="hotline admin", charset="UTF-8"'
_TICKET_NO_QUERY = re.compile(r"^[0-9-]{1,40}$")

CHANNEL_LABELS: dict[str, str] = {
    ChannelName.WECHAT: "微信公众号",
    ChannelName.APP: "移动应用",
    ChannelName.WEBFORM: "网页表单",
    ChannelName.IVR: "电话",
    ChannelName.HOTLINE12345: "12345转办",
}
DECISION_LABELS: dict[str, str] = {
    DecisionKind.ANSWERED: "即时解答",
    DecisionKind.ACCEPTED: "已受理",
    DecisionKind.REJECTED: "不予受理",
    DecisionKind.REDIRECTED: "转其他热线",
    DecisionKind.NEEDS_INFO: "需补充信息",
    DecisionKind.CALLBACK: "待回电",
}
REASON_LABELS: dict[str, str] = {  # 第十九条 (一)–(六)
    RefusalReason.OUT_OF_SCOPE: "不属于交通运输部门职责范围（第十九条第一项）",
    RefusalReason.NO_CLEAR_FACTS: "没有明确的对象、事实和理由（第十九条第二项）",
    RefusalReason.LEGAL_PROCEDURE: "须通过诉讼、仲裁等程序解决（第十九条第三项）",
    RefusalReason.PETITION_CHANNEL: "已进入信访渠道（第十九条第四项）",
    RefusalReason.CONFIDENTIAL: "涉及国家秘密、商业秘密、个人隐私（第十九条第五项）",
    RefusalReason.PUBLIC_ORDER: "违反社会公序良俗（第十九条第六项）",
    RefusalReason.OTHER_JURISDICTION: "不属于本中心管辖区域（退回12345）",
}
REDIRECT_LABELS: dict[str, str] = {  # 第三条
    RedirectTarget.RAILWAY: "铁路 12306",
    RedirectTarget.CIVIL_AVIATION: "民航 12326",
    RedirectTarget.POSTAL: "邮政 12305",
    RedirectTarget.TRAFFIC_POLICE: "交警 122",
    RedirectTarget.WATER_DISTRESS: "水上遇险求救 12395",
    RedirectTarget.HIGHWAY_RESCUE: "高速公路救援 12122",
    RedirectTarget.EMERGENCY: "紧急求助 110/120/119",
}
ATTACHMENT_LABELS: dict[str, str] = {
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "file": "文件",
    "recording": "录音",
    "link": "链接",
}
SUPPLEMENT_LABELS: dict[str, str] = {
    "media": "补充图片/音视频",
    "location": "补充位置",
    "text": "补充说明",
    "answer": "补充信息（答复追问）",
    "transcript": "通话转写",
}
LABELS: dict[str, Mapping[str, str]] = {
    "channel": CHANNEL_LABELS,
    "decision": DECISION_LABELS,
    "category": {key.value: label for key, label in CATEGORY_LABELS.items()},
    "domain": {key.value: label for key, label in DOMAIN_LABELS.items()},
    "reason": REASON_LABELS,
    "redirect": REDIRECT_LABELS,
    "attachment": ATTACHMENT_LABELS,
    "supplement": SUPPLEMENT_LABELS,
}
# In the taxonomy's own order, which is also the order of the select boxes.
_FILTER_CHOICES: dict[str, tuple[str, ...]] = {
    "channel": tuple(c.value for c in ChannelName),
    "decision": tuple(d.value for d in DecisionKind),
    "category": tuple(c.value for c in Category),
    "domain": tuple(d.value for d in Domain),
}


class _BadQuery(Exception):
    pass


def admin_only(handler: Handler) -> Handler:
    """Token check before the handler; no caching and no sniffing on every admin response."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.Response:
        try:
            denied = _denied(request)
            response = denied if denied is not None else await handler(request)
        except _BadQuery as exc:
            response = json_error(400, "bad_query", str(exc))
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return guarded


def _denied(request: web.Request) -> web.Response | None:
    token = request.app[keys.SETTINGS].admin_token
    if token is None or not token.get_secret_value():
        return json_error(403, "admin_disabled", "admin disabled: HOTLINE_ADMIN_TOKEN is not set")
    presented = _presented_token(request.headers.get("Authorization", ""))
    expected = token.get_secret_value().encode("utf-8")
    # compare_digest on bytes: the time taken does not depend on where the tokens differ.
    # surrogateescape: a header with bytes that are not UTF-8 is a wrong token, not a 500.
    if presented is None or not hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), expected):
        response = json_error(
            401,
            "unauthorized",
            "admin token required: Authorization: Bearer <token>, or Basic with it as password",
        )
        response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        return response
    return None


def _presented_token(header: str) -> str | None:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip() or None
    if scheme.lower() == "basic":
        try:
            return str(BasicAuth.decode(header.strip(), encoding="utf-8").password)
        except ValueError:
            return None
    return None


@routes.get("/admin/tickets")
@admin_only
async def list_tickets(request: web.Request) -> web.Response:
    filters = _filters(request.query)
    page = _int_param(request.query, "page", default=1, low=1, high=1_000_000)
    per_page = _int_param(request.query, "per_page", default=PER_PAGE, low=1, high=MAX_PER_PAGE)
    store = request.app[keys.TICKET_STORE]
    # SQLite blocks: off the event loop.
    total, tickets = await asyncio.to_thread(_page, store, filters, per_page, (page - 1) * per_page)
    forwarding = _forwarding(request)
    if _wants_json(request):
        return json_response(
            {
                "forwarding": forwarding,
                "total": total,
                "page": page,
                "per_page": per_page,
                "tickets": [_ticket_json(ticket) for ticket in tickets],
            }
        )
    pages = max(1, math.ceil(total / per_page))
    return render_page(
        "admin_tickets.html",
        title="工单列表",
        forwarding=forwarding,
        tickets=tickets,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        choices=_FILTER_CHOICES,
        prev_url=str(request.rel_url.update_query(page=page - 1)) if page > 1 else None,
        next_url=str(request.rel_url.update_query(page=page + 1)) if page < pages else None,
    )


@routes.get("/admin/tickets/{ticket_no}")
@admin_only
async def show_ticket(request: web.Request) -> web.Response:
    ticket_no = request.match_info["ticket_no"]
    ticket, supplements = await asyncio.to_thread(_ticket_whole, request.app[keys.TICKET_STORE], ticket_no)
    if _wants_json(request):
        if ticket is None:
            return json_error(404, "not_found", f"no ticket {ticket_no} in the local ticket store")
        return json_response(
            {
                "forwarding": _forwarding(request),
                **_ticket_json(ticket),
                "supplements": [_supplement_json(supplement) for supplement in supplements],
            }
        )
    return render_page(
        "admin_ticket.html",
        status=200 if ticket is not None else 404,
        title=f"工单 {ticket_no}",
        forwarding=_forwarding(request),
        ticket_no=ticket_no,
        ticket=ticket,
        # Without its ticket (not stored yet) a supplement is only counted: the page has nothing
        # to attach it to.
        supplements=supplements,
        raw_json=_pretty(ticket.event_json) if ticket is not None else "",
    )


def _ticket_whole(store: TicketStore, ticket_no: str) -> tuple[StoredTicket | None, list[StoredSupplement]]:
    return store.get(ticket_no), store.supplements(ticket_no)


def _page(store: TicketStore, filters: TicketFilter, limit: int, offset: int) -> tuple[int, list[StoredTicket]]:
    return store.count(filters), store.newest(filters, limit=limit, offset=offset)


def _filters(query: MultiMapping[str]) -> TicketFilter:
    values: dict[str, str | None] = {}
    for name, allowed in _FILTER_CHOICES.items():
        value = query.get(name, "").strip()
        if value and value not in allowed:
            raise _BadQuery(f"{name} must be one of: {', '.join(allowed)}")
        values[name] = value or None
    ticket_no = query.get("ticket_no", "").strip()
    if ticket_no and not _TICKET_NO_QUERY.match(ticket_no):
        raise _BadQuery("ticket_no is digits and dashes, e.g. 12328-20261128 or a whole ticket number")
    return TicketFilter(ticket_no=ticket_no or None, **values)


def _int_param(query: MultiMapping[str], name: str, *, default: int, low: int, high: int) -> int:
    text = query.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise _BadQuery(f"{name} must be an integer from {low} to {high}")
    return int(text)


def _wants_json(request: web.Request) -> bool:
    """JSON when the client prefers application/json over text/html (q-values honoured)."""
    preferences: dict[str, float] = {}
    for part in request.headers.get("Accept", "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        preferences[media.lower()] = quality
    json_q = preferences.get("application/json", 0.0)
    return json_q > 0 and json_q >= preferences.get("text/html", 0.0)


def _forwarding(request: web.Request) -> str:
    return "ticket_core" if request.app[keys.SETTINGS].ticket_core_url else "local_store"


def _ticket_json(ticket: StoredTicket) -> dict[str, Any]:
    return {"stored_at": ticket.stored_at.isoformat(), "event": json.loads(ticket.event_json)}


def _supplement_json(supplement: StoredSupplement) -> dict[str, Any]:
    return {"stored_at": supplement.stored_at.isoformat(), "event": json.loads(supplement.event_json)}


def _pretty(event_json: str) -> str:
    return json.dumps(json.loads(event_json), ensure_ascii=False, indent=2)


def _http_url(url: str | None) -> str | None:
    """Only http(s) links are rendered as links: a `javascript:` URL from a channel stays text."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


@functools.cache
def _templates() -> jinja2.Environment:
    # Built on first use, not at import. autoescape=True for every template, whatever its name.
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("gateway", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["http_url"] = _http_url
    environment.filters["fact_label"] = fact_label
    environment.globals["labels"] = LABELS
    return environment


def render_page(template: str, *, status: int = 200, **context: Any) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    body = _templates().get_template(template).render(style_nonce=nonce, **context)
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    # No script at all; the one inline stylesheet carries this response's nonce.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

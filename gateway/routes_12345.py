"""`POST /channels/12345/orders`: work orders transferred by the 12345 platform.

Idempotent by order number (a repeat gets the first answer, `duplicate: true`). Whatever the
centre does not take is returned (第十九条: 退回，并说明理由) — refused, another hotline's, or an
order from outside the centre's region — by an RQ job that POSTs the return to
`HOTLINE_12345_RETURN_URL`, queued in the same Redis transaction as the order's event, so a
return is queued exactly when its order is taken, and once.
"""

from __future__ import annotations

from aiohttp import web

from channels.base import json_response
from channels.hotline12345 import ORDERS_PATH, Hotline12345Channel, order_reply, outcome
from domain import Decision, DecisionKind, IntakeReply, RefusalReason, Routing, TicketEvent
from gateway import keys
from gateway.enqueue import JobSpec, Writes
from gateway.http import channel_of, client_address, read_inbound
from gateway.policy.routing import serves
from queue_workers.returns import RETURN_FUNC, return_job_id, return_notice
from queue_workers.settings import REPLY_QUEUE


async def orders(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    channel = channel_of(request, Hotline12345Channel)
    inbound = await read_inbound(request, settings.json_max_bytes, client_address(request, settings.trusted_proxies))
    await channel.verify(inbound)
    order = channel.parse(inbound)
    intake = channel.normalize(order, inbound)
    decided = None
    if not serves(settings.region_code, order.region_code):
        decided = Decision(
            decision=DecisionKind.REJECTED,
            category=intake.category_hint,
            domain=None,
            routing=Routing(region_code=settings.region_code, level="city"),
            reason=RefusalReason.OTHER_JURISDICTION,
        )
    retry_schedule = tuple(settings.forward_retry_schedule)

    def the_return(event: TicketEvent, reply: IntakeReply) -> Writes:
        if outcome(event.decision) != "returned":
            return Writes()
        job = JobSpec(
            queue=REPLY_QUEUE,
            func=RETURN_FUNC,
            payload=return_notice(order.order_no, reply),
            job_id=return_job_id(order.order_no),
            description=f"return 12345 order via {event.ticket_no}",
            retry_schedule=retry_schedule,
        )
        return Writes(jobs=(job,))

    reply = await request.app[keys.PIPELINE].submit(intake, extra=the_return, decided=decided)
    return json_response({"order_no": order.order_no, **order_reply(reply)})


def add_routes(app: web.Application) -> None:
    app.router.add_post(ORDERS_PATH, orders)

"""The RQ job `return_order`: a 12345 work order the centre does not take goes back to the 12345
platform, with the reason (第十九条: 对12345等…转办的上述不予受理事项，应将业务工单退回，并说明理由).

`POST {HOTLINE_12345_RETURN_URL}` with `{"order_no", "decision", "reason", "redirect", "message",
"ticket_no"}` (message: the explanation in Chinese), signed like the ticket-core forwarding with
`HOTLINE_12345_RETURN_SECRET` (`queue_workers.ticket_core`), `Idempotency-Key: 12345-return:{order_no}`.
Retried on the forwarding schedule; dead-lettered on a permanent refusal (`queue_workers.delivery`).
Never sent twice: one job per order (its id is the order's), queued with the order's event, and a
delivered return is remembered.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain import DecisionKind, IntakeReply, RedirectTarget, RefusalReason
from queue_workers import context as forwarding
from queue_workers.delivery import post_signed
from queue_workers.failures import PermanentDeliveryError, dead_letter, validation_problems
from queue_workers.ticket_core import encode_body

RETURN_FUNC = "queue_workers.returns.return_order"


class InvalidReturn(PermanentDeliveryError):
    """The job's payload is not a return notice."""


class ReturnNotice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_no: str
    decision: DecisionKind
    reason: RefusalReason | None
    redirect: RedirectTarget | None
    message: str
    ticket_no: str


def return_job_id(order_no: str) -> str:
    return f"12345-return-{order_no}"


def return_notice(order_no: str, reply: IntakeReply) -> dict[str, Any]:
    notice = ReturnNotice(
        order_no=order_no,
        decision=reply.decision,
        reason=reply.reason,
        redirect=reply.redirect,
        message=reply.message,
        ticket_no=reply.ticket_no,
    )
    return notice.model_dump(mode="json")


def return_order(payload: dict[str, Any]) -> None:
    try:
        notice = ReturnNotice.model_validate(payload)
    except ValidationError as exc:
        raise dead_letter(InvalidReturn(f"payload is not a return notice: {validation_problems(exc)}")) from None
    context = forwarding.current()
    url = context.settings.hotline12345_return_url
    secret = context.settings.hotline12345_return_secret
    if not url or secret is None:
        raise dead_letter(
            PermanentDeliveryError("HOTLINE_12345_RETURN_URL and HOTLINE_12345_RETURN_SECRET are required")
        )
    post_signed(
        context,
        url=url,
        secret=secret.get_secret_value(),
        idempotency_key=f"12345-return:{notice.order_no}",
        body=encode_body(notice.model_dump(mode="json")),
        subject=f"return of 12345 order {notice.order_no} ({notice.ticket_no})",
        receiver="12345 platform",
    )

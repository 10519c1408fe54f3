"""What the citizen is told, in plain Chinese, for each decision."""

from __future__ import annotations

from domain import Category, Decision, DecisionKind, IntakeReply

# 第二十三条: reply within 3 (inquiry), 5 (suggestion) or 10 (complaint) working days.
REPLY_WORKING_DAYS: dict[Category, int] = {
    Category.INQUIRY: 3,
    Category.SUGGESTION: 5,
    Category.COMPLAINT: 10,
}


def _accepted_message(ticket_no: str, decision: Decision) -> str:
    # 第十七条: transfer within 24 hours, non-working days postponed.
    head = f"您反映的事项已受理，工单号：{ticket_no}。我们将在24小时内（非工作日顺延）转交承办单位办理，"
    if decision.category is not None:
        days = REPLY_WORKING_DAYS[decision.category]
        tail = f"承办单位一般在{days}个工作日内答复您。"
    else:
        tail = "承办单位将按规定时限（咨询3个、建议5个、投诉10个工作日内）答复您。"
    if decision.urgent:
        head = f"您反映的安全问题已受理并立即转办，工单号：{ticket_no}。"
        tail = "请注意自身安全。"
    return head + tail + "请保存工单号以便查询办理进度。"


def build_reply(ticket_no: str, decision: Decision) -> IntakeReply:
    if decision.decision is DecisionKind.ACCEPTED:
        message = _accepted_message(ticket_no, decision)
    elif decision.decision is DecisionKind.ANSWERED and decision.answer is not None:
        message = decision.answer.text
    else:
        message = f"工单号：{ticket_no}。"
    return IntakeReply(
        ticket_no=ticket_no,
        decision=decision.decision,
        category=decision.category,
        domain=decision.domain,
        urgent=decision.urgent,
        message=message,
        answer=decision.answer.text if decision.answer else None,
        reason=decision.reason,
        redirect=decision.redirect,
        missing_facts=decision.missing_facts,
        deadlines=decision.deadlines,
    )

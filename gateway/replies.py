"""What the citizen is told, in plain Chinese, for each decision."""

from __future__ import annotations

from domain import Decision, DecisionKind, IntakeReply, RedirectTarget, RefusalReason, fact_label
from gateway.policy.deadlines import REPLY_WORKING_DAYS

# 第十九条: a refusal states its reason.
REFUSAL_TEXT: dict[RefusalReason, str] = {
    RefusalReason.OUT_OF_SCOPE: "该事项不属于交通运输主管部门的职责范围",
    RefusalReason.NO_CLEAR_FACTS: "投诉举报没有明确的对象、事实和理由",
    RefusalReason.LEGAL_PROCEDURE: "该事项须通过诉讼、仲裁、纪检监察、行政复议或政府信息公开等程序解决",
    RefusalReason.PETITION_CHANNEL: "该事项已进入信访渠道",
    RefusalReason.CONFIDENTIAL: "该事项涉及国家秘密、商业秘密或个人隐私",
    RefusalReason.PUBLIC_ORDER: "该内容违反社会公序良俗",
    RefusalReason.OTHER_JURISDICTION: "该工单不属于本热线服务中心的管辖区域",
}

# 第三条: matters of other hotlines, and where to go instead.
REDIRECT_TEXT: dict[RedirectTarget, str] = {
    RedirectTarget.RAILWAY: "铁路客运、货运问题请拨打12306铁路客服热线",
    RedirectTarget.CIVIL_AVIATION: "民航服务问题请拨打12326民航服务质量监督电话",
    RedirectTarget.POSTAL: "邮政、快递问题请拨打12305邮政业用户申诉电话",
    RedirectTarget.TRAFFIC_POLICE: ("交通违法、记分、驾驶证和交通事故问题请拨打122交通事故报警电话或联系当地交警部门"),
    RedirectTarget.WATER_DISTRESS: "水上遇险请立即拨打12395水上遇险求救电话",
    RedirectTarget.HIGHWAY_RESCUE: "高速公路故障、事故需要救援请立即拨打12122高速公路救援电话",
    RedirectTarget.EMERGENCY: "情况紧急、危及生命安全，请立即拨打110（报警）、120（急救）或119（火警）",
}


# Help is needed now: the reply says where to get it, and nothing else.
_DANGER_NOW = frozenset({RedirectTarget.EMERGENCY, RedirectTarget.WATER_DISTRESS, RedirectTarget.HIGHWAY_RESCUE})


def _accepted_message(ticket_no: str, decision: Decision) -> str:
    if decision.urgent:
        # 第二十一条: safety-production matters are transferred at once.
        return f"您反映的安全问题已受理并立即转办，工单号：{ticket_no}。请注意自身安全。"
    # 第十七条: transfer within 24 hours, non-working days postponed.
    head = f"您反映的事项已受理，工单号：{ticket_no}。我们将在24小时内（非工作日顺延）转交承办单位办理，"
    if decision.deadlines is not None and decision.category is not None:
        by = decision.deadlines.reply_by
        days = REPLY_WORKING_DAYS[decision.category]
        tail = f"承办单位将在{days}个工作日内（{by.year}年{by.month}月{by.day}日前）答复您。"
    elif decision.category is not None:
        tail = f"承办单位一般在{REPLY_WORKING_DAYS[decision.category]}个工作日内答复您。"
    else:
        tail = "承办单位将按规定时限（咨询3个、建议5个、投诉10个工作日内）答复您。"
    return head + tail + "请保存工单号以便查询办理进度。"


def build_message(ticket_no: str, decision: Decision) -> str:
    kind = decision.decision
    if kind is DecisionKind.ANSWERED:
        if decision.answer is not None:
            return decision.answer.text
        return f"来电已由坐席或自助语音服务当场答复（第十六条），已存档。工单号：{ticket_no}。"
    if kind is DecisionKind.CALLBACK:
        return f"来电未接通或未留言，热线将尽快回电（第十六条）。工单号：{ticket_no}。"
    if kind is DecisionKind.REJECTED and decision.reason is not None:
        reason = REFUSAL_TEXT[decision.reason]
        if decision.reason is RefusalReason.OTHER_JURISDICTION:
            return f"{reason}，予以退回，请转属地12328热线服务中心办理。工单号：{ticket_no}。"
        return f"很抱歉，{reason}，12328热线不予受理（第十九条）。工单号：{ticket_no}。"
    if kind is DecisionKind.REDIRECTED and decision.redirect is not None:
        where = REDIRECT_TEXT[decision.redirect]
        if decision.redirect in _DANGER_NOW:
            return f"{where}！"  # nothing else: the citizen must act now
        return f"{where}。12328热线受理公路、水路、道路运输、城市客运等交通运输事项。"
    if kind is DecisionKind.NEEDS_INFO:
        missing = "、".join(map(fact_label, decision.missing_facts)) or "具体的时间、地点和对象"
        return f"为便于核实处理，请补充：{missing}。工单号：{ticket_no}。"
    if kind is DecisionKind.ACCEPTED and decision.answer is not None:
        # A complaint is transferred, never closed by an FAQ; the article that matches rides along.
        return f"{_accepted_message(ticket_no, decision)}\n您也可以参考：{decision.answer.text}"
    return _accepted_message(ticket_no, decision)


def build_reply(ticket_no: str, decision: Decision) -> IntakeReply:
    return IntakeReply(
        ticket_no=ticket_no,
        decision=decision.decision,
        category=decision.category,
        domain=decision.domain,
        urgent=decision.urgent,
        message=build_message(ticket_no, decision),
        answer=decision.answer.text if decision.answer else None,
        reason=decision.reason,
        redirect=decision.redirect,
        missing_facts=decision.missing_facts,
        deadlines=decision.deadlines,
    )

"""`KnowledgeBaseDecider` over hand-written base deciders and a KB of our own: what it answers,
what it leaves to the base, and what it only suggests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain import Category, Citizen, Content, Decision, DecisionKind, Intake, Routing, Source
from domain.taxonomy import ChannelName, Domain, RedirectTarget
from gateway.decide import AcceptAsChosen, FixedKnowledgeBase, KnowledgeBaseDecider
from gateway.kb.files import load_entries
from gateway.kb.retriever import Retriever

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"


class Scripted:
    """A base decider that returns one decision, whatever the intake."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    async def decide(self, intake: Intake) -> Decision:
        return self.decision


@pytest.fixture(scope="module")
def kb() -> FixedKnowledgeBase:
    return FixedKnowledgeBase(Retriever.build(load_entries(SMALL_KB)))


def _intake(text: str, category: Category | None = None) -> Intake:
    return Intake(
        channel=ChannelName.APP,
        idempotency_key="k-1",
        received_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        citizen=Citizen(),
        content=Content(text=text),
        source=Source(),
        category_hint=category,
    )


BASE = Decision(decision=DecisionKind.ACCEPTED, category=None, domain=None, routing=Routing(region_code="440100"))


async def test_an_inquiry_is_answered_with_the_article_and_the_base_routing(kb: FixedKnowledgeBase) -> None:
    decision = await KnowledgeBaseDecider(AcceptAsChosen("440100"), kb).decide(_intake("的士不拉人怎么办"))
    assert decision.decision is DecisionKind.ANSWERED
    assert (decision.category, decision.domain) == (Category.INQUIRY, Domain.URBAN_TRANSIT)
    assert decision.answer is not None
    assert decision.answer.kb_id == "t-taxi-refusal"
    assert decision.routing.region_code == "440100"


async def test_urgent_suggestion_and_redirected_intakes_keep_the_base_decision(kb: FixedKnowledgeBase) -> None:
    urgent = dataclasses.replace(BASE, urgent=True)
    assert await KnowledgeBaseDecider(Scripted(urgent), kb).decide(_intake("的士不拉人怎么办")) == urgent
    suggestion = _intake("的士不拉人怎么办", Category.SUGGESTION)
    assert await KnowledgeBaseDecider(Scripted(BASE), kb).decide(suggestion) == BASE
    redirected = dataclasses.replace(BASE, decision=DecisionKind.REDIRECTED, redirect=RedirectTarget.RAILWAY)
    complaint = _intake("出租车司机拒载，车牌粤A12345")
    assert await KnowledgeBaseDecider(Scripted(redirected), kb).decide(complaint) == redirected


async def test_a_complaint_stays_accepted_with_the_article_as_a_suggestion(kb: FixedKnowledgeBase) -> None:
    decider = KnowledgeBaseDecider(Scripted(BASE), kb)
    for intake in (_intake("出租车司机拒载，车牌粤A12345"), _intake("出租车拒载怎么投诉", Category.COMPLAINT)):
        decision = await decider.decide(intake)
        assert decision.decision is DecisionKind.ACCEPTED
        assert (decision.category, decision.domain) == (None, None)  # the base's, untouched
        assert decision.answer is not None
        assert decision.answer.kb_id == "t-taxi-refusal"


async def test_without_a_kb_or_a_match_the_base_decides(kb: FixedKnowledgeBase) -> None:
    assert (
        await KnowledgeBaseDecider(Scripted(BASE), FixedKnowledgeBase(None)).decide(_intake("的士不拉人怎么办")) == BASE
    )
    assert await KnowledgeBaseDecider(Scripted(BASE), kb).decide(_intake("明天北京天气怎么样")) == BASE
    # A complaint no article fits: transferred without a suggestion.
    assert await KnowledgeBaseDecider(Scripted(BASE), kb).decide(_intake("我要投诉楼上邻居半夜装修")) == BASE

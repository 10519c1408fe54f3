"""The regulation's policy outranks an article: a refusal, a redirect or a question for missing facts
made by the base decider is never turned into an instant answer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from domain import Decision, DecisionKind, RedirectTarget, RefusalReason, Routing
from gateway.decide import FixedKnowledgeBase, KnowledgeBaseDecider
from gateway.kb.files import load_entries
from gateway.kb.retriever import Retriever
from tests.unit.test_decide_kb import Scripted, _intake

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"
BASE = Decision(decision=DecisionKind.ACCEPTED, category=None, domain=None, routing=Routing(region_code="440100"))


@pytest.mark.parametrize(
    "base",
    [
        dataclasses.replace(BASE, decision=DecisionKind.REJECTED, reason=RefusalReason.LEGAL_PROCEDURE),
        dataclasses.replace(BASE, decision=DecisionKind.REDIRECTED, redirect=RedirectTarget.RAILWAY),
        dataclasses.replace(BASE, decision=DecisionKind.NEEDS_INFO, missing_facts=("车牌号",)),
    ],
    ids=["rejected", "redirected", "needs_info"],
)
async def test_a_policy_decision_is_not_overruled_by_an_article(base: Decision) -> None:
    kb = FixedKnowledgeBase(Retriever.build(load_entries(SMALL_KB)))
    inquiry = _intake("的士不拉人怎么办")  # the KB answers this confidently on its own
    assert await KnowledgeBaseDecider(Scripted(base), kb).decide(inquiry) == base

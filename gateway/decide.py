"""The decision step: the seam where the knowledge base (第十七条) and the regulation's policy
(第三、十九、二十一、二十三条) plug in.

The gateway runs `KnowledgeBaseDecider(PolicyDecider)` (`gateway.policy`): the regulation's
policy decides, and the knowledge base answers at once what the policy accepts as an inquiry. An
inquiry the KB answers confidently is answered at once; a complaint is never closed by an FAQ — it
gets the base decision (accepted for transfer), with the best-matching article attached as a
suggestion; anything else gets the base decision as it is. `AcceptAsChosen` is the smallest base:
everything accepted as the citizen classified it (for tests and tools where the policy is beside
the point).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from domain import Answer, Category, Decision, DecisionKind, Intake, Routing
from gateway.kb.intent import is_complaint_narrative
from gateway.kb.retriever import Retriever

# An article is attached to a complaint as a suggestion at a lower bar than an instant answer
# needs: a complaint narrative carries many words no article has (plates, places, times), which
# lowers every score, and a suggestion that misses costs the citizen one sentence, not an answer.
SUGGESTION_BAR = 0.75


class Decider(Protocol):
    # Async so a step may await (a knowledge-base reload, a slow model) without blocking the loop.
    async def decide(self, intake: Intake) -> Decision: ...


class KnowledgeBaseSource(Protocol):
    """Whatever holds the current retriever (`gateway.kb.live.LiveKnowledgeBase` reloads it)."""

    @property
    def retriever(self) -> Retriever | None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class FixedKnowledgeBase:
    """One retriever that never changes (a command run once over a KB file; tests)."""

    retriever: Retriever | None


class AcceptAsChosen:
    """Accept everything for transfer, with the category/domain the citizen chose (or None)."""

    def __init__(self, region_code: str) -> None:
        self._region_code = region_code

    async def decide(self, intake: Intake) -> Decision:
        return Decision(
            decision=DecisionKind.ACCEPTED,
            category=intake.category_hint,
            domain=intake.domain_hint,
            routing=Routing(region_code=self._region_code, level="city"),
        )


def is_complaint(text: str) -> bool:
    """Does `text` narrate a complaint (a wrong done to the writer) or declare one? The rule set is
    documented in `gateway.kb.intent`."""
    return is_complaint_narrative(text)


class KnowledgeBaseDecider:
    """Instant answers from the knowledge base in front of a base decider.

    - urgent (safety) matters, per the base: the base decision, untouched (第二十一条: transferred
      at once, never answered by an article);
    - a complaint — the citizen chose "complaint", or the text narrates one (`is_complaint`): the
      base decision, category and domain included; when that is `accepted`, the best article
      rides along as a suggestion (`answer`), and the reply adds "您也可以参考：…";
    - a suggestion (意见建议), or a base decision other than `accepted` (refused, redirected, asking
      for facts — the regulation's policy outranks an article): the base decision;
    - otherwise, when the KB answers confidently (`Retriever.ask`): `answered`, category inquiry,
      the article's domain (else the base's), the base's routing, no deadlines;
    - otherwise the base decision.

    Retrieval takes well under a millisecond per question, so it runs on the event loop.
    """

    def __init__(self, base: Decider, kb: KnowledgeBaseSource) -> None:
        self._base = base
        self._kb = kb

    async def decide(self, intake: Intake) -> Decision:
        base = await self._base.decide(intake)
        retriever = self._kb.retriever
        text = intake.content.text
        suggestion = Category.SUGGESTION in (intake.category_hint, base.category)
        if retriever is None or base.urgent or not text.strip() or suggestion:
            return base
        if base.decision is not DecisionKind.ACCEPTED:
            return base  # the policy refused, redirected or asked for facts: an article does not overrule it
        if Category.COMPLAINT in (intake.category_hint, base.category) or is_complaint(text):
            return self._with_suggestion(base, retriever, text)
        match = retriever.ask(text)
        if match is None:
            return base
        return dataclasses.replace(
            base,
            decision=DecisionKind.ANSWERED,
            category=Category.INQUIRY,
            domain=match.entry.domain or base.domain,
            answer=Answer(kb_id=match.kb_id, text=match.entry.answer),
            reason=None,
            redirect=None,
            missing_facts=(),
            deadlines=None,  # answered at once: nothing left to transfer or reply to
        )

    @staticmethod
    def _with_suggestion(base: Decision, retriever: Retriever, text: str) -> Decision:
        # Category and domain stay the base's (the citizen's choice, or the policy's): this step
        # only keeps the FAQ from closing the complaint, and lends it the article that matches.
        if base.decision is not DecisionKind.ACCEPTED:
            return base
        match = retriever.best(text)
        if match is None or match.score < retriever.threshold * SUGGESTION_BAR:
            return base
        return dataclasses.replace(base, answer=Answer(kb_id=match.kb_id, text=match.entry.answer))

"""The decision step: the seam where the knowledge base (第十七条) and the regulation's policy
(第三、十九、二十一、二十三条) plug in. Until they do, every intake is accepted as the citizen
classified it."""

from __future__ import annotations

from typing import Protocol

from domain import Decision, DecisionKind, Intake, Routing


class Decider(Protocol):
    # Async so a step may await (a knowledge-base reload, a slow model) without blocking the loop.
    async def decide(self, intake: Intake) -> Decision: ...


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

"""The policy step of the pipeline: a `Decider` that applies the regulation to every intake.

The classification (`gateway.policy.classifier`) says what the message is and what to do with it;
this step adds where it goes (`gateway.policy.routing`, 第十八、二十一、二十五条) and by when
(`gateway.policy.deadlines`, 第十七、二十三条) for what is accepted for transfer. The knowledge
base sits in front of it (`gateway.decide.KnowledgeBaseDecider`): an article never overrules a
refusal, a redirect, a question for facts or an urgent matter.

Classification is CPU work of a fraction of a millisecond, so it runs on the event loop.
"""

from __future__ import annotations

from domain import Decision, DecisionKind, Fact, Intake
from gateway.policy.calendar import WorkingCalendar
from gateway.policy.classifier import Classifier
from gateway.policy.deadlines import compute_deadlines
from gateway.policy.routing import route


class PolicyDecider:
    def __init__(self, classifier: Classifier, calendar: WorkingCalendar, region_code: str) -> None:
        self._classifier = classifier
        self._calendar = calendar
        self._region_code = region_code

    async def decide(self, intake: Intake) -> Decision:
        return self.decide_now(intake)

    def decide_now(self, intake: Intake) -> Decision:
        text = intake.content.text
        c = self._classifier.classify(
            text, category_hint=intake.category_hint, interactive=intake.interactive, known=_known_facts(intake)
        )
        domain = c.domain
        if domain is None and c.decision in (DecisionKind.ACCEPTED, DecisionKind.NEEDS_INFO):
            domain = intake.domain_hint  # the citizen's choice fills in what the text does not say
        location = intake.content.location
        routing = route(
            text,
            domain=domain,
            category=c.category,
            centre_region_code=self._region_code,
            location_region_code=location.region_code if location is not None else None,
        )
        deadlines = None
        if c.decision is DecisionKind.ACCEPTED:
            deadlines = compute_deadlines(intake.received_at, c.category, self._calendar)
        return Decision(
            decision=c.decision,
            category=c.category,
            domain=domain,
            routing=routing,
            reason=c.reason,
            redirect=c.redirect,
            urgent=c.urgent,
            missing_facts=c.missing_facts,
            deadlines=deadlines,
        )


def _known_facts(intake: Intake) -> frozenset[Fact]:
    """Facts the channel gave in fields of their own: when (the form's 发生时间) and where (the
    form's 地点, the app's location). A region code alone (a 12345 order's) names a district,
    not the place where it happened."""
    content = intake.content
    known: set[Fact] = set()
    if content.occurred_at is not None:
        known.add(Fact.TIME)
    location = content.location
    if location is not None and (location.label or location.lat is not None):
        known.add(Fact.PLACE)
    return frozenset(known)

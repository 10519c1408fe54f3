"""What a message is and what the regulation says to do with it, decided in the regulation's order.

1. **Danger now** (第三条): a life in danger → 110/120/119 (`emergency`); someone in danger on the
   water → 12395 (`water_distress`); a breakdown or accident on an expressway needing rescue →
   12122 (`highway_rescue`). The citizen is told at once where help comes from.
2. **Safety production** (第二十一条): an overloaded coach, a leaking tanker, a driver on the phone
   at the wheel of a full coach, a collapsed road, a missing vessel … is accepted as `urgent` and
   transferred at once — never held back to ask for facts (recall first: missing one is the
   worst error this step can make).
3. **Refusals** (第十九条(三)–(六)): abuse of public order, secrets or someone's private data,
   matters already with 信访, matters for courts, arbitration, discipline inspection,
   reconsideration or information disclosure.
4. **Other hotlines** (第三条): railways 12306, civil aviation 12326, post and parcels 12305,
   traffic police 122 — when the message is about them and not about a transport-department
   service (a bus to the railway station is ours).
5. **Out of scope** (第十九条(一)): another body's business, nothing of transport in it.
6. **A complaint's facts** (第十九条(二)): a complaint with no object, facts or reasons is refused;
   one that tells a wrong but names nothing that could be acted on gets a question for exactly
   the facts its kind needs (`needs_info`; on channels that cannot ask back, it is accepted with
   the list); otherwise accepted, with what is still missing listed for the operator.

Category and domain come from `gateway.policy.model` (characters plus lexicon signals); a
category the citizen chose is a strong hint, overruled only when the text clearly says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain import Category, DecisionKind, Domain, RedirectTarget, RefusalReason
from gateway.kb.intent import is_complaint_narrative
from gateway.kb.text import simplify
from gateway.policy import facts as fact_rules
from gateway.policy import lexicon
from gateway.policy.facts import ComplaintKind, Fact
from gateway.policy.model import LinearModel, features, load_shipped

# A citizen's chosen category stands unless the model is at least this sure of another one.
HINT_OVERRULED_AT = 0.8
# The model's action is taken over the rules' silence when at least this sure.
MODEL_SURE = 0.4
# Urgent when the model gives it at least this: recall first (第二十一条).
URGENT_AT = 0.2
_DANGER_ACTIONS = {
    "redirected:emergency": RedirectTarget.EMERGENCY,
    "redirected:water_distress": RedirectTarget.WATER_DISTRESS,
    "redirected:highway_rescue": RedirectTarget.HIGHWAY_RESCUE,
}
# A complaint this short with no subject, fact or wrong in it has nothing to act on.
VAGUE_MAX_CHARS = 40
_BLANK = re.compile(r"[\s\W_]*")


@dataclass(frozen=True, slots=True)
class Classification:
    category: Category
    domain: Domain | None
    decision: DecisionKind
    reason: RefusalReason | None = None
    redirect: RedirectTarget | None = None
    urgent: bool = False
    missing_facts: tuple[str, ...] = ()
    kind: ComplaintKind | None = None


class Classifier:
    """Thread-safe once built; `classify` is pure."""

    def __init__(self, model: LinearModel | None = None) -> None:
        self._model = model or load_shipped()

    def classify(self, text: str, *, category_hint: Category | None = None, interactive: bool = True) -> Classification:
        plain = simplify(text)
        if _BLANK.fullmatch(plain):
            # A photo, a voice message without transcript, a location: nothing to classify; an
            # operator looks at it.
            return Classification(category_hint or Category.COMPLAINT, None, DecisionKind.ACCEPTED)
        narrative = is_complaint_narrative(text)
        predicted = self._model.predict(features(plain, narrative))
        category = _category(predicted["category"], category_hint)
        domain = _domain(predicted["domain"])
        action, confidence = max(predicted["action"].items(), key=lambda item: item[1])
        sure = confidence >= MODEL_SURE
        urgent = _urgent(plain)
        redirect = _danger_now(plain)
        if redirect is None and sure and action in _DANGER_ACTIONS and not urgent and not _not_now(plain):
            redirect = _DANGER_ACTIONS[action]
        if redirect is not None:
            return Classification(category, domain, DecisionKind.REDIRECTED, redirect=redirect)
        kind = complaint_kind(plain)
        given = fact_rules.present(plain)
        if urgent or (predicted["urgent"]["yes"] >= URGENT_AT and not _refused_outright(plain)):
            missing = fact_rules.missing(kind, given) if category is Category.COMPLAINT else ()
            return Classification(
                category, domain, DecisionKind.ACCEPTED, urgent=True, missing_facts=tuple(missing), kind=kind
            )
        ruled = _refusal_or_redirect(plain, domain, kind, given)
        if ruled is None and sure and action.startswith(("rejected:", "redirected:")):
            ruled = _from_action(action, plain)
        if ruled is not None:
            reason, redirect = ruled
            decision = DecisionKind.REJECTED if reason is not None else DecisionKind.REDIRECTED
            keep = domain if reason is not None and reason is not RefusalReason.OUT_OF_SCOPE else None
            return Classification(category, keep, decision, reason=reason, redirect=redirect)
        if category is not Category.COMPLAINT:
            return Classification(category, domain, DecisionKind.ACCEPTED)
        missing = fact_rules.missing(kind, given)
        if fact_rules.actionable(kind, given):
            return Classification(category, domain, DecisionKind.ACCEPTED, missing_facts=missing, kind=kind)
        if _vague(plain):
            return Classification(category, domain, DecisionKind.REJECTED, reason=RefusalReason.NO_CLEAR_FACTS)
        decision = DecisionKind.NEEDS_INFO if interactive else DecisionKind.ACCEPTED
        return Classification(category, domain, decision, missing_facts=missing, kind=kind)


def complaint_kind(plain: str) -> ComplaintKind:
    """What a complaint is about, for the facts it needs: the kind whose words come first."""
    best: tuple[int, ComplaintKind] | None = None
    for name, pattern in lexicon.KIND_WORDS.items():
        match = pattern.search(plain)
        if match is not None and (best is None or match.start() < best[0]):
            best = (match.start(), ComplaintKind(name))
    return best[1] if best else ComplaintKind.OTHER


def _category(probabilities: dict[str, float], hint: Category | None) -> Category:
    label, p = max(probabilities.items(), key=lambda item: item[1])
    best = Category(label)
    if hint is None or hint is best or p < HINT_OVERRULED_AT:
        return hint or best
    return best


def _domain(probabilities: dict[str, float]) -> Domain | None:
    label = max(probabilities, key=probabilities.__getitem__)
    return Domain(label) if label else None


def _danger_now(plain: str) -> RedirectTarget | None:
    """Someone in danger now (第三条), unless the danger is past, hypothetical or a fee."""
    if _not_now(plain):
        return None
    if lexicon.EMERGENCY.search(plain):
        return RedirectTarget.EMERGENCY
    if lexicon.WATER_DISTRESS.search(plain) and lexicon.WATER.search(plain):
        return RedirectTarget.WATER_DISTRESS
    if lexicon.EXPRESSWAY.search(plain) and lexicon.HIGHWAY_RESCUE.search(plain):
        return RedirectTarget.HIGHWAY_RESCUE
    return None


def _not_now(plain: str) -> bool:
    return lexicon.DANGER_NOT.search(plain) is not None


def _refused_outright(plain: str) -> bool:
    """A threat or a request for help with something unlawful (第十九条(六)): never a risk report,
    whatever dangerous words it uses (拎桶汽油去你们单位)."""
    return lexicon.REFUSAL[RefusalReason.PUBLIC_ORDER].search(plain) is not None


def _refusal_or_redirect(
    plain: str, domain: Domain | None, kind: ComplaintKind, given: set[Fact]
) -> tuple[RefusalReason | None, RedirectTarget | None] | None:
    for reason, pattern in lexicon.REFUSAL.items():
        if pattern.search(plain):
            return reason, None
        if reason is RefusalReason.PUBLIC_ORDER and _pure_abuse(plain, kind, given):
            return reason, None
    redirect = _other_hotline(plain, domain)
    if redirect is not None:
        return None, redirect
    if _out_of_scope(plain):
        return RefusalReason.OUT_OF_SCOPE, None
    return None


def _pure_abuse(plain: str, kind: ComplaintKind, given: set[Fact]) -> bool:
    """Abuse of the operator with no matter in it (第十九条(六)); an angry complaint that tells of a
    wrong or names something is a complaint."""
    if lexicon.ABUSE.search(plain) is None:
        return False
    return lexicon.WRONG.search(plain) is None and not fact_rules.actionable(kind, given)


def _from_action(action: str, plain: str) -> tuple[RefusalReason | None, RedirectTarget | None] | None:
    """The model's refusal or redirect, where the rules are silent; never out of scope when a
    transport word is in the message."""
    kind, _, value = action.partition(":")
    if kind == "rejected":
        reason = RefusalReason(value)
        if reason is RefusalReason.OUT_OF_SCOPE and lexicon.TRANSPORT.search(plain):
            return None
        if reason is RefusalReason.NO_CLEAR_FACTS:
            return None  # decided from the complaint's facts (step 6)
        return reason, None
    return None, RedirectTarget(value)


def _urgent(plain: str) -> bool:
    return lexicon.URGENT.search(plain) is not None and lexicon.URGENT_NOT.search(plain) is None


def _other_hotline(plain: str, domain: Domain | None) -> RedirectTarget | None:
    """Another hotline's business, unless a transport-department service is what it is about."""
    for target, pattern in lexicon.REDIRECT.items():
        if pattern.search(plain) and (domain is None or not _ours(plain)):
            return target
    return None


def _ours(plain: str) -> bool:
    return any(pattern.search(plain) for pattern in lexicon.KIND_WORDS.values())


def _out_of_scope(plain: str) -> bool:
    """Another body's business with nothing of transport in it (第十九条(一))."""
    return lexicon.OTHER_SERVICES.search(plain) is not None and lexicon.TRANSPORT.search(plain) is None


def _vague(plain: str) -> bool:
    """No object, no facts, no reasons (第十九条(二)): a grievance that tells of no specific wrong
    (我要投诉地铁, 都是一帮不干事的). A wrong told without facts gets a question instead."""
    return len(plain) <= VAGUE_MAX_CHARS and lexicon.WRONG.search(plain) is None


__all__ = ["Classification", "Classifier", "Fact", "complaint_kind"]

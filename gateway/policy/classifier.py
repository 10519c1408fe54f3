"""What a message is and what the regulation says to do with it, decided in the regulation's order.

1. **Danger now** (第三条): someone in danger on the water → 12395 (`water_distress`); a life in
   danger → 110/120/119 (`emergency`); a breakdown or accident on an expressway needing rescue →
   12122 (`highway_rescue`). The citizen is told at once where help comes from. Not when the
   danger is past, hypothetical, resolved, hearsay or the message is about a fee, a salvage job, a
   suggestion or what to do in an emergency (`lexicon.DANGER_NOT`, `lexicon.URGENT_DEFUSED`):
   上个月翻船…, 万一着火…, 拖车收了我八百, 后来工作人员送出去了, 着火了应该怎么逃生. A bare cry
   (救命) counts only where no safety risk of 2 explains it and it is not tacked onto a question.
2. **Safety production** (第二十一条): an overloaded coach, a leaking tanker, a driver on the phone
   at the wheel of a full coach, a collapsed road, a missing vessel … — read by named risks and
   structurally (a safety-bearing object × a failing state, more people than seats, risk words:
   `_safety_risk`) — is accepted as `urgent` and transferred at once, never held back to ask for
   facts (recall first: missing one is the worst error this step can make). Not a risk that is
   not one now (`_not_now`): a trip over that ended well, a danger said to be absent after all,
   news from elsewhere, a question about the risk or the rules, a feeling rather than a failure
   (刹车有点软); or, with nothing saying it goes on, a past event, a proposal or hearsay. Not a
   threat or a request for help with something unlawful that uses dangerous words (拎桶汽油去你们
   单位): that is refused under 3.
3. **Refusals** (第十九条(三)–(六)): threats, harassment, help with something unlawful, or pure
   abuse with no matter in it (公序良俗); secrets, someone's private data or whereabouts, a
   company's contracts and bids; matters already with 信访; matters for courts, arbitration,
   discipline inspection, reconsideration or information disclosure, or asking the hotline to
   adjudicate (裁定, 评评理).
4. **Other hotlines** (第三条): railways 12306, civil aviation 12326, post and parcels 12305,
   traffic police 122 — when the message is about them and not about a transport-department
   service (a bus to the railway station is ours).
   Police words that are the police's whatever the vehicle (测速, 扣分, 驾照, 定责) go to 122,
   unless the transport department's own enforcement is what it is about (治超站的罚单).
5. **Out of scope** (第十九条(一)): another body's business with nothing of transport in it, or
   labour and social insurance whoever the employer.
6. **A complaint's facts** (第十九条(二)): a grievance with no object, facts or reasons
   (我要投诉地铁, 都是一帮不干事的; a note that the caller would not say what; a short grievance at
   the department as a whole, 对你们交通局一百个不满意) is refused; one
   that tells a wrong but names nothing that could be acted on gets a question for exactly the
   facts its kind needs (`needs_info`; on channels that cannot ask back, it is accepted with the
   list); otherwise accepted, with what is still missing listed for the operator.

Where the rules of 1, 3 and 4 are silent, the model's action is taken when it is sure
(`MODEL_SURE`) — a danger-now redirect only if the message is not a risk report nor past, never
out of scope when a transport word is in it, never `no_clear_facts` (6 decides that), never a
danger-now redirect outside 1's conditions; the model's urgency (`URGENT_AT`) backs up 2 where
`_model_urgent_fits` (not a risk that is not one now, a proposal, another hotline's). Category
and domain come from `gateway.policy.model` (characters plus lexicon signals), with the wording
settling some categories (`_category`); a category the citizen ticked stands unless the model
is clearly sure of another (`HINT_OVERRULED_AT`).
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
from gateway.policy.model import LinearModel, Reading, features, load_shipped, read

# A citizen's chosen category stands unless the model is at least this sure of another one. A
# strong hint, not a blind override: in the labelled set the box a citizen ticked was the right
# category only about half the time, so the text wins when it clearly says otherwise.
HINT_OVERRULED_AT = 0.7
# The model's action is taken over the rules' silence when at least this sure.
MODEL_SURE = 0.4
# Urgent when the model gives it at least this, besides the lexicon's risks (第二十一条): the
# backup for hazards told in words the lexicon does not know. Missing an urgent matter is the worst
# error this step can make, so the bar is low: leave-one-author-out on the labelled set, 0.3 finds
# 17 more of the 1,050 urgent messages than 0.45 for 40 more false alarms (recall 95.0% → 96.7%,
# precision 85.4% → 82.9%).
# It is never taken for a risk that is not one now, a proposal, or another hotline's business
# (`_model_urgent_fits`).
URGENT_AT = 0.3
# Another hotline's words beside a transport-department service's (第三条): redirected when the
# model gives the redirect at least this.
OTHER_HOTLINE_OVER_OURS = 0.45
_AIR_OR_RAIL = frozenset({RedirectTarget.RAILWAY, RedirectTarget.CIVIL_AVIATION})
_DANGER_ACTIONS = {
    "redirected:emergency": RedirectTarget.EMERGENCY,
    "redirected:water_distress": RedirectTarget.WATER_DISTRESS,
    "redirected:highway_rescue": RedirectTarget.HIGHWAY_RESCUE,
}
# A grievance this short with no wrong in it has nothing to act on.
VAGUE_MAX_CHARS = 40
_BLANK = re.compile(r"[\s\W_]*")
_PUBLIC_ORDER = f"refusal:{RefusalReason.PUBLIC_ORDER}"
_NO_CLEAR_FACTS = f"rejected:{RefusalReason.NO_CLEAR_FACTS}"
# A complaint that names nothing is refused as having no facts (第十九条(二)) rather than asked for
# them when the model is at least this sure it tells nothing either (都是骗子 一个比一个会装).
NO_FACTS_SURE = 0.5
# Refused as another channel's only when the citizen has taken it, or means to (`lexicon.PROCEDURE_NOT`).
_PROCEDURES = (RefusalReason.LEGAL_PROCEDURE, RefusalReason.PETITION_CHANNEL)


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

    def classify(
        self,
        text: str,
        *,
        category_hint: Category | None = None,
        interactive: bool = True,
        known: frozenset[Fact] = frozenset(),
    ) -> Classification:
        """`known`: facts the channel gave outside the text (the form's place and time fields, the
        app's location), which count as given whatever the text says."""
        plain = simplify(text)
        if _BLANK.fullmatch(plain):
            # A photo, a voice message without transcript, a location: nothing to classify; an
            # operator looks at it.
            return Classification(category_hint or Category.COMPLAINT, None, DecisionKind.ACCEPTED)
        narrative = is_complaint_narrative(text)
        reading = read(plain)
        predicted = self._model.predict(features(plain, narrative, reading))
        category = _category(predicted["category"], category_hint, reading, narrative)
        domain = _domain(predicted["domain"])
        action, confidence = max(predicted["action"].items(), key=lambda item: item[1])
        sure = confidence >= MODEL_SURE
        refused_outright = reading.has(_PUBLIC_ORDER)
        urgent = _safety_risk(reading) and not refused_outright
        redirect = _danger_now(reading, urgent)
        calm = reading.has("danger_not") or reading.has("urgent_defused")
        if redirect is None and sure and action in _DANGER_ACTIONS and not urgent and not calm:
            redirect = _DANGER_ACTIONS[action]
        if redirect is not None:
            return Classification(category, domain, DecisionKind.REDIRECTED, redirect=redirect)
        kind = complaint_kind(plain)
        given = set(reading.given) | known
        if urgent or (predicted["urgent"]["yes"] >= URGENT_AT and not refused_outright and _model_urgent_fits(reading)):
            missing = fact_rules.missing(kind, given) if category is Category.COMPLAINT else ()
            return Classification(
                category, domain, DecisionKind.ACCEPTED, urgent=True, missing_facts=tuple(missing), kind=kind
            )
        ruled = _refusal_or_redirect(reading, kind, given, predicted["action"])
        if ruled is None and sure and action.startswith(("rejected:", "redirected:")):
            ruled = _from_action(action, reading)
        if ruled is not None:
            reason, redirect = ruled
            decision = DecisionKind.REJECTED if reason is not None else DecisionKind.REDIRECTED
            keep = domain if reason is not None and reason is not RefusalReason.OUT_OF_SCOPE else None
            if reason is RefusalReason.CONFIDENTIAL and category_hint is None:
                category = Category.INQUIRY  # asking for data is asking for information (第三十一条)
            return Classification(category, keep, decision, reason=reason, redirect=redirect)
        if category is not Category.COMPLAINT:
            return Classification(category, domain, DecisionKind.ACCEPTED)
        missing = fact_rules.missing(kind, given)
        if fact_rules.actionable(given) and not _at_everyone(reading, kind, given):
            return Classification(category, domain, DecisionKind.ACCEPTED, missing_facts=missing, kind=kind)
        if _vague(reading) or predicted["action"].get(_NO_CLEAR_FACTS, 0.0) >= NO_FACTS_SURE:
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


def _category(probabilities: dict[str, float], hint: Category | None, reading: Reading, narrative: bool) -> Category:
    """The model's category (第三十一条), except that a message that opens with a proposal, or
    proposes by asking why not (为什么不在…装个…), is a suggestion. A category the citizen chose
    stands where the wording bears it out (`_supports`), or else unless the model is clearly sure
    of another (`HINT_OVERRULED_AT`) that the wording says (`_says`).

    The model reads the grievance, question and proposal words as features and weighs them
    against everything else in the message. Rules that let one of them decide alone (a question
    word makes an inquiry, a grievance word a complaint) cost 2.5 points of category across
    authors (leave-one-author-out, 88.6% → 91.1%): 你们能不能帮我… from someone in the situation
    is a complaint (the labelling guide), and 这合理吗 after a story of a fee is one too."""
    label, p = max(probabilities.items(), key=lambda item: item[1])
    best = Category(label)
    if hint is not None:
        overruled = best is not hint and p >= HINT_OVERRULED_AT and not _supports(hint, reading)
        return best if overruled and _says(best, reading, narrative) else hint
    if reading.has("suggestion_lead") or reading.has("proposes"):
        return Category.SUGGESTION
    return best


def _says(category: Category, reading: Reading, narrative: bool) -> bool:
    """Does the wording itself say `category` — a grievance or a story of a wrong, a question, a
    proposal? Only then may the model overrule the category a citizen ticked: a message that says
    none of them (关于公交站牌的事) keeps the citizen's choice, however sure the model is."""
    if category is Category.COMPLAINT:
        return narrative or reading.has("grievance") or reading.has("wrong") or reading.has("complaint")
    if category is Category.INQUIRY:
        return reading.has("question") or reading.has("asks") or reading.has("inquires")
    return reading.has("suggestion") or reading.has("suggestion_lead") or reading.has("proposes")


def _supports(category: Category, reading: Reading) -> bool:
    """Does the wording bear out the category a citizen ticked? A complaint ticked and declared in
    so many words (投诉, 举报 …) stays a complaint, even as a question ("拒载怎么投诉")."""
    return category is Category.COMPLAINT and reading.has("complaint")


def _domain(probabilities: dict[str, float]) -> Domain | None:
    label = max(probabilities, key=probabilities.__getitem__)
    return Domain(label) if label else None


def _danger_now(reading: Reading, risk: bool) -> RedirectTarget | None:
    """Someone in danger now (第三条), unless the danger is past, hypothetical or a fee. A bare cry
    for help (`lexicon.CRY`) counts where nothing else explains it, not beside a named safety risk
    (`risk`: 救命 刹车有异响… is a risk to transfer at once, 第二十一条) nor in a question (请问… 救命)."""
    if reading.has("danger_not") or reading.has("urgent_defused"):
        return None
    cry = reading.has("cry") and not risk and not reading.has("question")
    if (reading.has("water_distress") or cry) and reading.has("water"):
        return RedirectTarget.WATER_DISTRESS
    stranded = reading.has("expressway") and reading.has("highway_rescue")
    if stranded and reading.has("unhurt"):
        return RedirectTarget.HIGHWAY_RESCUE  # a crash with nobody hurt: the tow's, not 120's
    if (reading.has("emergency") and not reading.has("fire_not")) or cry:
        return RedirectTarget.EMERGENCY
    if stranded:
        return RedirectTarget.HIGHWAY_RESCUE
    return None


def _safety_risk(reading: Reading) -> bool:
    """A safety-production matter (第二十一条): the lexicon's named risks (`lexicon.URGENT`), or,
    read structurally, a thing that keeps people safe in a state that means it does not
    (`lexicon.HAZARD`: a vehicle part, a load, a road or bridge, a vessel, safety gear or the
    person at the wheel × broken, leaking, cracked, missing, locked, asleep, drunk …; explicit
    risk words) or more people on board than the seats it names (`lexicon.over_capacity`). The
    structural reading counts where the message is about transport at all. Neither counts for
    another hotline's business with no transport-department service in it (a railway crossing's
    barrier is the railway's, a private car's near miss at a red light the police's, 第三条). Not a
    question about rules or penalties, nor a threat (`lexicon.URGENT_NOT`), nor another body's
    business with nothing of transport in it (a gas pipe at home, 第十九条(一))."""
    if reading.has("urgent_not") or (reading.has("other_services") and not reading.has("conveyance")):
        return False
    if _not_now(reading):
        return False
    structural = (reading.has("hazard") or reading.has("over_capacity")) and reading.has("conveyance")
    return (reading.has("urgent") or structural) and not _other_hotlines_only(reading)


def _not_now(reading: Reading) -> bool:
    """The risk told is not one now (第二十一条 asks for the matters to transfer at once): the trip
    is over and ended well, the danger is said to be absent after all, it is news from elsewhere,
    or the message asks about the risk or the rules (`lexicon.URGENT_DEFUSED`); or it is past, a
    proposal or hearsay (`lexicon.URGENT_PAST`) with nothing saying it goes on (`lexicon.URGENT_NOW`)."""
    return reading.has("urgent_defused") or (reading.has("urgent_past") and not reading.has("urgent_now"))


def _model_urgent_fits(reading: Reading) -> bool:
    """Where the model's urgency is taken without the lexicon's: not for a risk that is not one now
    (`_not_now`), not for a proposal (a wish for more buses is no safety report), and not for
    another hotline's business (a car speeding the wrong way is 122's)."""
    if _not_now(reading) or reading.has("suggestion_lead") or reading.has("suggestion"):
        return False
    return not _other_hotlines_only(reading)


def _other_hotlines_only(reading: Reading) -> bool:
    """Another hotline's words, and no transport-department service's (第三条): its business."""
    return reading.any("redirect:") and not reading.any("kind:")


def _refusal_or_redirect(
    reading: Reading, kind: ComplaintKind, given: set[Fact], actions: dict[str, float]
) -> tuple[RefusalReason | None, RedirectTarget | None] | None:
    if (
        reading.has(f"refusal:{RefusalReason.LEGAL_PROCEDURE}")
        and not reading.has("procedure_not")
        and lexicon.DISCLOSURE.search(reading.text)
    ):
        # An application for disclosure (依申请公开) is one, whatever it asks to see (第十九条(三));
        # asking how to apply is a question like any other.
        return RefusalReason.LEGAL_PROCEDURE, None
    for reason in lexicon.REFUSAL:
        if reason in _PROCEDURES and reading.has("procedure_not"):
            continue
        if reading.has(f"refusal:{reason}"):
            return reason, None
        if reason is RefusalReason.PUBLIC_ORDER and _pure_abuse(reading, kind, given):
            return reason, None
    redirect = _other_hotline(reading, actions)
    if redirect is not None:
        return None, redirect
    if _out_of_scope(reading):
        return RefusalReason.OUT_OF_SCOPE, None
    return None


def _pure_abuse(reading: Reading, kind: ComplaintKind, given: set[Fact]) -> bool:
    """Abuse of the operator with no matter in it (第十九条(六)); an angry complaint that tells of a
    wrong or names something is a complaint."""
    return reading.has("abuse") and not reading.has("wrong") and not fact_rules.actionable(given)


def _from_action(action: str, reading: Reading) -> tuple[RefusalReason | None, RedirectTarget | None] | None:
    """The model's refusal or redirect, where the rules are silent; never out of scope when a
    transport word is in the message, never `no_clear_facts` (the complaint's facts decide), never
    a danger-now redirect (step 1 decides those, not when the danger is past or told calmly)."""
    kind, _, value = action.partition(":")
    if action in _DANGER_ACTIONS:
        return None  # danger now had its turn first (1), with its own conditions
    if kind == "rejected":
        reason = RefusalReason(value)
        out_of_scope = reason is RefusalReason.OUT_OF_SCOPE
        if reason is RefusalReason.NO_CLEAR_FACTS or (
            out_of_scope and _transport(reading) and not reading.has("other_services")
        ):
            return None
        return reason, None
    return None, RedirectTarget(value)


def _other_hotline(reading: Reading, actions: dict[str, float]) -> RedirectTarget | None:
    """Another hotline's business, unless a transport-department service is what it is about (a
    bus to the railway station is ours); the police's own words go to 122 whatever the vehicle.
    Where both are named (a late train, and the metro had stopped by then), the model, which has
    read how the team told the two apart, decides (`OTHER_HOTLINE_OVER_OURS`)."""
    ours = reading.any("kind:")
    named = [
        target
        for target in lexicon.REDIRECT
        if reading.has(f"redirect:{target}")
        and (not ours or actions.get(f"redirected:{target}", 0.0) >= OTHER_HOTLINE_OVER_OURS)
    ]
    if set(named) >= _AIR_OR_RAIL:
        # Both a flight's words and a train's (改签, 乘务员, 托运): the model, which has read how the
        # team told the two apart, decides; on a tie, the lexicon's order.
        air_or_rail = [target for target in named if target in _AIR_OR_RAIL]
        return max(air_or_rail, key=lambda target: actions.get(f"redirected:{target}", 0.0))
    if named:
        return named[0]  # the lexicon's order: a courier's tricycle through a red light is 122's
    if reading.has("traffic_police_only") and not reading.has("our_enforcement"):
        return RedirectTarget.TRAFFIC_POLICE
    return None


def _transport(reading: Reading) -> bool:
    return reading.any("kind:") or reading.any("domain:")


def _out_of_scope(reading: Reading) -> bool:
    """Another body's business with nothing of transport in it, or labour and social insurance
    whoever the employer (第十九条(一))."""
    if reading.has("other_services_anyway"):
        return True
    return reading.has("other_services") and not _transport(reading)


def _at_everyone(reading: Reading, kind: ComplaintKind, given: set[Fact]) -> bool:
    """A short grievance at the department as a whole (对你们交通局一百个不满意, 交通局早该整顿了):
    its only object is the body it is addressed to, with no wrong, time or place told — nothing to
    act on (第十九条(二))."""
    return kind is ComplaintKind.OTHER and given <= {Fact.OBJECT} and _vague(reading)


def _vague(reading: Reading) -> bool:
    """No object, no facts, no reasons (第十九条(二)): a grievance or a declared complaint that tells
    of no specific wrong (我要投诉地铁, 都是一帮不干事的). A wrong told without facts, or a matter
    told in words this lexicon does not know, gets a question instead."""
    if reading.has("no_matter"):
        return True
    if len(reading.text) > VAGUE_MAX_CHARS or reading.has("wrong"):
        return False
    return reading.has("grievance")


__all__ = ["Classification", "Classifier", "Fact", "complaint_kind"]

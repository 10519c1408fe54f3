"""The transport lexicon the policy reads a message with: one pattern per thing the regulation
asks the centre to recognise. Texts are normalised first (NFKC, simplified, lowercase), so one
spelling per word suffices.

Patterns are alternations of words and short phrases, never single characters that are common
words; each names what it is for and the article it serves. They are written for how citizens
say things — synonyms, colloquialisms, typical constructions, mostly as (object words).{0,N}(state
words) — not for any one sentence. `gateway.policy.classifier` combines them in the order the
regulation gives (see its docstring).

This module is the import point; the patterns live in

- `lexicon_danger`: danger now (第三条) and safety-production risks (第二十一条);
- `lexicon_refusal`: refusals (第十九条) and other hotlines' business (第三条);
- `lexicon_domain`: the seven domains (第二条), the kind of business (第三十一条), what a
  complaint is about and whether it tells of a specific wrong (第十九条(二)).
"""

from __future__ import annotations

import re

from gateway.policy.lexicon_danger import (
    CONVEYANCE,
    CRY,
    DANGER_NOT,
    EMERGENCY,
    EXPRESSWAY,
    FEELING,
    FIRE_NOT,
    HAZARD,
    HIGHWAY_RESCUE,
    RESCUE_NOW,
    UNHURT,
    URGENT,
    URGENT_DEFUSED,
    URGENT_FEELING,
    URGENT_NOT,
    URGENT_NOW,
    URGENT_PAST,
    WATER,
    WATER_DISTRESS,
    over_capacity,
)
from gateway.policy.lexicon_domain import (
    ASKS,
    COMPLAINT,
    DOMAIN_ORDER,
    DOMAIN_WORDS,
    GRIEVANCE,
    INQUIRES,
    KIND_WORDS,
    NO_MATTER,
    PROPOSES,
    QUESTION,
    SUGGESTION,
    SUGGESTION_LEAD,
    WRONG,
)
from gateway.policy.lexicon_refusal import (
    ABUSE,
    DISCLOSURE,
    OTHER_SERVICES,
    OTHER_SERVICES_ANYWAY,
    OUR_ENFORCEMENT,
    PROCEDURE_NOT,
    REDIRECT,
    REFUSAL,
    TRAFFIC_POLICE_ONLY,
)

# Anything of transport at all: a domain's word or a complaint kind's.
TRANSPORT = re.compile("|".join(p.pattern for p in (*DOMAIN_WORDS.values(), *KIND_WORDS.values())))

__all__ = [
    "ABUSE",
    "ASKS",
    "COMPLAINT",
    "CONVEYANCE",
    "CRY",
    "DANGER_NOT",
    "DISCLOSURE",
    "DOMAIN_ORDER",
    "DOMAIN_WORDS",
    "EMERGENCY",
    "EXPRESSWAY",
    "FEELING",
    "FIRE_NOT",
    "GRIEVANCE",
    "HAZARD",
    "HIGHWAY_RESCUE",
    "INQUIRES",
    "KIND_WORDS",
    "NO_MATTER",
    "OTHER_SERVICES",
    "OTHER_SERVICES_ANYWAY",
    "OUR_ENFORCEMENT",
    "PROCEDURE_NOT",
    "PROPOSES",
    "QUESTION",
    "REDIRECT",
    "REFUSAL",
    "RESCUE_NOW",
    "SUGGESTION",
    "SUGGESTION_LEAD",
    "TRAFFIC_POLICE_ONLY",
    "TRANSPORT",
    "UNHURT",
    "URGENT",
    "URGENT_DEFUSED",
    "URGENT_FEELING",
    "URGENT_NOT",
    "URGENT_NOW",
    "URGENT_PAST",
    "WATER",
    "WATER_DISTRESS",
    "WRONG",
    "over_capacity",
]

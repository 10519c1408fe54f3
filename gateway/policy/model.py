"""A small linear model for what rules decide badly alone: a message's category and domain.

Features are what a reader notices: the characters and character pairs and triples of the
message (so 绕路 and 繞路了 share most of them), and which lexicon patterns it matches
(`gateway.policy.lexicon`: "narrates a wrong", "asks something", "names a bus line" …), so that
the word lists generalise beyond the sentences the model was trained on and the model only learns
how much each counts. The lexicon is read once per message (`read` → `Reading`): the same
signals feed the model and the classifier's rules. tf-idf weighted, sublinear, L2-normalised; one multinomial logistic
regression per field.

The model is trained by `python -m gateway.policy.train` (scikit-learn, a development
dependency, fixed seed) on `tests/data/classify/train.jsonl` and shipped as `model.npz`: plain
arrays, no pickle. At run time only numpy is needed: a message costs a few dozen dictionary
look-ups and one small matrix product. The artifact records the SHA-256 of the data it was
trained on; a test retrains it and checks both.
"""

from __future__ import annotations

import importlib.resources
import io
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from gateway.policy import lexicon
from gateway.policy.facts import Fact, present
from gateway.policy.prefilter import Prefilter

ARTIFACT: Final = "model.npz"
FORMAT: Final = 1
HEADS: Final = ("category", "domain", "action", "urgent")
_NOT_TEXT = re.compile(r"[\s\W_]+")
_DIGITS = re.compile(r"\d+")

FloatArray = npt.NDArray[np.float32]


def _signals() -> dict[str, re.Pattern[str]]:
    """Named lexicon signals: each becomes one feature, and the classifier's rules read them."""
    signals: dict[str, re.Pattern[str]] = {
        "emergency": lexicon.EMERGENCY,
        "cry": lexicon.CRY,
        "water_distress": lexicon.WATER_DISTRESS,
        "water": lexicon.WATER,
        "highway_rescue": lexicon.HIGHWAY_RESCUE,
        "expressway": lexicon.EXPRESSWAY,
        "rescue_now": lexicon.RESCUE_NOW,
        "urgent_not": lexicon.URGENT_NOT,
        "urgent_defused": lexicon.URGENT_DEFUSED,
        "urgent_past": lexicon.URGENT_PAST,
        "urgent_now": lexicon.URGENT_NOW,
        "danger_not": lexicon.DANGER_NOT,
        "fire_not": lexicon.FIRE_NOT,
        "unhurt": lexicon.UNHURT,
        "abuse": lexicon.ABUSE,
        "wrong": lexicon.WRONG,
        "grievance": lexicon.GRIEVANCE,
        "asks": lexicon.ASKS,
        "inquires": lexicon.INQUIRES,
        "suggestion_lead": lexicon.SUGGESTION_LEAD,
        "proposes": lexicon.PROPOSES,
        "suggestion": lexicon.SUGGESTION,
        "question": lexicon.QUESTION,
        "complaint": lexicon.COMPLAINT,
        "urgent": lexicon.URGENT,
        "hazard": lexicon.HAZARD,
        "conveyance": lexicon.CONVEYANCE,
        "other_services": lexicon.OTHER_SERVICES,
        "other_services_anyway": lexicon.OTHER_SERVICES_ANYWAY,
        "traffic_police_only": lexicon.TRAFFIC_POLICE_ONLY,
        "our_enforcement": lexicon.OUR_ENFORCEMENT,
        "no_matter": lexicon.NO_MATTER,
        "procedure_not": lexicon.PROCEDURE_NOT,
    }
    signals.update({f"refusal:{reason}": pattern for reason, pattern in lexicon.REFUSAL.items()})
    signals.update({f"domain:{domain}": pattern for domain, pattern in lexicon.DOMAIN_WORDS.items()})
    signals.update({f"redirect:{target}": pattern for target, pattern in lexicon.REDIRECT.items()})
    signals.update({f"kind:{kind}": pattern for kind, pattern in lexicon.KIND_WORDS.items()})
    return signals


_SIGNALS: Final = _signals()
# Only the alternatives whose words are in the text are searched (the same answer, ~6× faster).
_PREFILTER: Final = Prefilter(_SIGNALS)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the lexicon and the fact rules find in a normalised text, read once for the model's
    features and the classifier's rules alike."""

    text: str
    signals: frozenset[str]
    given: frozenset[Fact]

    def has(self, signal: str) -> bool:
        return signal in self.signals

    def any(self, prefix: str) -> bool:
        """Does any signal named `prefix…` fire (``"kind:"``: any complaint kind's word)?"""
        return any(name.startswith(prefix) for name in self.signals)


def read(text: str) -> Reading:
    """The lexicon signals and the facts of a normalised text."""
    found = _PREFILTER.matches(text)
    if "urgent_defused" not in found and lexicon.FEELING.search(text) and lexicon.URGENT_FEELING.search(text):
        found.add("urgent_defused")
    if lexicon.over_capacity(text):
        found.add("over_capacity")
    return Reading(text, frozenset(found), frozenset(present(text)))


def features(text: str, narrative: bool, reading: Reading | None = None) -> Counter[str]:
    """The features of a normalised text (`narrative`: the complaint-narrative rule's verdict;
    `reading`: `read(text)`, when the caller has it already)."""
    reading = reading or read(text)
    counts: Counter[str] = Counter()
    plain = _DIGITS.sub("0", _NOT_TEXT.sub(" ", text)).strip()
    grams: list[str] = []
    for chunk in plain.split():
        grams.extend(chunk)
        grams.extend([chunk[i : i + 2] for i in range(len(chunk) - 1)])
        grams.extend([chunk[i : i + 3] for i in range(len(chunk) - 2)])
    counts.update(grams)
    # Sorted: a set's order changes with the process's hash seed, and the order of the features is
    # the order of a float sum (the vector's norm): the same text must weigh the same everywhere,
    # or the model a build makes depends on the seed.
    for name in sorted(reading.signals):
        counts["§" + name] += 1
    for fact in sorted(reading.given):
        counts["§fact:" + fact] += 1
    if narrative:
        counts["§narrative"] += 1
    if "?" in text:
        counts["§?"] += 1
    counts["§len:" + str(min(4, int(math.log2(len(plain) + 1)) // 2))] += 1
    return counts


def action_of(decision: str, reason: str | None, redirect: str | None) -> str:
    """The `action` head's class: the decision, with the refusal reason or redirect target."""
    if decision == "rejected":
        return f"rejected:{reason}"
    if decision == "redirected":
        return f"redirected:{redirect}"
    return decision


@dataclass(frozen=True, slots=True)
class Head:
    classes: tuple[str, ...]  # "" stands for null (domain)
    coef: FloatArray  # features × classes
    intercept: FloatArray


def tfidf_vector(
    vocabulary: dict[str, int], idf: FloatArray, counts: Counter[str]
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """The message's sparse tf-idf vector (sublinear tf, L2-normalised): indices and values. The
    same function weighs training rows (`gateway.policy.train`) and messages at run time."""
    known = [feature for feature in counts if feature in vocabulary]  # in the message's order
    if not known:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    index = np.fromiter([vocabulary[f] for f in known], dtype=np.intp, count=len(known))
    tf = np.fromiter([counts[f] for f in known], dtype=np.float32, count=len(known))
    values = (np.log(tf) + np.float32(1.0)) * idf[index]
    norm = float(np.sqrt(np.dot(values, values)))
    return index, values / np.float32(norm or 1.0)


class LinearModel:
    """tf-idf features → per-head class probabilities."""

    def __init__(self, vocabulary: dict[str, int], idf: FloatArray, heads: dict[str, Head], source_sha256: str):
        self.vocabulary = vocabulary
        self.idf = idf
        self.heads = heads
        self.source_sha256 = source_sha256
        # All heads side by side, so a message costs one gather and one product, not one per head.
        self._spans: list[tuple[str, int, int]] = []
        start = 0
        for name, head in heads.items():
            self._spans.append((name, start, start + len(head.classes)))
            start += len(head.classes)
        self._coef = np.ascontiguousarray(np.hstack([h.coef for h in heads.values()]), dtype=np.float32)
        self._intercept = np.concatenate([h.intercept for h in heads.values()]).astype(np.float32)

    def predict(self, counts: Counter[str]) -> dict[str, dict[str, float]]:
        """Per head, each class's probability."""
        index, values = tfidf_vector(self.vocabulary, self.idf, counts)
        logits = (self._intercept + values @ self._coef[index] if len(index) else self._intercept).tolist()
        out: dict[str, dict[str, float]] = {}
        for name, start, end in self._spans:
            part = logits[start:end]
            top = max(part)
            exp = [math.exp(x - top) for x in part]
            total = sum(exp)
            out[name] = {label: e / total for label, e in zip(self.heads[name].classes, exp, strict=True)}
        return out

    # -- the artifact --------------------------------------------------------------------------

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        arrays: dict[str, npt.NDArray[Any]] = {
            "format": np.asarray([FORMAT]),
            "source_sha256": np.asarray([self.source_sha256]),
            "vocabulary": np.asarray(vocabulary, dtype=np.str_),
            "idf": self.idf,
        }
        for name, head in self.heads.items():
            arrays[f"{name}.classes"] = np.asarray(head.classes, dtype=np.str_)
            arrays[f"{name}.coef"] = head.coef
            arrays[f"{name}.intercept"] = head.intercept
        return arrays

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.arrays())  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            if int(stored["format"][0]) != FORMAT:
                raise ValueError(f"policy model format {stored['format'][0]}, expected {FORMAT}: rebuild it")
            vocabulary = {str(word): i for i, word in enumerate(stored["vocabulary"].tolist())}
            heads = {
                name: Head(
                    tuple(str(c) for c in stored[f"{name}.classes"].tolist()),
                    stored[f"{name}.coef"].astype(np.float32),
                    stored[f"{name}.intercept"].astype(np.float32),
                )
                for name in HEADS
            }
            return cls(vocabulary, stored["idf"].astype(np.float32), heads, str(stored["source_sha256"][0]))


def load_shipped() -> LinearModel:
    data = importlib.resources.files("gateway.policy").joinpath(ARTIFACT).read_bytes()
    return LinearModel.from_bytes(data)


def vocabulary_of(documents: Iterable[Counter[str]], min_count: int) -> list[str]:
    """Features seen in at least `min_count` documents, sorted (a stable, reproducible order)."""
    seen: Counter[str] = Counter()
    for counts in documents:
        seen.update(counts.keys())
    return sorted(feature for feature, n in seen.items() if n >= min_count)

"""The labelled set keeps the labelling guide's rules (tests/data/classify/README.md).

A label that breaks them (a reason on an accepted message, an urgent refusal, facts out of
order) would train the model and score the bench against something the policy can never say.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from domain import Category, DecisionKind, Domain, Fact, RedirectTarget, RefusalReason
from gateway.policy.facts import NEEDED

DATA = Path(__file__).resolve().parents[1] / "data" / "classify"
SPLITS = ("train", "test")
FIELDS = {"text", "category", "domain", "decision", "reason", "redirect", "urgent", "missing_facts", "channel_hint"}
FACT_ORDER = [fact.value for fact in Fact]
# The guide's table "missing facts, by kind of complaint": each kind's facts, in its order.
KIND_ORDERS = [[fact.value for fact in facts] for facts in NEEDED.values()]
LABELLED_DECISIONS = {DecisionKind.ACCEPTED, DecisionKind.REJECTED, DecisionKind.REDIRECTED, DecisionKind.NEEDS_INFO}
# A 12345 order's region decides `other_jurisdiction`, never the words of a message.
TEXT_REASONS = [reason for reason in RefusalReason if reason is not RefusalReason.OTHER_JURISDICTION]


def rows(split: str) -> list[tuple[int, dict[str, object]]]:
    path = DATA / f"{split}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, json.loads(line)) for number, line in enumerate(lines, start=1) if line.strip()]


def problems(row: dict[str, object]) -> list[str]:
    found = [f"missing field {name!r}" for name in sorted(FIELDS - row.keys())]
    if found:
        return found
    text, decision = row["text"], row["decision"]
    if not isinstance(text, str) or not text.strip():
        found.append("empty text")
    if row["category"] not in {c.value for c in Category}:
        found.append(f"category {row['category']!r}")
    if row["domain"] is not None and row["domain"] not in {d.value for d in Domain}:
        found.append(f"domain {row['domain']!r}")
    if decision not in {d.value for d in LABELLED_DECISIONS}:
        found.append(f"decision {decision!r}")
    if (row["reason"] is not None) != (decision == "rejected"):
        found.append("a reason goes with rejected, and only with it")
    if row["reason"] is not None and row["reason"] not in {r.value for r in RefusalReason}:
        found.append(f"reason {row['reason']!r}")
    if (row["redirect"] is not None) != (decision == "redirected"):
        found.append("a redirect target goes with redirected, and only with it")
    if row["redirect"] is not None and row["redirect"] not in {r.value for r in RedirectTarget}:
        found.append(f"redirect {row['redirect']!r}")
    if not isinstance(row["urgent"], bool) or (row["urgent"] and decision != "accepted"):
        found.append("urgent is a boolean, true only with accepted")
    facts = row["missing_facts"]
    if not isinstance(facts, list) or any(f not in FACT_ORDER for f in facts):
        found.append(f"missing_facts {facts!r}")
    elif not any(_in_order(facts, order) for order in KIND_ORDERS):
        found.append("missing_facts are not one kind's facts in the guide's order")
    elif facts and (row["category"] != "complaint" or decision in {"rejected", "redirected"}):
        found.append("missing_facts belong to complaints that are accepted or need information")
    elif decision == "needs_info" and (not facts or row["category"] != "complaint"):
        found.append("needs_info is a complaint with facts missing")
    if row["channel_hint"] is not None and row["channel_hint"] not in {c.value for c in Category}:
        found.append(f"channel_hint {row['channel_hint']!r}")
    return found


def _in_order(facts: list[object], order: list[str]) -> bool:
    """`facts` is a subsequence of `order`."""
    rest = iter(order)
    return all(fact in rest for fact in facts)


@pytest.mark.parametrize("split", SPLITS)
def test_every_label_keeps_the_guide(split: str) -> None:
    bad = [f"{split}.jsonl:{number}: {'; '.join(found)}" for number, row in rows(split) if (found := problems(row))]
    assert not bad, "\n".join(bad[:30])


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_covers_every_class(split: str) -> None:
    labelled = [row for _, row in rows(split)]
    counts: Counter[str] = Counter()
    for row in labelled:
        counts[f"category={row['category']}"] += 1
        counts[f"domain={row['domain']}"] += 1
        counts[f"decision={row['decision']}"] += 1
        if row["reason"]:
            counts[f"reason={row['reason']}"] += 1
        if row["redirect"]:
            counts[f"redirect={row['redirect']}"] += 1
        counts[f"urgent={row['urgent']}"] += 1
    wanted = {f"category={c.value}": 1 for c in Category}
    wanted |= {f"domain={d.value}": 1 for d in Domain} | {"domain=None": 1}
    wanted |= {f"decision={d.value}": 1 for d in LABELLED_DECISIONS}
    # The floor for a split: 20 per refusal reason and per redirect target, 60 urgent.
    wanted |= {f"reason={r.value}": 20 for r in TEXT_REASONS} | {f"redirect={r.value}": 20 for r in RedirectTarget}
    wanted |= {"urgent=True": 60}
    short = {key: counts[key] for key, floor in wanted.items() if counts[key] < floor}
    assert not short, f"{split}.jsonl has too few of: {short}"


def test_no_message_is_in_both_splits() -> None:
    train = {str(row["text"]).strip() for _, row in rows("train")}
    shared = [number for number, row in rows("test") if str(row["text"]).strip() in train]
    assert not shared, f"test.jsonl lines also in train.jsonl: {shared}"


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)} or {text}


def test_no_test_message_is_a_light_edit_of_a_train_message() -> None:
    """A test message that differs from a train message by a word or two (快递员从来不送上门，直接扔驿站
    against the same without the comma) measures memory, not generalisation: more than half of
    their character triples shared is a light edit."""
    train = [_trigrams(str(row["text"]).strip()) for _, row in rows("train")]
    holding: dict[str, set[int]] = {}
    for index, grams in enumerate(train):
        for gram in grams:
            holding.setdefault(gram, set()).add(index)
    edits = []
    for number, row in rows("test"):
        grams = _trigrams(str(row["text"]).strip())
        shared = Counter(index for gram in grams for index in holding.get(gram, ()))
        if any(n / len(grams | train[index]) > 0.5 for index, n in shared.items()):
            edits.append(number)
    assert not edits, f"test.jsonl lines that are light edits of train.jsonl lines: {edits}"

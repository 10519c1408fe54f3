"""The prefilter only skips patterns that cannot match: the signals are the same as searching all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gateway.kb.text import simplify
from gateway.policy.lexicon_base import alternatives, either, words
from gateway.policy.model import _SIGNALS
from gateway.policy.prefilter import Prefilter, required_literals

DATA = Path(__file__).resolve().parents[1] / "data" / "classify"


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"超员|严重超载|超载.{0,8}人", ["严重超载", "超员", "超载"]),
        (r"(?:桥|隧道).{0,6}(?:裂|塌)", ["桥", "隧道"]),  # a group's alternatives, when no run is longer
        (r"(?<!不)着火了?", ["着火"]),  # lookbehinds consume nothing
        (r"[gs]\d{1,4}", None),  # nothing literal: always searched
        (r"车.{0,4}坏|\d+", None),  # one branch without a literal: the whole pattern is searched
        (r"车.{0,4}坏|\d+分", ["分", "车"]),  # a digit run, then a literal the branch needs
        (r"(?:好多|很多)?人受伤", ["人受伤"]),  # an optional group adds nothing required
    ],
)
def test_the_literals_every_match_must_contain(pattern: str, needs: list[str] | None) -> None:
    found = required_literals(re.compile(pattern))
    assert (sorted(found) if found else None) == (sorted(needs) if needs else None)


def test_a_case_insensitive_pattern_is_always_searched() -> None:
    assert required_literals(re.compile("etc", re.IGNORECASE)) is None


def test_the_prefiltered_signals_equal_every_search_on_the_labelled_set() -> None:
    prefilter = Prefilter(_SIGNALS)
    parts = sum(len(alternatives(pattern)) for pattern in _SIGNALS.values())
    assert prefilter.always_searched < parts // 100, "the prefilter would skip almost nothing"
    texts = [
        simplify(json.loads(line)["text"])
        for split in ("train", "test")
        for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    searched = 0
    for text in texts:
        everything = {name for name, pattern in _SIGNALS.items() if pattern.search(text)}
        assert prefilter.matches(text) == everything, text
        searched += len(prefilter.candidates(text))
    assert searched / len(texts) < parts / 10, "most alternatives should be skipped for most messages"


def test_an_alternative_is_searched_only_when_its_words_are_there() -> None:
    prefilter = Prefilter({"overload": either("超员", r"核载.{0,12}\d", r"[gs]\d{1,4}"), "fire": words("着火 起火")})
    assert prefilter.always_searched == 1  # the expressway code: nothing literal to read
    assert prefilter.matches("车上超员了") == {"overload"}
    assert prefilter.matches("核载人数不清楚") == set()  # 核载 there, no digit within reach: searched, no match
    assert prefilter.matches("核载 12 人 g15") == {"overload"}
    assert prefilter.matches("货车起火") == {"fire"}
    assert prefilter.matches("一切正常") == set()

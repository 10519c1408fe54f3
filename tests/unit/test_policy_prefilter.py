"""The prefilter only skips patterns that cannot match: the signals are the same as searching all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gateway.kb.text import simplify
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
    assert len(prefilter.always) < len(_SIGNALS) // 4, "the prefilter would skip almost nothing"
    texts = [
        simplify(json.loads(line)["text"])
        for split in ("train", "test")
        for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    skipped = 0
    for text in texts:
        candidates = prefilter.candidates(text)
        everything = {name for name, pattern in _SIGNALS.items() if pattern.search(text)}
        assert {name for name in candidates if _SIGNALS[name].search(text)} == everything, text
        skipped += len(_SIGNALS) - len(candidates)
    assert skipped / len(texts) > len(_SIGNALS) / 2, "most patterns should be skipped for most messages"

"""Which of many patterns can match a text, found in one pass over it.

The policy reads every message with ~55 lexicon patterns, most of them long alternations of
words (`gateway.policy.lexicon`); Python's `re` tries each one at every position, and the searches
were a third of the policy step's time. Yet a message of forty characters contains the words of
only a few of them. So each pattern is taken apart once, at start-up, into literals that every
match of it must contain — for an alternation, one literal per branch ("超员", "严重超载",
"超载" …, the longest run of plain characters each branch cannot match without) — and one
Aho-Corasick automaton over all of them (ahocorasick-rs, already used for place names) tells, in
one scan, which patterns can match at all. Only those are searched. A pattern from which no such
literal can be read (a branch that starts with a character class and holds nothing literal) is
always searched: the answer is exactly what searching every pattern gives, only faster.

The literals are read with `re._parser`, the standard library's own regex parser. It is not a
public API; if it ever fails on a pattern, that pattern is simply always searched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ahocorasick_rs import AhoCorasick, MatchKind

try:  # the parser `re` compiles with (Python ≥ 3.11)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
    from re._constants import (  # type: ignore[import-not-found]
        BRANCH,
        LITERAL,
        MAX_REPEAT,
        MIN_REPEAT,
        POSSESSIVE_REPEAT,
        SUBPATTERN,
    )
except ImportError:  # pragma: no cover - a Python without it: every pattern is searched
    _sre_parse = None

Needs = list[str] | None  # literals one of which every match contains; None: cannot tell


def required_literals(pattern: re.Pattern[str]) -> Needs:
    """Literals such that every match of `pattern` contains at least one; None if none can be
    read (the pattern must then always be searched)."""
    if _sre_parse is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:
        return None  # a pattern the parser cannot read is searched every time
    return _needs(list(parsed))


def _needs(items: Sequence[tuple[Any, Any]]) -> Needs:
    """What a sequence of parsed items needs: its longest run of literal characters, or, if that
    is a single character, a branch's (or a group's) literals when every alternative has some."""
    best_run, run = "", ""
    alternatives: list[Needs] = []
    for op, value in items:
        if op is LITERAL:
            run += chr(value)
            best_run = max(best_run, run, key=len)
            continue
        run = ""
        if op is BRANCH:
            branches = [_needs(list(branch)) for branch in value[1]]
            if all(branches):
                alternatives.append(sorted({literal for branch in branches if branch for literal in branch}))
        elif op is SUBPATTERN:
            alternatives.append(_needs(list(value[-1])))
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT) and value[0] >= 1:
            alternatives.append(_needs(list(value[2])))
    candidates = [needs for needs in alternatives if needs]
    if len(best_run) >= 2 or (best_run and not candidates):
        return [best_run]
    if candidates:
        # The most selective: the fewest literals, then the longest shortest one.
        return min(candidates, key=lambda needs: (len(needs), -min(map(len, needs))))
    return None


class Prefilter:
    """`candidates(text)`: the names of the patterns that can match `text`; searching only those
    gives the same answers as searching all of them."""

    def __init__(self, patterns: Mapping[str, re.Pattern[str]]) -> None:
        self.always: frozenset[str] = frozenset()
        literals: dict[str, set[str]] = {}
        always = set()
        for name, pattern in patterns.items():
            needs = required_literals(pattern)
            if needs is None:
                always.add(name)
                continue
            for literal in needs:
                literals.setdefault(literal, set()).add(name)
        self.always = frozenset(always)
        self._literals = list(literals)
        self._owners = [frozenset(literals[literal]) for literal in self._literals]
        self._matcher = AhoCorasick(self._literals, matchkind=MatchKind.Standard) if self._literals else None

    def candidates(self, text: str) -> set[str]:
        found = set(self.always)
        if self._matcher is not None:
            for index in {index for index, _, _ in self._matcher.find_matches_as_indexes(text, overlapping=True)}:
                found.update(self._owners[index])
        return found


__all__ = ["Prefilter", "required_literals"]

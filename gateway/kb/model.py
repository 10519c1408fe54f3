"""One knowledge-base article (第十三条) and the error a bad KB file raises.

An entry is what DESIGN.md's file format names: `id`, `question`, `similar` (other phrasings of
the question), `answer`, `domain` (or null), `tags`. Fields the format does not name (an author,
a source, a review date…) are kept as they are and written out again on export, so a round trip
through the gateway loses nothing the centre's editors added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain import Domain

# The limits of `domain.Answer`: an article that could not travel in a `TicketEvent` is refused
# at import, not when a citizen asks.
ID_MAX_CHARS = 100
ANSWER_MAX_CHARS = 5000

FIELDS: tuple[str, ...] = ("id", "question", "similar", "answer", "domain", "tags")

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class KbFormatError(Exception):
    """A KB file that cannot be imported; `line` is 1-based (the first line of the file is 1)."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class KbEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ID_MAX_CHARS)]
    question: _Text
    similar: list[_Text] = Field(default_factory=list)
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_MAX_CHARS)]
    domain: Domain | None = None
    tags: list[_Text] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str) -> str:
        if any(not char.isprintable() for char in value):
            raise ValueError("id must not contain control characters")
        return value

    @property
    def phrasings(self) -> list[str]:
        """The question and its alternative phrasings, each once, question first."""
        return list(dict.fromkeys([self.question, *self.similar]))

    @property
    def extras(self) -> dict[str, Any]:
        """The fields the format does not name, as they were read."""
        return dict(self.model_extra or {})

    def to_record(self) -> dict[str, Any]:
        """The entry as one JSON object: the named fields in the format's order, then the extras."""
        record: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "similar": list(self.similar),
            "answer": self.answer,
            "domain": self.domain.value if self.domain is not None else None,
            "tags": list(self.tags),
        }
        record.update(self.extras)
        return record


def summarize(entries: Sequence[KbEntry]) -> dict[str, Any]:
    """Counts for `kb stats` and `GET /admin/kb`: entries, phrasings, per domain ("none": no
    domain) and per tag, most frequent first."""
    domains = Counter(entry.domain.value if entry.domain is not None else "none" for entry in entries)
    tags = Counter(tag for entry in entries for tag in entry.tags)
    return {
        "entries": len(entries),
        "phrasings": sum(len(entry.phrasings) for entry in entries),
        "domains": dict(domains.most_common()),
        "tags": dict(tags.most_common()),
    }

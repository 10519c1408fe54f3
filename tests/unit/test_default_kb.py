"""The knowledge base shipped with the product and the team's FAQ evaluation set are well-formed.

Read as plain JSON on purpose: these are data checks that hold whatever the retrieval engine does.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
KB = ROOT / "gateway" / "kb" / "default_kb.jsonl"
EVAL_DIR = ROOT / "tests" / "data" / "faq_eval"
SPLITS = ("tune", "holdout")
DOMAINS = {None, "highway", "waterway", "road_transport", "urban_transit", "maritime", "salvage", "maritime_sar"}
KINDS = {"answerable", "off_topic", "other_hotline", "complaint", "absent"}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def kb() -> list[dict[str, Any]]:
    return _lines(KB)


@pytest.fixture(scope="module")
def queries() -> dict[str, list[dict[str, Any]]]:
    return {split: _lines(EVAL_DIR / f"{split}.jsonl") for split in SPLITS}


def test_the_shipped_kb_has_at_least_sixty_entries_with_unique_ids(kb: list[dict[str, Any]]) -> None:
    assert len(kb) >= 60
    ids = Counter(entry["id"] for entry in kb)
    assert [entry_id for entry_id, count in ids.items() if count > 1] == []


def test_every_entry_is_complete(kb: list[dict[str, Any]]) -> None:
    for entry in kb:
        assert set(entry) >= {"id", "question", "similar", "answer", "domain", "tags"}, entry["id"]
        for field in ("question", "answer"):
            assert isinstance(entry[field], str), (entry["id"], field)
            assert entry[field].strip(), (entry["id"], field)
        assert entry["domain"] in DOMAINS, entry["id"]
        assert isinstance(entry["tags"], list), entry["id"]
        similar = entry["similar"]
        assert isinstance(similar, list), entry["id"]
        assert len([phrasing for phrasing in similar if isinstance(phrasing, str) and phrasing.strip()]) >= 2, entry[
            "id"
        ]


def test_no_phrasing_is_shared_by_two_entries(kb: list[dict[str, Any]]) -> None:
    owners: dict[str, set[str]] = {}
    for entry in kb:
        for phrasing in [entry["question"], *entry["similar"]]:
            owners.setdefault(str(phrasing).strip(), set()).add(str(entry["id"]))
    assert {phrasing: ids for phrasing, ids in owners.items() if len(ids) > 1} == {}


def test_the_kb_loads_through_the_importer() -> None:
    files = pytest.importorskip("gateway.kb.files")
    entries = files.load_entries(KB)
    assert len(entries) == len(_lines(KB))


def test_the_eval_set_is_well_formed(kb: list[dict[str, Any]], queries: dict[str, list[dict[str, Any]]]) -> None:
    ids = {entry["id"] for entry in kb}
    for split, rows in queries.items():
        for row in rows:
            assert set(row) == {"text", "expected", "kind"}, (split, row)
            assert isinstance(row["text"], str), (split, row)
            assert row["text"].strip(), (split, row)
            assert row["kind"] in KINDS, (split, row)
            if row["kind"] == "answerable":
                assert row["expected"] in ids, (split, row)
            else:
                assert row["expected"] is None, (split, row)


def test_the_eval_set_is_large_enough(queries: dict[str, list[dict[str, Any]]]) -> None:
    rows = [row for split in SPLITS for row in queries[split]]
    assert len(rows) >= 200
    assert sum(row["expected"] is None for row in rows) >= 60
    for split in SPLITS:
        assert sum(row["expected"] is None for row in queries[split]) >= 30, split
        assert sum(row["expected"] is not None for row in queries[split]) >= 60, split


def test_no_query_is_in_both_splits_and_articles_are_split_by_topic(
    queries: dict[str, list[dict[str, Any]]],
) -> None:
    texts = [{row["text"] for row in queries[split]} for split in SPLITS]
    assert texts[0] & texts[1] == set()
    articles = [{row["expected"] for row in queries[split] if row["expected"]} for split in SPLITS]
    assert articles[0] & articles[1] == set()


def test_no_query_copies_a_kb_phrasing(kb: list[dict[str, Any]], queries: dict[str, list[dict[str, Any]]]) -> None:
    phrasings = {str(p).strip() for entry in kb for p in [entry["question"], *entry["similar"]]}
    copied = [row["text"] for split in SPLITS for row in queries[split] if str(row["text"]).strip() in phrasings]
    assert copied == []

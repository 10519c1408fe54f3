"""KB files: every format read and written back, and every kind of bad file refused whole with the
number of the line at fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain import Domain
from gateway.kb.files import dump_entries, format_of, load_entries, parse_entries
from gateway.kb.model import KbEntry, KbFormatError

DATA = Path(__file__).parents[1] / "data"
SMALL_KB = DATA / "kb_small.jsonl"


def _line(record: dict[str, object]) -> str:
    return json.dumps(record, ensure_ascii=False)


GOOD = {"id": "a", "question": "出租车拒载怎么投诉？", "similar": ["的士不拉人"], "answer": "向12328投诉。"}


def _error(data: bytes, fmt: str) -> KbFormatError:
    with pytest.raises(KbFormatError) as caught:
        parse_entries(data, fmt)
    return caught.value


def test_the_fixture_kb_loads_with_its_extra_field_kept() -> None:
    entries = load_entries(SMALL_KB)
    assert len(entries) == 12
    refusal = next(entry for entry in entries if entry.id == "t-taxi-refusal")
    assert refusal.domain is Domain.URBAN_TRANSIT
    assert refusal.extras == {"reviewed_by": "test"}
    assert refusal.phrasings == ["出租车拒载怎么投诉？", "的士不拉人怎么办", "出租车司机嫌路近不去"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "yaml"])
def test_every_format_round_trips_with_extras(fmt: str) -> None:
    entries = load_entries(SMALL_KB)
    again = parse_entries(dump_entries(entries, fmt), fmt)
    assert [entry.to_record() for entry in again] == [entry.to_record() for entry in entries]


def test_csv_lists_are_pipe_separated_or_json_arrays_and_empty_domain_is_null() -> None:
    data = (
        "id,question,similar,answer,domain,tags,source\n"
        "a,出租车拒载怎么投诉？,的士不拉人|打车被拒,向12328投诉。,urban_transit,出租车,regulation\n"
        'b,ETC多扣钱,"[""扣多了|怎么办"", ""ETC扣费""]",找发行方。,,,\n'
    ).encode()
    first, second = parse_entries(data, "csv")
    assert first.similar == ["的士不拉人", "打车被拒"]
    assert first.extras == {"source": "regulation"}
    assert second.similar == ["扣多了|怎么办", "ETC扣费"]
    assert (second.domain, second.tags, second.extras) == (None, [], {})
    # A value with "|" is written back as a JSON array, so it reads back the same.
    assert parse_entries(dump_entries([second], "csv"), "csv")[0].similar == ["扣多了|怎么办", "ETC扣费"]


def test_a_utf8_byte_order_mark_is_tolerated_and_csv_export_writes_one() -> None:
    entries = parse_entries("\ufeff".encode() + _line(GOOD).encode(), "jsonl")
    assert entries[0].id == "a"
    assert dump_entries(entries, "csv").startswith("\ufeff".encode())


def test_load_entries_reads_the_format_from_the_suffix(tmp_path: Path) -> None:
    entries = load_entries(SMALL_KB)
    for suffix in (".csv", ".yaml", ".yml", ".jsonl"):
        path = tmp_path / f"kb{suffix}"
        path.write_bytes(dump_entries(entries, format_of(path)))
        assert [entry.id for entry in load_entries(path)] == [entry.id for entry in entries]
    with pytest.raises(ValueError, match="unknown knowledge-base format"):
        format_of(tmp_path / "kb.txt")


def test_a_bad_json_line_is_reported_with_its_number() -> None:
    data = "\n".join([_line(GOOD), "", '{"id": "b", "question": "q" "answer": "a"}']).encode()
    error = _error(data, "jsonl")
    assert error.line == 3
    assert "invalid JSON" in str(error)
    assert str(error).startswith("line 3:")


def test_a_missing_field_is_named() -> None:
    error = _error((_line(GOOD) + "\n" + _line({"id": "b", "question": "q"})).encode(), "jsonl")
    assert (error.line, error.message) == (2, "missing field 'answer'")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", 7, "id: Input should be a valid string"),
        ("similar", "一个字符串", "similar: Input should be a valid list"),
        ("tags", [1], "tags.0: Input should be a valid string"),
        ("domain", "railway", "domain: Input should be"),
        ("answer", "   ", "answer: String should have at least 1 character"),
    ],
)
def test_a_wrong_type_or_value_is_refused(field: str, value: object, expected: str) -> None:
    error = _error((_line(GOOD) + "\n" + _line({**GOOD, "id": "b", field: value})).encode(), "jsonl")
    assert error.line == 2
    assert expected in error.message


def test_a_duplicate_id_names_both_lines() -> None:
    data = "\n".join([_line(GOOD), _line({**GOOD, "id": "b"}), _line(GOOD)]).encode()
    error = _error(data, "jsonl")
    assert error.line == 3
    assert "duplicate id 'a' (lines 1 and 3)" in error.message


def test_bytes_that_are_not_utf8_are_refused_with_their_line() -> None:
    gbk = _line({**GOOD, "id": "b"}).encode("gbk")
    error = _error(_line(GOOD).encode() + b"\n" + gbk, "jsonl")
    assert error.line == 2
    assert "not UTF-8" in error.message
    assert _error(_line(GOOD).encode("utf-16"), "jsonl").message == "the file is UTF-16; save it as UTF-8"


def test_csv_errors_carry_the_physical_line_of_the_row() -> None:
    data = 'id,question,answer\na,"多行\n的问题",答\nb,q,\n'.encode()
    error = _error(data, "csv")
    assert (error.line, error.message) == (4, "answer: String should have at least 1 character (got the text '')")
    assert "lacks answer" in _error(b"id,question\nx,q\n", "csv").message
    assert _error(b"id,question,answer\nx,q\n", "csv").line == 2
    assert "duplicate id 'x' (lines 2 and 3)" in _error(b"id,question,answer\nx,q,a\nx,q2,a\n", "csv").message


def test_yaml_errors_carry_the_line_of_the_entry() -> None:
    data = b"- id: a\n  question: q\n  answer: a\n- id: 12\n  question: q\n  answer: a\n"
    error = _error(data, "yaml")
    assert error.line == 4
    assert "id: Input should be a valid string" in error.message
    assert _error(b"- id: a\n  question: [q\n", "yaml").message.startswith("invalid YAML")
    assert "a list of entries" in _error(b"id: a\nquestion: q\n", "yaml").message


def test_an_empty_file_is_refused() -> None:
    assert _error(b"\n\n", "jsonl").message == "the file holds no entries"


def test_nothing_of_a_bad_file_is_returned(tmp_path: Path) -> None:
    good_lines = [_line({**GOOD, "id": f"e{n}"}) for n in range(50)]
    path = tmp_path / "kb.jsonl"
    path.write_text("\n".join([*good_lines, "not json"]), encoding="utf-8")
    entries: list[KbEntry] = []
    with pytest.raises(KbFormatError) as caught:
        entries = load_entries(path)
    assert caught.value.line == 51
    assert entries == []

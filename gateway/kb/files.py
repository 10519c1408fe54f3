"""Reading and writing KB files: JSONL (canonical), CSV and YAML with the same columns.

All or nothing: a file is parsed and validated whole before anything uses it, and the first
problem is raised as `KbFormatError` with its 1-based line number (bad JSON or YAML, a missing or
mistyped field, a duplicate id — both lines named —, bytes that are not UTF-8). A UTF-8 byte order
mark is tolerated (Excel writes one).

CSV: a header row naming the columns (`id,question,similar,answer,domain,tags`, in any order, plus
any extra columns, which are kept as text; an empty extra cell is an absent field). `similar` and
`tags` are either `|`-separated
(`打车怎么投诉|出租车投诉电话`) or, when a phrasing itself contains `|`, a JSON array
(`["a|b", "c"]`); an empty `domain` cell is null. Export writes `|`-separated lists (JSON arrays
only where a value contains `|`) and a byte order mark, so that Excel opens the file as UTF-8.

YAML: one list of mappings with the same keys (`yaml.safe_load`, so no tags, no objects).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.kb.model import FIELDS, KbEntry, KbFormatError

FORMATS: tuple[str, ...] = ("jsonl", "csv", "yaml")
SUFFIXES: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
_LIST_FIELDS = ("similar", "tags")
_BOM = "\ufeff"


def format_of(path: Path | str) -> str:
    """The format a file's name says (`.jsonl`/`.ndjson`, `.csv`, `.yaml`/`.yml`)."""
    suffix = Path(path).suffix.lower()
    try:
        return SUFFIXES[suffix]
    except KeyError:
        raise ValueError(
            f"{Path(path).name}: unknown knowledge-base format {suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(sorted(SUFFIXES))}"
        ) from None


def load_entries(path: Path | str) -> list[KbEntry]:
    """Every entry of the file at `path`, in file order (format by suffix)."""
    fmt = format_of(path)
    return parse_entries(Path(path).read_bytes(), fmt)


def parse_entries(data: bytes, fmt: str) -> list[KbEntry]:
    """Every entry of a KB file's bytes, validated whole; `KbFormatError` at the first problem."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown knowledge-base format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = _decode(data)
    records = {"jsonl": _jsonl_records, "csv": _csv_records, "yaml": _yaml_records}[fmt](text)
    entries: list[KbEntry] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        entry = _entry(record, line)
        if entry.id in first_line:
            raise KbFormatError(
                f"duplicate id {entry.id!r} (lines {first_line[entry.id]} and {line})",
                line=line,
            )
        first_line[entry.id] = line
        entries.append(entry)
    if not entries:
        raise KbFormatError("the file holds no entries", line=1)
    return entries


def dump_entries(entries: Iterable[KbEntry], fmt: str) -> bytes:
    """The entries as a file of format `fmt`; `parse_entries` reads it back to equal entries."""
    records = [entry.to_record() for entry in entries]
    if fmt == "jsonl":
        return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode("utf-8")
    if fmt == "csv":
        return _dump_csv(records).encode("utf-8-sig")
    if fmt == "yaml":
        return yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=1000).encode("utf-8")
    raise ValueError(f"unknown knowledge-base format {fmt!r}; use one of {', '.join(FORMATS)}")


# -- decoding and validation ---------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise KbFormatError("the file is UTF-16; save it as UTF-8", line=1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise KbFormatError(
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at byte {column} of the line); save the file as UTF-8",
            line=line,
        ) from None
    return text.removeprefix(_BOM)


def _entry(record: object, line: int) -> KbEntry:
    if not isinstance(record, dict):
        raise KbFormatError(f"an entry must be an object with {', '.join(FIELDS)}; got {_kind(record)}", line=line)
    if any(not isinstance(key, str) for key in record):
        raise KbFormatError("field names must be text", line=line)
    try:
        return KbEntry.model_validate(record)
    except ValidationError as exc:
        raise KbFormatError(_first_error(exc), line=line) from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "entry"
    if error["type"] == "missing":
        return f"missing field {where!r}"
    return f"{where}: {error['msg']} (got {_kind(error.get('input'))})"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:30]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# -- JSONL ---------------------------------------------------------------------------------------


def _jsonl_records(text: str) -> Iterator[tuple[int, object]]:
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise KbFormatError(f"invalid JSON: {exc.msg} (column {exc.colno})", line=number) from None


# -- CSV -----------------------------------------------------------------------------------------


def _csv_records(text: str) -> Iterator[tuple[int, object]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise KbFormatError("the file is empty: a header row is expected", line=1)
        columns = [name.strip() for name in header]
        _check_header(columns)
        first = reader.line_num + 1
        for row in reader:
            line, first = first, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise KbFormatError(f"{len(row)} cells where the header has {len(columns)}", line=line)
            yield line, _csv_record(dict(zip(columns, row, strict=True)), line)
    except csv.Error as exc:
        raise KbFormatError(f"invalid CSV: {exc}", line=reader.line_num or 1) from None


def _check_header(columns: list[str]) -> None:
    missing = [name for name in ("id", "question", "answer") if name not in columns]
    if missing:
        raise KbFormatError(
            f"the header row lacks {', '.join(missing)} (expected {','.join(FIELDS)} and any extra columns)", line=1
        )
    seen: set[str] = set()
    for name in columns:
        if not name or name in seen:
            raise KbFormatError(f"the header row has an empty or repeated column {name!r}", line=1)
        seen.add(name)


def _csv_record(cells: dict[str, str], line: int) -> dict[str, Any]:
    # An empty cell of an extra column is a field the entry does not have (a column exists for
    # every extra field any entry has).
    record: dict[str, Any] = {name: value for name, value in cells.items() if name in FIELDS or value.strip()}
    for name in _LIST_FIELDS:
        if name in record:
            record[name] = _csv_list(record[name], name, line)
    if "domain" in record and not record["domain"].strip():
        record["domain"] = None
    return record


def _csv_list(cell: str, name: str, line: int) -> list[Any]:
    cell = cell.strip()
    if cell.startswith("["):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError as exc:
            message = f"{name}: a cell starting with '[' must be a JSON array ({exc.msg})"
            raise KbFormatError(message, line=line) from None
        if not isinstance(value, list):
            raise KbFormatError(f"{name}: expected a JSON array", line=line)
        return value
    return [part.strip() for part in cell.split("|") if part.strip()]


def _dump_csv(records: list[dict[str, Any]]) -> str:
    extras: dict[str, None] = {}
    for record in records:
        extras.update(dict.fromkeys(key for key in record if key not in FIELDS))
    columns = [*FIELDS, *extras]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_cell(name, record.get(name)) for name in columns])
    return out.getvalue()


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _LIST_FIELDS:
        items = [str(item) for item in value]
        if any("|" in item for item in items) or (items and items[0].lstrip().startswith("[")):
            return json.dumps(items, ensure_ascii=False)
        return "|".join(items)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# -- YAML ----------------------------------------------------------------------------------------


def _yaml_records(text: str) -> Iterator[tuple[int, object]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise KbFormatError(f"invalid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise KbFormatError(f"invalid YAML: {exc}", line=1) from None
    if root is None:
        return
    if not isinstance(root, yaml.SequenceNode):
        raise KbFormatError("the YAML file must be a list of entries (- id: …)", line=root.start_mark.line + 1)
    for node in root.value:
        line = node.start_mark.line + 1
        try:
            # A fresh constructor per entry: each entry's line is known, and anchors are not
            # shared between entries anyway.
            value = yaml.constructor.SafeConstructor().construct_document(node)
        except yaml.YAMLError as exc:
            raise KbFormatError(f"invalid YAML: {exc}", line=line) from None
        yield line, value

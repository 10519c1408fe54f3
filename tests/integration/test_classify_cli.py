"""`hotline-gateway classify` as an operator or another system runs it: a real process, JSON lines
in, one JSON line out for each, the same values a `TicketEvent` carries (DESIGN.md)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_cli

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"
FIELDS = {"text", "category", "domain", "decision", "reason", "redirect", "urgent", "answer_id", "missing_facts"}


def _classify(args: list[str], env: dict[str, str], stdin: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["classify", *args], env, stdin)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    values.update(HOTLINE_DATA_DIR=str(tmp_path / "var"), HOTLINE_LOG_LEVEL="WARNING", HOTLINE_REGION_CODE="440100")
    return values


def test_one_json_line_out_for_each_line_in(env: dict[str, str]) -> None:
    lines = [
        {"text": "請問計程車拒載怎麼投訴？"},
        {"text": "我的高铁票改签了两次还能退吗"},
        {"text": "你们这帮废物，接电话的都是傻逼"},
        {"text": "出租车司机绕路多收了我三十块"},
        {"text": "建议15路公交车末班车延长到晚上11点"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n\n"
    result = _classify(["--kb", str(SMALL_KB)], env, stdin)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(lines)  # the blank line is skipped
    assert all(set(record) == FIELDS for record in records)
    answered, railway, abuse, taxi, suggestion = records
    assert (answered["decision"], answered["answer_id"], answered["category"]) == (
        "answered",
        "t-taxi-refusal",
        "inquiry",
    )
    assert (railway["decision"], railway["redirect"], railway["domain"]) == ("redirected", "railway", None)
    assert (abuse["decision"], abuse["reason"]) == ("rejected", "public_order")
    assert (taxi["decision"], taxi["category"], taxi["domain"]) == ("needs_info", "complaint", "urban_transit")
    assert taxi["missing_facts"] == ["plate", "time", "place"]
    assert (suggestion["decision"], suggestion["category"], suggestion["answer_id"]) == (
        "accepted",
        "suggestion",
        None,
    )
    assert not any(record["urgent"] for record in records)


def test_a_bad_line_is_reported_with_its_number(env: dict[str, str]) -> None:
    result = _classify(["--kb", str(SMALL_KB)], env, '{"text": "公交车几点收班"}\n{"txt": 1}\n')
    assert result.returncode == 1
    assert 'stdin line 2: expected an object with a "text" string' in result.stderr
    assert len(result.stdout.splitlines()) == 1  # what came before the bad line is out already


def test_a_bad_calendar_file_stops_the_command_naming_it(env: dict[str, str], tmp_path: Path) -> None:
    calendar = tmp_path / "calendar.json"
    calendar.write_text('{"years": [2027], "holidays": {"2028-01-01": "New Year\'s Day"}}', encoding="utf-8")
    env["HOTLINE_CALENDAR_FILE"] = str(calendar)
    result = _classify(["--kb", str(SMALL_KB)], env, '{"text": "公交车几点收班"}\n')
    assert result.returncode == 2
    assert str(calendar) in result.stderr
    assert "2028-01-01" in result.stderr


def _calendar(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(["calendar", *args], env)


def test_calendar_says_which_years_are_official(env: dict[str, str]) -> None:
    result = _calendar(["--year", "2027"], env)
    assert result.returncode == 0, result.stderr
    assert "2027: not covered — weekends only, deadlines marked estimated" in result.stdout
    fixture = Path(__file__).parents[1] / "data" / "calendar" / "2027-fixture.json"
    result = _calendar(["--file", str(fixture), "--year", "2027"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "2027-01-01 day off" in lines
    assert "2027-02-14 working day" in lines  # a Sunday worked for the Spring Festival break


def test_calendar_refuses_a_file_that_does_not_cover_whole_years(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "2027.json"
    bad.write_text('{"years": [2027], "holidays": {"2027-01-01": "New Year\'s Day"}}', encoding="utf-8")
    result = _calendar(["--file", str(bad)], env)
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert "Spring Festival" in result.stderr  # a statutory festival the year lacks

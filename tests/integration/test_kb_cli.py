"""`hotline-gateway kb …` as an operator runs it: a real process, a temporary KB file, and Redis
(database 13) for `import`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from gateway.kb.files import load_entries, parse_entries
from queue_workers import redis_keys
from tests.cli_support import run_cli

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"


def _kb(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(["kb", *args], env, stdin)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    values.update(HOTLINE_DATA_DIR=str(tmp_path / "var"), HOTLINE_LOG_LEVEL="WARNING")
    return values


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    path = tmp_path / "kb.jsonl"
    path.write_bytes(SMALL_KB.read_bytes())
    return path


def test_ask_with_text_prints_the_answer(env: dict[str, str], kb_file: Path) -> None:
    result = _kb(["ask", "--kb", str(kb_file), "請問計程車拒載怎麼投訴？"], env)
    assert result.returncode == 0, result.stderr
    first, question, blank, answer = result.stdout.splitlines()
    assert first.startswith("t-taxi-refusal (score ")
    assert (question, blank) == ("出租车拒载怎么投诉？", "")
    assert answer == "出租车拒载可以向12328投诉，请提供车牌号、时间、地点和经过。"

    result = _kb(["ask", "--kb", str(kb_file), "明天北京天气怎么样"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no answer")


def test_ask_reads_json_lines_and_writes_one_json_line_each(env: dict[str, str], kb_file: Path) -> None:
    queries = ["的士拒载去哪投诉", "明天北京天气怎么样", "昨天打车被司机绕路多收了我50块", "ＥＴＣ多扣了钱怎么办"]
    stdin = "".join(json.dumps({"text": text, "extra": 1}, ensure_ascii=False) + "\n" for text in queries)
    result = _kb(["ask", "--kb", str(kb_file)], env, stdin=stdin + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(line) for line in lines] == [["text", "id", "score"]] * 4
    assert [line["text"] for line in lines] == queries
    # A complaint narrative is never answered by an FAQ, however well an article matches.
    assert [line["id"] for line in lines] == ["t-taxi-refusal", None, None, "t-etc"]
    assert all(isinstance(line["score"], float) and 0 <= line["score"] <= 1 for line in lines)
    assert lines[2]["score"] > lines[1]["score"]


def test_ask_refuses_a_bad_stdin_line(env: dict[str, str], kb_file: Path) -> None:
    result = _kb(["ask", "--kb", str(kb_file)], env, stdin='{"text": "的士拒载"}\n{"query": "x"}\n')
    assert result.returncode == 1
    assert 'stdin line 2: expected an object with a "text" string' in result.stderr


def test_stats_and_export_of_a_file(env: dict[str, str], kb_file: Path) -> None:
    result = _kb(["stats", "--kb", str(kb_file)], env)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["version"], stats["entries"], stats["phrasings"]) == (None, 12, 36)
    assert stats["domains"] == {"highway": 3, "urban_transit": 3, "road_transport": 3, "none": 2, "waterway": 1}
    assert stats["tags"]["出租车"] == 2
    for fmt in ("csv", "yaml", "jsonl"):
        exported = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "kb", "export", "--kb", str(kb_file), "--format", fmt],
            capture_output=True,
            env=env,
            timeout=120,
            check=True,
        ).stdout
        assert [e.to_record() for e in parse_entries(exported, fmt)] == [e.to_record() for e in load_entries(kb_file)]


def test_import_stores_a_new_version_that_ask_then_uses(
    env: dict[str, str], kb_file: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    env = {**env, "HOTLINE_REDIS_URL": redis_url}
    result = _kb(["import", str(kb_file)], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported 12 entries from {kb_file} as version 1"
    assert redis_client.get(redis_keys.kb_version()) == b"1"

    result = _kb(["ask", "的士不拉人怎么办"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("t-taxi-refusal")
    result = _kb(["stats"], env)
    assert json.loads(result.stdout)["version"] == 1


def test_a_bad_file_is_not_imported(
    env: dict[str, str], tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    bad = tmp_path / "kb.csv"
    bad.write_text("id,question,answer\na,出租车拒载怎么投诉,投诉\na,重复,答\n", encoding="utf-8")
    result = _kb(["import", str(bad)], {**env, "HOTLINE_REDIS_URL": redis_url})
    assert result.returncode == 1
    assert "line 3: duplicate id 'a' (lines 2 and 3); nothing imported" in result.stderr
    assert redis_client.get(redis_keys.kb_version()) is None


def test_without_redis_ask_falls_back_to_the_kb_file(env: dict[str, str], kb_file: Path) -> None:
    env = {**env, "HOTLINE_REDIS_URL": "redis://127.0.0.1:1/0", "HOTLINE_KB_PATH": str(kb_file)}
    result = _kb(["ask", "的士不拉人怎么办"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("t-taxi-refusal")
    assert "cannot be reached" in result.stderr
    assert f"using HOTLINE_KB_PATH {kb_file}" in result.stderr

"""Files a machine's processes create once and share: whoever loses the race reads the winner's
whole content, never an empty file (a `serve --workers 2` process once started with an empty
spool node id, and could have with an empty signing key)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.local_files import read_or_create
from gateway.signing import load_or_create_secret
from gateway.spool import node_id_of
from tests.concurrency import run_together


def _race(count: int, read: Callable[[int], bytes | str]) -> list[bytes | str]:
    """`read(0)` … `read(count - 1)` on threads released together; what each returned."""
    results: list[bytes | str] = [b""] * count

    def step(number: int) -> None:
        results[number] = read(number)

    assert run_together(count, step) == []
    return results


@pytest.mark.parametrize("attempt", range(20))
def test_racing_creators_all_get_the_winners_whole_content(tmp_path: Path, attempt: int) -> None:
    path = tmp_path / "shared"
    results = _race(16, lambda number: read_or_create(path, lambda: f"content of {number}".encode(), mode=0o600))
    assert len(set(results)) == 1
    assert results[0] == path.read_bytes()
    assert results[0].startswith(b"content of ")
    assert [p.name for p in tmp_path.iterdir()] == ["shared"]  # no temporary file left behind


def test_processes_starting_together_share_one_node_id_and_one_key(tmp_path: Path) -> None:
    node_ids = _race(16, lambda _: node_id_of(tmp_path))
    keys = _race(16, lambda _: load_or_create_secret(tmp_path / "secret_key"))
    assert len(set(node_ids)) == 1
    assert len(str(node_ids[0])) == 4
    assert len(set(keys)) == 1
    assert len(keys[0]) == 64


def test_the_key_file_is_private(tmp_path: Path) -> None:
    load_or_create_secret(tmp_path / "secret_key")
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_an_existing_file_is_read_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "node_id").write_text("0042\n")
    assert node_id_of(tmp_path) == "0042"


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_bytes(b"")
    with pytest.raises(ValueError, match="secret_key is empty"):
        load_or_create_secret(tmp_path / "secret_key")

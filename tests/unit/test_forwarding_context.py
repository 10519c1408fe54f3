"""The per-process forwarding context: lazy, tidy, built from the environment when unconfigured,
and never shared with a forked child."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_workers import context as forwarding
from queue_workers.settings import WorkerSettings


@pytest.fixture(autouse=True)
def fresh_context() -> Iterator[None]:
    forwarding.close()
    yield
    forwarding.close()


def test_configure_creates_nothing_until_used(tmp_path: Path) -> None:
    settings = WorkerSettings(_env_file=None, data_dir=tmp_path / "var")
    context = forwarding.configure(settings)
    assert forwarding.current() is context
    assert not (tmp_path / "var").exists()
    client = context.http
    assert context.http is client  # one keep-alive client for every job
    assert client.timeout.read == settings.ticket_core_timeout_s
    assert context.store.count() == 0
    assert settings.ticket_store_path.exists()
    forwarding.close()
    assert client.is_closed


def test_reconfiguring_closes_the_previous_context(tmp_path: Path) -> None:
    first = forwarding.configure(WorkerSettings(_env_file=None, data_dir=tmp_path / "a"))
    client = first.http
    second = forwarding.configure(WorkerSettings(_env_file=None, data_dir=tmp_path / "b"))
    assert client.is_closed
    assert forwarding.current() is second


def test_unconfigured_it_is_built_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("HOTLINE_TICKET_CORE_TIMEOUT_S", "3")
    context = forwarding.current()
    assert context.settings.data_dir == tmp_path / "from-env"
    assert context.settings.ticket_core_timeout_s == 3
    assert forwarding.current() is context


def test_a_context_inherited_across_a_fork_is_replaced_not_closed(tmp_path: Path) -> None:
    inherited = forwarding.configure(WorkerSettings(_env_file=None, data_dir=tmp_path / "var"))
    client = inherited.http
    inherited.pid = -1  # as seen from a forked child: it belongs to the parent
    own = forwarding.current()
    assert own is not inherited
    assert not client.is_closed  # the parent's socket is left alone
    inherited.pid = own.pid
    inherited.close()

"""The forwarding settings fail at start-up, not at the first delivery."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from queue_workers.settings import WorkerSettings


def _settings(**values: Any) -> WorkerSettings:
    return WorkerSettings(_env_file=None, **values)


@pytest.mark.parametrize("url", ["", "   "])
def test_an_empty_url_means_the_local_store(url: str) -> None:
    assert _settings(ticket_core_url=url).ticket_core_url is None


def test_a_url_is_kept_trimmed() -> None:
    settings = _settings(ticket_core_url=" https://core.example/api/tickets ", ticket_core_secret="s" * 16)
    assert settings.ticket_core_url == "https://core.example/api/tickets"


@pytest.mark.parametrize("url", ["core.example/api", "ftp://core.example/", "javascript:alert(1)"])
def test_a_url_the_worker_cannot_post_to_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="HOTLINE_TICKET_CORE_URL"):
        _settings(ticket_core_url=url, ticket_core_secret="s" * 16)


def test_a_url_needs_its_secret() -> None:
    with pytest.raises(ValidationError, match="HOTLINE_TICKET_CORE_SECRET"):
        _settings(ticket_core_url="https://core.example/api/tickets")


def test_the_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_TICKET_CORE_URL", "http://127.0.0.1:9000/tickets")
    monkeypatch.setenv("HOTLINE_TICKET_CORE_SECRET", "secret-from-env")
    monkeypatch.setenv("HOTLINE_TICKET_CORE_TIMEOUT_S", "2.5")
    monkeypatch.setenv("HOTLINE_FORWARD_RETRY_SCHEDULE", "1, 2,4")
    settings = WorkerSettings(_env_file=None)
    assert settings.ticket_core_url == "http://127.0.0.1:9000/tickets"
    assert settings.ticket_core_secret is not None
    assert settings.ticket_core_secret.get_secret_value() == "secret-from-env"
    assert settings.ticket_core_timeout_s == 2.5
    assert settings.forward_retry_schedule == [1, 2, 4]

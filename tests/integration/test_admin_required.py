"""Admin endpoints need a token: `serve` refuses to start without one unless they are turned off,
and turned off they are not there at all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.cli_support import run_cli


def test_serve_refuses_to_start_with_admin_enabled_and_no_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATA_DIR=str(tmp_path / "var"), HOTLINE_REDIS_URL="redis://127.0.0.1:1/0")
    result = run_cli(["serve"], env)
    assert result.returncode == 2
    assert "HOTLINE_ADMIN_TOKEN" in result.stderr
    short = run_cli(["serve"], {**env, "HOTLINE_ADMIN_TOKEN": "short"})
    assert short.returncode == 2
    assert "HOTLINE_ADMIN_TOKEN is shorter than 16" in short.stderr


async def test_admin_turned_off_is_not_served(make_settings: Any, start_gateway: Any) -> None:
    client = await start_gateway(make_settings(admin_token=None, admin_enabled=False))
    for path in ("/admin/tickets", "/admin/kb"):
        response = await client.get(path, headers={"Authorization": "Bearer anything-at-all-0000"})
        assert response.status == 404
    assert (await client.get("/healthz")).status == 200

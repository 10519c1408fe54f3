"""The OpenAPI contract (`GET /openapi.json`, `GET /api`): it documents every route the gateway
serves and nothing it does not, and schemathesis, generating requests from it against a live
`hotline-gateway serve`, gets no 5xx from any operation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from gateway.app import create_app
from gateway.openapi import document
from gateway.settings import Settings
from tests.redis_process import free_port
from tests.wechat_samples import AES_KEY, APP_ID, APP_SECRET
from tests.wechat_samples import TOKEN as WECHAT_TOKEN

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "admin-token-for-openapi-tests"
IVR_TOKEN = "ivr-token-for-openapi-tests-01"
TOKEN_12345 = "token-12345-for-openapi-tests-01"
FULL: dict[str, Any] = {
    "channels": ["app", "webform", "wechat", "ivr", "hotline12345"],
    "app_keys": {"test-app": "app-secret-for-openapi-tests-0123"},
    "admin_token": ADMIN_TOKEN,
    "wechat_token": WECHAT_TOKEN,
    "wechat_aes_key": AES_KEY,
    "wechat_app_id": APP_ID,
    "wechat_app_secret": APP_SECRET,
    "ivr_tokens": {"ivr-1": IVR_TOKEN},
    "twilio_auth_token": "twilio-auth-token-for-openapi-0123",
    "hotline12345_token": TOKEN_12345,
    "hotline12345_return_url": "http://127.0.0.1:9/returns",
    "hotline12345_return_secret": "return-secret-for-openapi-tests-01",
}


def _served(settings: Settings) -> set[tuple[str, str]]:
    app = create_app(settings)
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }


def _documented(settings: Settings) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document(settings)["paths"].items() for method in item}


@pytest.mark.parametrize(
    "config",
    [FULL, {}, {"channels": ["app"], "admin_enabled": False}, {**FULL, "twilio_auth_token": None}],
    ids=["every channel", "defaults", "app only, no admin", "ivr without twilio"],
)
def test_every_route_is_documented_and_nothing_else(make_settings: Any, config: dict[str, Any]) -> None:
    settings = make_settings(**config)
    assert _documented(settings) == _served(settings)


async def test_the_document_and_its_page_are_served(make_settings: Any, start_gateway: Any) -> None:
    settings = make_settings(**FULL)
    client = await start_gateway(settings)
    spec = await (await client.get("/openapi.json")).json()
    assert spec["openapi"] == "3.1.0"
    app_message = spec["paths"]["/api/v1/app/messages"]["post"]
    assert app_message["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AppMessage"
    }
    assert "request_id" in spec["components"]["schemas"]["AppMessage"]["properties"]
    page = await client.get("/api")
    assert page.status == 200
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = await page.text()
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in html


@pytest.fixture(scope="module")
def live_gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`hotline-gateway serve` with every channel, as a deployment runs it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    for name, value in FULL.items():
        env[f"HOTLINE_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    env.update(
        HOTLINE_CHANNELS=",".join(FULL["channels"]),
        HOTLINE_12345_TOKEN=TOKEN_12345,
        HOTLINE_12345_RETURN_URL=FULL["hotline12345_return_url"],
        HOTLINE_12345_RETURN_SECRET=FULL["hotline12345_return_secret"],
        HOTLINE_REDIS_URL=redis_url,
        HOTLINE_PORT=str(port),
        HOTLINE_DATA_DIR=str(tmp_path_factory.mktemp("openapi") / "var"),
        HOTLINE_LOG_LEVEL="WARNING",
    )
    log = Path(env["HOTLINE_DATA_DIR"]).parent / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve"], env=env, stdout=out, stderr=out, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"serve did not start: {log.read_text()[-3000:]}")
        time.sleep(0.1)
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    errors = [line for line in log.read_text().splitlines() if " ERROR " in line or "Traceback" in line]
    assert errors == [], errors


# The document depends on the configuration only, not on a running server: built at collection.
schema = schemathesis.openapi.from_dict(document(Settings(_env_file=None, **FULL)))  # type: ignore[call-arg]


def _credentials(path: str) -> dict[str, str]:
    """The right token where one is enough, so the generated bodies reach the parsers."""
    if path.startswith("/admin/"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if path.startswith("/channels/ivr/"):
        return {"Authorization": f"Bearer {IVR_TOKEN}"}
    if path.startswith("/channels/12345/"):
        return {"Authorization": f"Bearer {TOKEN_12345}"}
    return {}


@schema.parametrize()
@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case: Any, live_gateway: str) -> None:
    if case.path == "/admin/kb" and case.method == "PUT":
        pytest.skip("publishing generated knowledge bases would replace the live one mid-run")
    response = case.call(base_url=live_gateway, headers=_credentials(case.path))
    case.validate_response(response, checks=(not_a_server_error,))

"""The IVR's side of a test: call records and the tokens they are sent with."""

from __future__ import annotations

import base64
import json
from typing import Any

IVR_ID = "ivr-gz"
IVR_TOKEN = "ivr-token-for-tests-0123456789"
OTHER_IVR_ID = "ivr-sz"
OTHER_IVR_TOKEN = "other-ivr-token-for-tests-9876"
IVR_TOKENS = {IVR_ID: IVR_TOKEN, OTHER_IVR_ID: OTHER_IVR_TOKEN}
CALLS = "/channels/ivr/calls"


def ivr_settings(make_settings: Any, **overrides: Any) -> Any:
    return make_settings(channels=["app", "ivr"], ivr_tokens=IVR_TOKENS, **overrides)


def bearer(token: str = IVR_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def call_record(**overrides: Any) -> dict[str, Any]:
    """A complete call answered by an agent, as an IVR posts it at the end of the call."""
    record: dict[str, Any] = {
        "call_id": "c-20261129-0001",
        "caller": "13800138000",
        "callee": "12328",
        "started_at": "2026-11-30T09:00:00+08:00",
        "answered_at": "2026-11-30T09:00:12+08:00",
        "ended_at": "2026-11-30T09:04:40+08:00",
        "menu_path": "2-1",
        "disposition": "agent",
        "recording": {"url": "https://ivr.example/rec/c-0001.wav", "duration_s": 268},
        "transcript": "我昨天晚上八点在广州南站打的出租车，司机绕路多收了三十块，车牌粤A·D1234。",
        "agent_notes": "来电人要求退还多收车费。",
    }
    record.update(overrides)
    return {key: value for key, value in record.items() if value is not None}


def as_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


async def post_call(client: Any, record: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return await client.post(
        CALLS, data=as_json(record), headers={"Content-Type": "application/json", **(headers or bearer())}
    )

"""The mobile app's side of a test: a signed message posted to `POST /api/v1/app/messages`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import signed_headers


def app_message(text: str, user_id: str, **overrides: Any) -> bytes:
    """A message body as the app sends it, with a fresh request id."""
    body = {"request_id": str(uuid.uuid4()), "user_id": user_id, "text": text, **overrides}
    return json.dumps(body, ensure_ascii=False).encode()


async def post_app_message(client: Any, body: bytes) -> dict[str, Any]:
    """Post `body` signed; the reply's JSON (the request must be taken: 200)."""
    response = await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))
    assert response.status == 200, await response.text()
    reply: dict[str, Any] = await response.json()
    return reply

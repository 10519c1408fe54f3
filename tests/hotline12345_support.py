"""The 12345 platform's side of a test: its credentials and a work order as it transfers one."""

from __future__ import annotations

import uuid
from typing import Any

TOKEN = "hotline12345-token-for-tests-0123"
RETURN_SECRET = "hotline12345-return-secret-0123456"
ORDERS = "/channels/12345/orders"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def order(**overrides: Any) -> dict[str, Any]:
    """A transferred complaint with a fresh order number."""
    body: dict[str, Any] = {
        "order_no": f"GZ12345-{uuid.uuid4().hex[:12]}",
        "platform": "12345",
        "region_code": "440106",
        "received_at": "2026-11-30T10:15:00+08:00",
        "citizen": {"name": "李四", "phone": "139 0013 9000"},
        "content": "市民反映：11月29日晚8点在天河区体育西路乘坐粤A·D1234出租车，司机拒绝打表并多收费50元，要求处理。",
        "category": "投诉",
        "due_at": "2026-12-07T18:00:00+08:00",
        "attachments": [{"url": "https://12345.example.gov.cn/files/a1.jpg", "name": "发票.jpg"}],
    }
    body.update(overrides)
    return body

"""第七条: with logging at DEBUG for every logger, the channels' submissions, their forwarding to a
ticketing core that refuses one and echoes the citizen's number back, leave no unmasked mobile
number, ID number or name in any log line."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tests.app_support import app_message
from tests.conftest import signed_headers
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.forwarding_support import core_settings, drain
from tests.ivr_support import IVR_TOKENS, call_record, post_call
from tests.wechat_support import WeChat

pytestmark = pytest.mark.e2e

MOBILE = "13912345678"
ID_NUMBER = "110105199003071234"  # checksum-valid resident ID number
NAME = "欧阳娜娜"
LEAK = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


async def test_nothing_personal_reaches_the_logs_at_debug(
    make_settings: Any, start_gateway: Any, ticket_core: FakeTicketCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    from tests.wechat_samples import AES_KEY, APP_ID, APP_SECRET, TOKEN

    settings = core_settings(
        make_settings,
        ticket_core,
        channels=["app", "wechat", "ivr", "hotline12345"],
        ivr_tokens=IVR_TOKENS,
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        hotline12345_token="hotline12345-token-for-tests-0123",
        hotline12345_return_url=ticket_core.url,
        hotline12345_return_secret="hotline12345-return-secret-0123456",
    )
    client = await start_gateway(settings)
    told = f"我叫{NAME}，电话{MOBILE}，身份证{ID_NUMBER}，出租车粤A12345拒载，今天上午9点在广州南站。"
    ticket_core.answer(Answer(status=422, body=json.dumps({"error": "bad", "phone": MOBILE, "id": ID_NUMBER})))

    body = app_message(told, "u-pii", contact={"name": NAME, "phone": MOBILE})
    assert (await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))).status == 200
    assert (await WeChat(client).text(told, msg_id="6300000000000000001"))[0] == 200
    assert (await post_call(client, call_record(caller=MOBILE, transcript=told))).status == 200
    order = {
        "order_no": "GZ-PII-1",
        "region_code": "440106",
        "received_at": "2026-11-30T10:15:00+08:00",
        "citizen": {"name": NAME, "phone": MOBILE},
        "content": told,
    }
    response = await client.post(
        "/channels/12345/orders",
        data=json.dumps(order, ensure_ascii=False).encode(),
        headers={"Authorization": "Bearer hotline12345-token-for-tests-0123", "Content-Type": "application/json"},
    )
    assert response.status == 200
    bad = await post_call(client, call_record(call_id="c-bad", caller=MOBILE, ended_at="not a time"))
    assert bad.status == 422
    await drain(settings)
    assert len(ticket_core.received) >= 4  # the refused one included

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "ticket" in logged  # the scenario did log
    leaks = sorted(set(LEAK.findall(logged)))
    assert leaks == [], f"unmasked personal data in the logs: {leaks}"
    assert NAME not in logged

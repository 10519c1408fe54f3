"""A citizen on a phone: headless Chromium fills in the web form served on 127.0.0.1."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestServer
from PIL import Image

from gateway.app import create_app
from gateway.settings import Settings
from tests.forwarding_support import queued_events

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
HAS_CHROMIUM = CHROMIUM.exists()
# The 422 of a form sent with mistakes is expected; any other console error is a defect.
EXPECTED_CONSOLE = "Failed to load resource: the server responded with a status of 422"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[TestServer]:
    test_server = TestServer(create_app(settings), host="127.0.0.1")  # a real port on 127.0.0.1
    async with test_server:
        yield test_server


@pytest.fixture
async def page(server: TestServer) -> AsyncIterator[Any]:
    if not HAS_CHROMIUM:
        if os.environ.get("HOTLINE_REQUIRE_BROWSER"):  # CI installs it: a missing browser is a failure there
            pytest.fail(f"{CHROMIUM} is missing but HOTLINE_REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # A mid-range phone: narrow viewport, touch, Chinese locale.
        context = await browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        browser_page = await context.new_page()
        browser_page.set_default_timeout(15_000)
        problems: list[str] = []
        browser_page.on(
            "console",
            lambda message: (
                problems.append(message.text)
                if message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE)
                else None
            ),
        )
        browser_page.on("pageerror", lambda error: problems.append(str(error)))
        yield browser_page
        await context.close()
        await browser.close()
        # A CSP violation (the inline style blocked, say) shows up as a console error.
        assert problems == [], problems


async def _fits_the_screen(page: Any) -> bool:
    width: bool = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return width


async def test_citizen_submits_the_form_with_a_photo(
    page: Any, server: TestServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    photo = tmp_path / "现场照片.jpg"
    Image.new("RGB", (640, 480), "orange").save(photo, "JPEG")

    await page.goto(str(server.make_url("/form")))
    assert await page.title() == "在线反映问题 - 12328交通运输服务监督热线"
    assert await _fits_the_screen(page)
    # The nonce-admitted inline style really applies under the page's CSP.
    header_colour = await page.eval_on_selector("header", "el => getComputedStyle(el).backgroundColor")
    assert header_colour == "rgb(11, 79, 156)"

    await page.get_by_label("投诉").check()
    await page.select_option("#f-domain", "urban_transit")
    await page.fill("#f-description", "出租车司机拒载，车牌粤A12345，还骂人。")
    await page.fill("#f-place", "广州南站东广场")
    await page.fill("#f-occurred_at", "2026-01-05T20:15")
    await page.fill("#f-name", "张三")
    await page.fill("#f-phone", "138 0013 8000")
    await page.set_input_files("#f-photos", str(photo))
    async with page.expect_navigation() as navigation:
        await page.click("button[type=submit]")
    response = await navigation.value
    assert response.status == 200

    ticket_no = (await page.text_content("#ticket-no") or "").strip()
    assert re.fullmatch(r"12328-\d{8}-\d{6}", ticket_no)
    assert "提交成功" in await page.text_content("h1")
    assert await _fits_the_screen(page)

    (event,) = queued_events(redis_client)
    assert event.ticket_no == ticket_no
    assert event.citizen.phone == "13800138000"
    (attachment,) = event.content.attachments
    assert (attachment.mime, attachment.size, attachment.name) == (
        "image/jpeg",
        photo.stat().st_size,
        photo.name,
    )


async def test_citizen_sends_it_empty_and_sees_what_to_fix(
    page: Any, server: TestServer, redis_client: redis.Redis
) -> None:
    await page.goto(str(server.make_url("/form")))
    await page.fill("#f-name", "李四")
    async with page.expect_navigation() as navigation:
        await page.click("button[type=submit]")
    response = await navigation.value
    assert response.status == 422

    summary = await page.text_content(".error-summary")
    assert summary is not None
    assert "请选择诉求类别" in summary
    assert "请填写问题描述（至少10个字）" in summary
    assert await page.get_attribute("#f-description", "aria-invalid") == "true"
    assert await page.input_value("#f-name") == "李四"
    assert await _fits_the_screen(page)

    # Fixing the mistakes on the same page goes through.
    await page.get_by_label("咨询").check()
    await page.fill("#f-description", "请问广州南站到白云机场的大巴几点发车？")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert re.fullmatch(r"12328-\d{8}-\d{6}", (await page.text_content("#ticket-no") or "").strip())
    assert len(queued_events(redis_client)) == 1

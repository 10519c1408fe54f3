"""第七条: personal data never reaches a log line unmasked, whatever logger wrote it."""

from __future__ import annotations

import io
import logging

import pytest

from gateway.logs import MaskLogs


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskLogs())
    logger = logging.getLogger(f"test-mask-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_phone_and_id_in_arguments_are_masked() -> None:
    stream = io.StringIO()
    _logger(stream).info("citizen %s with id %s wrote", "13800138000", "11010519491231002X")
    line = stream.getvalue()
    assert "13800138000" not in line
    assert "11010519491231002X" not in line
    assert "138****8000" in line


def test_exception_text_is_masked() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    try:
        raise ValueError("bad phone 13912345678")
    except ValueError:
        logger.exception("failed")
    assert "13912345678" not in stream.getvalue()
    assert "139****5678" in stream.getvalue()


@pytest.mark.parametrize(
    ("line", "kept", "gone"),
    [
        (
            'http://api "GET /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3t-value HTTP/1.1" 200',
            "appid=wx1&secret=***",
            "s3cr3t-value",
        ),
        ("POST /cgi-bin/message/custom/send?access_token=ACCESS_1_abc HTTP/1.1", "access_token=***", "ACCESS_1_abc"),
        ("GET /files/ab12.png?exp=1764400000&sig=Zm9vYmFyYmF6", "exp=1764400000&sig=***", "Zm9vYmFyYmF6"),
        ("sent Authorization: Bearer ivr-token-0123456789", "Bearer ***", "ivr-token-0123456789"),
        ("header Authorization: Basic aXZyLWd6OnNlY3JldA==", "Basic ***", "aXZyLWd6OnNlY3JldA=="),
        ("connecting to redis://:p%40ss-word@redis.internal:6379/0", "redis://:***@redis.internal", "p%40ss-word"),
        ("connecting to redis://user:pw-123@10.0.0.5:6379", "redis://user:***@10.0.0.5", "pw-123"),
    ],
)
def test_credentials_in_urls_and_headers_are_masked(line: str, kept: str, gone: str) -> None:
    stream = io.StringIO()
    _logger(stream).debug("%s", line)
    assert kept in stream.getvalue()
    assert gone not in stream.getvalue()


def test_configured_secrets_are_masked_wherever_they_appear() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskLogs(["core-secret-0123456789", "abc"]))
    logger = logging.getLogger("test-mask-known")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.warning("signing with core-secret-0123456789 for abc")
    assert stream.getvalue() == "signing with *** for abc\n"  # a 3-character secret is not searched for

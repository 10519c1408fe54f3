"""第七条: personal data never reaches a log line unmasked, whatever logger wrote it."""

from __future__ import annotations

import io
import logging

from gateway.logs import MaskPersonalData


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPersonalData())
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

"""Logging set-up: one line per record, personal data masked in every message (第七条)."""

from __future__ import annotations

import logging
import sys

from normalizers.pii import mask_pii


class MaskPersonalData(logging.Filter):
    """Masks mobile and ID numbers in the rendered message, whatever logger produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_text is None and record.exc_info[0] is not None:
            record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPersonalData())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

"""Logging set-up: one line per record — text for a terminal, or JSON for a log pipeline
(`HOTLINE_LOG_FORMAT=json`: `ts`, `level`, `logger`, `message`, `request_id` and the record's own
fields, e.g. the access line's `method`, `path`, `status`, `latency_ms`, `channel`, `decision`) —
with personal data (第七条) and credentials masked in every message and field, whatever logger
produced it, the HTTP and Redis libraries' own DEBUG lines included."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from normalizers.pii import mask_pii
from queue_workers.request_ids import RequestIdFilter

LogFormat = Literal["text", "json"]
# A record's own attributes; anything else on it was passed as `extra` and is a field of its own.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}

MASK = "***"
# A configured secret shorter than this is not searched for in log lines (WeChat allows a 3-char
# Token): masking every "abc" would make the logs unreadable and protect nothing.
MIN_KNOWN_SECRET_CHARS = 8
# Credentials that travel in URLs: WeChat's appsecret and access_token, signed upload URLs' `sig`
# (a capability to a citizen's photo), and the usual names.
_QUERY_CREDENTIAL = re.compile(
    r"(?i)([?&;](?:secret|appsecret|access_token|token|password|passwd|sig|api_?key)=)[^&\s\"'#<>]+"
)
_AUTHORIZATION = re.compile(r"(?i)\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=\-]{6,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*:)[^@\s/]+@")


def mask_secrets(text: str, known: Iterable[str] = ()) -> str:
    """`text` with credentials in URLs and Authorization values masked, and any `known` secret."""
    text = _QUERY_CREDENTIAL.sub(rf"\1{MASK}", text)
    text = _AUTHORIZATION.sub(rf"\1 {MASK}", text)
    text = _URL_PASSWORD.sub(rf"\1{MASK}@", text)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class MaskLogs(logging.Filter):
    """Masks mobile and ID numbers and credentials in the rendered message and its traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_KNOWN_SECRET_CHARS}, key=len, reverse=True)

    def _mask(self, text: str) -> str:
        return mask_secrets(mask_pii(text), self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, self._mask(value))
        if record.exc_info and record.exc_text is None and record.exc_info[0] is not None:
            record.exc_text = self._mask(logging.Formatter().formatException(record.exc_info))
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in line:
                line[name] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str = "INFO", *, secrets: Iterable[str] = (), fmt: LogFormat = "text") -> None:
    """`secrets`: the configured credentials, masked wherever they would appear."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskLogs(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

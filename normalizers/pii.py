"""Masking of personal data for logs and statistics (第七条): phones, ID numbers, names."""

from __future__ import annotations

import re

# Mainland mobile numbers (11 digits from 13x–19x) not embedded in a longer digit run.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
# Resident ID numbers: 17 digits and a check character (digit or X).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough for an operator to recognise, not enough to call."""
    if not phone:
        return phone
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 7 else 0
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """张* / 欧阳** / J***: first character only."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_pii(text: str) -> str:
    """Mask every mobile number and ID number found in free text (log lines, error messages)."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)[:2]}{'*' * 14}{m.group(3)[-2:]}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)

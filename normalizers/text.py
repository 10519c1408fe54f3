"""Text clean-up shared by every normalizer: what a citizen typed, made safe to store and compare."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u3000]+\n")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Mainland landlines with their area code: 010/02x + 8 digits, or 0xxx + 7–8 digits.
_CN_LANDLINE = re.compile(r"^(?:0(?:10|2\d)\d{8}|0[3-9]\d{2}\d{7,8})$")


def clean_text(text: str) -> str:
    """NFC-normalise, drop control and bidi-override characters, unify newlines, trim.

    Full-width characters are kept as typed: the policy step folds them when it compares, but the
    ticket keeps the citizen's own words.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_optional(text: str | None) -> str | None:
    """`clean_text`, with empty results turned into None."""
    if text is None:
        return None
    cleaned = clean_text(text)
    return cleaned or None


def normalize_phone(phone: str | None) -> str | None:
    """A phone number without separators; mainland mobiles lose the +86/0086 prefix."""
    if phone is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", phone))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and _CN_MOBILE.match(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
    return digits or None


def is_cn_mobile(phone: str) -> bool:
    return bool(_CN_MOBILE.match(phone))


def is_cn_phone(phone: str) -> bool:
    """A normalised mainland mobile number or landline with area code: a number one can call back."""
    return is_cn_mobile(phone) or bool(_CN_LANDLINE.match(phone))

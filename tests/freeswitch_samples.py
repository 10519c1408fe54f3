"""FreeSWITCH's CDR posts as mod_json_cdr and mod_xml_cdr send them: the real CDRs of
tests/data/freeswitch (see its README) and the wire encoders of each `encode` setting.

The encoders follow FreeSWITCH's C source (read, not copied): `switch_url_encode_opt` escapes
control and non-ASCII bytes and `SWITCH_URL_UNSAFE` as `%XX`; mod_xml_cdr's form encodes every `%`
(double_encode), mod_json_cdr's form and `encode-values` leave an existing `%XX` alone.
"""

from __future__ import annotations

import base64
from pathlib import Path

from channels.form_body import URLENCODED
from channels.freeswitch_cdr import BASE64_FORM, PLAINTEXT_FORM

DATA = Path(__file__).resolve().parent / "data" / "freeswitch"
JSON_ARRAY = "json_cdr_callflow_array.json"
JSON_REPEATED = "json_cdr_callflow_repeated.json"
XML_BRIDGED = "xml_cdr_docs_bridged.xml"
XML_UNANSWERED = "xml_cdr_docs_unanswered.xml"

# switch_utils.h: SWITCH_URL_UNSAFE; the hex digits are upper case, and only they count as an escape.
_UNSAFE = b'\r\n #%&+:;<=>?@[\\]^`{|}"'
_HEX = b"0123456789ABCDEF"


def fs_url_encode(text: str, *, double_encode: bool) -> str:
    """What `switch_url_encode_opt` makes of a string."""
    data = text.encode("utf-8")
    out = bytearray()
    for position, byte in enumerate(data):
        escape = data[position + 1 : position + 3]
        kept = not double_encode and byte == ord("%") and len(escape) == 2 and all(digit in _HEX for digit in escape)
        if not kept and (byte < 0x20 or byte > 0x7E or byte in _UNSAFE):
            out += f"%{byte:02X}".encode()
        else:
            out.append(byte)
    return out.decode("ascii")


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# --- the encodings, as each module sends them -------------------------------------------------


def json_raw(text: str) -> tuple[bytes, str]:
    return text.encode(), "application/json"


def json_form(text: str) -> tuple[bytes, str]:  # mod_json_cdr encode=true: switch_url_encode
    return ("cdr=" + fs_url_encode(text, double_encode=False)).encode(), URLENCODED


def json_form_fixed(text: str) -> tuple[bytes, str]:  # the same since FreeSWITCH PR #3152 (2026-09)
    return ("cdr=" + fs_url_encode(text, double_encode=True)).encode(), URLENCODED


def any_base64(text: str) -> tuple[bytes, str]:  # encode=base64, both modules
    return b"cdr=" + base64.b64encode(text.encode()), BASE64_FORM


def xml_textxml(text: str) -> tuple[bytes, str]:
    return text.encode(), "text/xml"


def xml_form(text: str) -> tuple[bytes, str]:  # mod_xml_cdr encode=true: switch_url_encode_opt(…, TRUE)
    return ("cdr=" + fs_url_encode(text, double_encode=True)).encode(), URLENCODED


def xml_plaintext(text: str) -> tuple[bytes, str]:  # mod_xml_cdr encode=false
    return b"cdr=" + text.encode(), PLAINTEXT_FORM


JSON_ENCODINGS = {
    "raw json": json_raw,
    "cdr= form": json_form,
    "cdr= form since PR 3152": json_form_fixed,
    "base64 form": any_base64,
}
XML_ENCODINGS = {
    "text/xml": xml_textxml,
    "cdr= form": xml_form,
    "base64 form": any_base64,
    "plaintext form": xml_plaintext,
}

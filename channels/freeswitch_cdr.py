"""FreeSWITCH's own CDR posts (`POST /channels/ivr/freeswitch`): what mod_json_cdr and mod_xml_cdr
send, taken unchanged, read into a `FreeSwitchCdr` and mapped onto the generic call record
(`IvrCall`). Pure and free of I/O; the channel class does the rest.

第十六条 asks the hotline for 7×24 人工接听和自助语音服务. A centre whose switch is FreeSWITCH needs no
glue for it: it points mod_json_cdr or mod_xml_cdr at the gateway, and each call leg's CDR arrives
when the leg is over, whoever answered it (an agent, the self-service menu, voicemail, nobody).

On the wire (read in FreeSWITCH's `mod_json_cdr.c`, `mod_xml_cdr.c` and `switch_ivr.c`)
-----------------------------------------------------------------------------------------
Both modules POST to their `url` with `uuid=<the leg's uuid>` added to the query; mod_xml_cdr
writes `uuid=a_<uuid>` for an A leg when `prefix-a-leg` is on (the vanilla xml_cdr.conf.xml turns
it on). The `encode` param chooses the body:

    module        encode   Content-Type                            body
    mod_json_cdr  false    application/json                        the JSON
                  true     application/x-www-form-urlencoded       cdr=<the JSON, percent-encoded>
                  base64   application/x-www-form-base64-encoded   cdr=<base64 of the JSON>
    mod_xml_cdr   textxml  text/xml                                the XML
                  true     application/x-www-form-urlencoded       cdr=<the XML, percent-encoded>
                  base64   application/x-www-form-base64-encoded   cdr=<base64 of the XML>
                  false    application/x-www-form-plaintext        cdr=<the XML, as is>

The base64 and plaintext bodies are no real forms: their "+" and "&" mean themselves. Before
FreeSWITCH PR #3152 (2026-09) mod_json_cdr's form left every `%XX` already in the JSON as it was,
so with `encode-values` on, the decoded form is broken JSON as soon as a value holds a quote (the
`caller_id` variable nearly always does); such a body is read by its structure instead. Operators
avoid the question with mod_json_cdr `encode` false or base64.

Channel variables are percent-encoded inside the document: always in the XML, in the JSON unless
`encode-values` is false (it defaults to true). They are decoded once here, which leaves plain
values as they are. `callflow` lists one caller profile per transfer, newest first and numbered by
`profile_index` (1 is the original); mod_json_cdr made it an array in FreeSWITCH 1.6 (FS-7612) and
wrote one `"callflow"` key per profile before. Who called and what they dialled come from the
original profile; the times from the newest, which alone has the answer and hangup times.

Channel variables read
----------------------
Set by the centre's dialplan or IVR script (the README quotes this list):

- `hotline_menu_path`: the menu keys as `IvrCall.menu_path` has them ("2-1"); one that does not
  fit is ignored, like a bad `digits_dialed`, since a CDR cannot be sent again differently;
- `hotline_disposition`: agent | self_service | abandoned | voicemail, when the IVR knows better;
- `hotline_recording_url` (http or https; a file path is ignored) and `hotline_recording_duration_s`
  (else FreeSWITCH's `record_seconds`);
- `hotline_transcript` (what the caller said) and `hotline_agent_notes` (what the agent wrote),
  cut to the call record's 20000 and 5000 characters rather than refused.

Set by FreeSWITCH: `uuid` (else the caller profile's); `start_epoch`/`answer_epoch`/`end_epoch`
(and their `_uepoch` twins) when a callflow has no `times`; `hangup_cause`; `billsec`;
`digits_dialed` (every DTMF key of the call, "none" when there was none; its first 16 keys stand for
the menu path); `voicemail_message_len` (mod_voicemail, once a message was left); `last_bridge_to`,
`bridge_uuid`, `bridge_channel`, `bridge_epoch` (a bridge to another leg) and `cc_agent_bridged`
(mod_callcenter); `record_seconds` (record_session and record). Not `originated_legs`: it lists
the legs dialled, answered or not.

Without `hotline_disposition`, a call never answered is abandoned; an answered one is voicemail if a
message was left, agent if it was bridged, self-service otherwise.

Personal data (第七条): numbers and variables stay out of the model's repr, no error message repeats
a value, and nothing here logs.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import datetime
from operator import itemgetter
from typing import Annotated, Any, Literal, TypeGuard, get_args
from urllib.parse import unquote

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from channels.base import Inbound, InvalidPayload, UnsupportedMediaType
from channels.form_body import URLENCODED, parse_urlencoded
from channels.ivr_model import MENU_PATH, Disposition, IvrCall, IvrRecording
from channels.json_body import decode_json_object, validation_fields
from channels.xml_body import XmlBodyError, parse_xml_document
from normalizers.time import SHANGHAI

JSON = "application/json"
XML_TYPES = ("text/xml", "application/xml")
BASE64_FORM = "application/x-www-form-base64-encoded"
PLAINTEXT_FORM = "application/x-www-form-plaintext"
CONTENT_TYPES = (JSON, *XML_TYPES, URLENCODED, BASE64_FORM, PLAINTEXT_FORM)

MENU_PATH_VARIABLE = "hotline_menu_path"
DISPOSITION_VARIABLE = "hotline_disposition"
RECORDING_URL_VARIABLE = "hotline_recording_url"
RECORDING_DURATION_VARIABLE = "hotline_recording_duration_s"
TRANSCRIPT_VARIABLE = "hotline_transcript"
AGENT_NOTES_VARIABLE = "hotline_agent_notes"
HOTLINE_VARIABLES = (
    MENU_PATH_VARIABLE,
    DISPOSITION_VARIABLE,
    RECORDING_URL_VARIABLE,
    RECORDING_DURATION_VARIABLE,
    TRANSCRIPT_VARIABLE,
    AGENT_NOTES_VARIABLE,
)
# Any of them set means the call was bridged to another leg: a person took it.
BRIDGE_VARIABLES = ("last_bridge_to", "bridge_uuid", "bridge_channel")

Kind = Literal["json", "xml"]
_CALL_ID = r"^[A-Za-z0-9._:@\-]{1,128}$"  # IvrCall's call_id
_DTMF = re.compile(r"[0-9*#]+")
_MENU_KEYS = 16  # as many keys as MENU_PATH takes
_TRANSCRIPT_CHARS = 20000  # IvrCall's limits
_NOTES_CHARS = 5000
_MAX_CALL_S = 24 * 3600


class FreeSwitchCdr(BaseModel):
    """One call leg's CDR. `caller` and `callee` are the original caller profile's
    `caller_id_number` and `destination_number`; `variables` are decoded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uuid: Annotated[str, Field(pattern=_CALL_ID)]
    caller: str | None = Field(default=None, repr=False)
    callee: str | None = Field(default=None, repr=False)
    started_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    hangup_cause: Annotated[str, Field(max_length=64)] | None = None
    billsec: Annotated[int, Field(ge=0)] | None = None
    # A leg FreeSWITCH originated (an agent's phone): the modules' own test for `log-b-leg`.
    is_b_leg: bool = False
    variables: dict[str, str] = Field(default_factory=dict, repr=False)


def parse_freeswitch_post(inbound: Inbound) -> FreeSwitchCdr:
    """The CDR of a mod_json_cdr or mod_xml_cdr post, in any of their encodings.

    `InvalidPayload` 400 (`malformed_json`, `malformed_xml`, `malformed_form`) for a body that does
    not decode; 422 for a CDR without a uuid or a start time, or with a `?uuid=` naming another leg;
    `UnsupportedMediaType` for a Content-Type neither module sends.
    """
    kind, payload = _payload(inbound)
    if kind == "xml":
        cdr = _from_xml(payload)
    else:
        cdr = _from_json(payload, _raw_form_field(inbound.body) if inbound.content_type == URLENCODED else None)
    query_uuid = inbound.query.get("uuid")
    if query_uuid and query_uuid not in (cdr.uuid, f"a_{cdr.uuid}"):
        raise InvalidPayload("?uuid= names another call leg than the CDR", fields={"uuid": "does not match the CDR"})
    return cdr


def _payload(inbound: Inbound) -> tuple[Kind, bytes]:
    content_type = inbound.content_type
    if content_type == JSON:
        return "json", inbound.body
    if content_type in XML_TYPES:
        return "xml", inbound.body
    if content_type == URLENCODED:
        value = parse_urlencoded(inbound.body).first("cdr")
        if value is None:
            raise _malformed_form("the form has no cdr field")
        return _sniff(value.encode("utf-8"))
    if content_type in (BASE64_FORM, PLAINTEXT_FORM):
        # No form encodings at all: FreeSWITCH writes "cdr=" and the payload as it is, where "+"
        # and "&" mean themselves; decoding them as a form would break base64 and raw XML.
        if not inbound.body.startswith(b"cdr="):
            raise _malformed_form("the body does not start with cdr=")
        return _sniff(inbound.body[len(b"cdr=") :])
    raise UnsupportedMediaType(f"Content-Type must be one of {', '.join(CONTENT_TYPES)}")


def _sniff(payload: bytes) -> tuple[Kind, bytes]:
    """JSON or XML by the first character; base64 of either when it is neither."""
    kind = _kind(payload)
    if kind is not None:
        return kind, payload
    try:
        # Base64 has no spaces: a urlencoded form whose sender left "+" unescaped decoded it to one.
        decoded = base64.b64decode(payload.strip().replace(b" ", b"+"), validate=True)
    except binascii.Error as exc:
        raise _malformed_form("cdr is neither JSON, XML nor base64") from exc
    kind = _kind(decoded)
    if kind is None:
        raise _malformed_form("cdr holds neither JSON nor XML")
    return kind, decoded


def _kind(payload: bytes) -> Kind | None:
    first = payload.lstrip()[:1]
    return "json" if first == b"{" else "xml" if first == b"<" else None


def _malformed_form(message: str) -> InvalidPayload:
    return InvalidPayload(message, code="malformed_form", status=400)


def _from_json(payload: bytes, raw_form_field: str | None = None) -> FreeSwitchCdr:
    try:
        document = _json_document(payload)
        legacy = False
    except InvalidPayload:
        legacy_document = _legacy_json_document(raw_form_field) if raw_form_field is not None else None
        if legacy_document is None:
            raise
        document, legacy = legacy_document, True
    raw = document.get("variables")
    items = raw.items() if isinstance(raw, dict) else ()
    variables = {_decoded(name): _decoded(value) for name, value in items if isinstance(value, str)}
    callflows = _dicts(document.get("callflow"))
    if legacy:  # its caller profiles kept the form's escapes too
        callflows = [{**flow, "caller_profile": _decoded_strings(_caller_profile(flow))} for flow in callflows]
    return _cdr(variables, callflows)


def _json_document(payload: bytes) -> dict[str, Any]:
    return decode_json_object(payload, what="the CDR", object_pairs_hook=_json_object)


def _raw_form_field(body: bytes) -> str | None:
    # The body already read as a UTF-8 form; FreeSWITCH sends cdr= and nothing else.
    for field in body.split(b"&"):
        if field.startswith(b"cdr="):
            return field[len(b"cdr=") :].decode("utf-8", errors="replace")
    return None


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_VALUE_ESCAPES = ("%22", "%7B", "%5B")  # a string, object or array as the form escapes them
_VALUE_CHARS = frozenset("-0123456789tfn")  # a number, true, false, null
_CLOSERS = ("%7D", "%5D")


def _legacy_json_document(field: str) -> dict[str, Any] | None:
    """The document of a mod_json_cdr form from before FreeSWITCH PR #3152 (2026-09), or None.

    Its encoder left every `%XX` of the JSON as it was, so with `encode-values` the values' escapes
    cannot be told from the form's, and decoding the form makes their `"` and `\\` JSON syntax.
    Outside strings every escape is the form's (JSON has no `%` there); inside one, an escaped quote
    ends the string only where cJSON's syntax follows it, and every other escape is kept for the
    values' (and caller profiles') own decoding to undo once.
    """
    out: list[str] = []
    in_string = False
    end = 0
    for escape in _ESCAPE.finditer(field):
        out.append(field[end : escape.start()].replace("+", " "))
        end = escape.end()
        char = chr(int(escape[0][1:], 16))
        if not in_string or (char == '"' and _syntax_follows(field, end)):
            out.append(char)
            in_string = char == '"' and not in_string
        else:
            out.append(escape[0])
    out.append(field[end:].replace("+", " "))
    try:
        return _json_document("".join(out).encode("utf-8", errors="replace"))
    except InvalidPayload:
        return None


def _syntax_follows(field: str, position: int) -> bool:
    """cJSON writes no spaces: after a string comes ':' or ',' and a value, or '}' or ']' and more
    of the same (or the end)."""
    escape = field[position : position + 3].upper()
    if field.startswith(",", position) or escape == "%3A":
        after = position + (1 if escape != "%3A" else 3)
        return field[after : after + 3].upper() in _VALUE_ESCAPES or field[after : after + 1] in _VALUE_CHARS
    if escape in _CLOSERS:
        rest = field[position + 3 : position + 6].upper()
        return rest in ("", *_CLOSERS) or rest.startswith(",")
    return False


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Before 1.6 each callflow was a "callflow" key of the same object; a dict keeps only the last.
    document = dict(pairs)
    callflows = [value for key, value in pairs if key == "callflow"]
    if len(callflows) > 1:
        document["callflow"] = callflows
    return document


def _from_xml(payload: bytes) -> FreeSwitchCdr:
    try:
        document = parse_xml_document(payload, force_list=("callflow",))
    except XmlBodyError as exc:
        raise InvalidPayload(f"the CDR is not accepted XML: {exc}", code="malformed_xml", status=400) from exc
    root = document.get("cdr")
    if not isinstance(root, dict):
        raise InvalidPayload("the root element must be <cdr>", code="malformed_xml", status=400)
    variables: dict[str, str] = {}
    raw = root.get("variables")
    for name, value in raw.items() if isinstance(raw, dict) else ():
        # An array variable is one element per item (DP_MATCH twice): its first item stands for it.
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, str):
            variables[name] = _decoded(first)
    return _cdr(variables, _dicts(root.get("callflow")))


def _decoded(value: str) -> str:
    return unquote(value, errors="replace")


def _decoded_strings(mapping: dict[str, Any]) -> dict[str, Any]:
    return {name: _decoded(value) if isinstance(value, str) else value for name, value in mapping.items()}


def _dicts(value: object) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _cdr(variables: dict[str, str], callflows: list[dict[str, Any]]) -> FreeSwitchCdr:
    ordered = _oldest_first(callflows)
    original = _caller_profile(ordered[0]) if ordered else {}
    newest = ordered[-1] if ordered else {}
    raw_times = newest.get("times")
    times: dict[str, Any] = raw_times if isinstance(raw_times, dict) else {}
    uuid = variables.get("uuid") or _text(_caller_profile(newest).get("uuid"))
    started_at = _moment(times, "created_time", variables, "start")
    if not uuid or started_at is None:
        fields: dict[str, str] = {}
        if not uuid:
            fields["uuid"] = "missing: neither variables.uuid nor a caller profile's uuid"
        if started_at is None:
            fields["started_at"] = "missing: neither a callflow's created_time nor variables.start_epoch"
        raise InvalidPayload("the CDR does not say which call it is or when it started", fields=fields)
    try:
        return FreeSwitchCdr(
            uuid=uuid,
            caller=_text(original.get("caller_id_number")),
            callee=_text(original.get("destination_number")),
            started_at=started_at,
            answered_at=_moment(times, "answered_time", variables, "answer"),
            ended_at=_moment(times, "hangup_time", variables, "end"),
            hangup_cause=variables.get("hangup_cause") or None,
            billsec=_whole(variables.get("billsec")),
            is_b_leg="originator" in _caller_profile(newest),
            variables=variables,
        )
    except ValidationError as exc:
        raise InvalidPayload("invalid CDR", fields=validation_fields(exc)) from exc


def _oldest_first(callflows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # JSON has "profile_index", XML the attribute; without them, FreeSWITCH's newest-first order.
    indexed = [
        (index, callflow)
        for callflow in callflows
        if (index := _whole(callflow.get("profile_index", callflow.get("@profile_index")))) is not None
    ]
    if len(indexed) == len(callflows):
        return [callflow for _, callflow in sorted(indexed, key=itemgetter(0))]
    return callflows[::-1]


def _caller_profile(callflow: dict[str, Any]) -> dict[str, Any]:
    profile = callflow.get("caller_profile")
    return profile if isinstance(profile, dict) else {}


def _moment(times: dict[str, Any], time_key: str, variables: dict[str, str], prefix: str) -> datetime | None:
    """A callflow time (microseconds), else the `{prefix}_uepoch`/`{prefix}_epoch` variable; 0 is never."""
    micros = _whole(times.get(time_key)) or _whole(variables.get(f"{prefix}_uepoch"))
    if not micros:
        micros = (_whole(variables.get(f"{prefix}_epoch")) or 0) * 1_000_000
    if not micros:
        return None
    try:
        return datetime.fromtimestamp(micros // 1_000_000, SHANGHAI).replace(microsecond=micros % 1_000_000)
    except (OverflowError, OSError, ValueError):
        return None


def _whole(value: object) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


# --- the call record ----------------------------------------------------------------------------


def freeswitch_to_ivr_call(cdr: FreeSwitchCdr) -> IvrCall:
    """The generic call record of a CDR; `InvalidPayload` (422) if it cannot make one."""
    variables = cdr.variables
    answered_at = cdr.answered_at if cdr.answered_at and cdr.answered_at >= cdr.started_at else None
    ended_at = cdr.ended_at if cdr.ended_at and cdr.ended_at >= cdr.started_at else None
    try:
        return IvrCall(
            call_id=cdr.uuid,
            caller=_number(cdr.caller),
            callee=_number(cdr.callee),
            started_at=cdr.started_at,
            answered_at=answered_at,
            ended_at=ended_at,
            menu_path=_menu_path(variables),
            disposition=_disposition(variables, answered=answered_at is not None),
            recording=_recording(variables),
            transcript=_clipped(variables.get(TRANSCRIPT_VARIABLE), _TRANSCRIPT_CHARS),
            agent_notes=_clipped(variables.get(AGENT_NOTES_VARIABLE), _NOTES_CHARS),
        )
    except ValidationError as exc:
        raise InvalidPayload("the CDR does not make a call record", fields=validation_fields(exc)) from exc


def _number(value: str | None) -> str | None:
    # SIP addresses can outgrow the record's 32 characters: then the number is unknown.
    return value if value and len(value) <= 32 else None


def _menu_path(variables: dict[str, str]) -> str | None:
    explicit = variables.get(MENU_PATH_VARIABLE, "").strip()
    if re.fullmatch(MENU_PATH, explicit):
        return explicit
    # Every key of the call, menus first; keys typed after them (a number, an ID) do not matter to
    # the menu, so the first 16 are kept. Filtered digits ("XXXX", digits_dialed_filter) are no keys.
    digits = variables.get("digits_dialed", "")
    return digits[:_MENU_KEYS] if _DTMF.fullmatch(digits) else None


def _disposition(variables: dict[str, str], *, answered: bool) -> Disposition:
    explicit = variables.get(DISPOSITION_VARIABLE, "").strip().lower()
    if _is_disposition(explicit):
        return explicit
    if not answered:
        return "abandoned"
    if variables.get("voicemail_message_len"):
        return "voicemail"
    bridged_at = _whole(variables.get("bridge_epoch")) or 0
    if bridged_at or variables.get("cc_agent_bridged") == "true" or any(map(variables.get, BRIDGE_VARIABLES)):
        return "agent"
    return "self_service"


def _is_disposition(value: str) -> TypeGuard[Disposition]:
    return value in get_args(Disposition)


def _recording(variables: dict[str, str]) -> IvrRecording | None:
    url = variables.get(RECORDING_URL_VARIABLE, "").strip()
    # record_session's own file is a path on the switch, not something the centre can fetch.
    if not url.lower().startswith(("http://", "https://")):
        return None
    duration = _seconds(variables.get(RECORDING_DURATION_VARIABLE))
    if duration is None:
        duration = _seconds(variables.get("record_seconds"))
    try:
        return IvrRecording.model_validate({"url": url, "duration_s": duration})
    except ValidationError:
        return None


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= _MAX_CALL_S else None


def _clipped(value: str | None, limit: int) -> str | None:
    # A CDR cannot be sent again shorter: the end of an over-long text is dropped, not the call.
    return (value or "").strip()[:limit].strip() or None

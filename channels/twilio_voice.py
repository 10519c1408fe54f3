"""Twilio voice callbacks (`POST /channels/ivr/twilio`): the signature, the parameters, and the
generic call record each callback becomes. Pure and free of I/O; the channel class does the rest.

第十六条 asks the hotline for 7×24 人工接听和自助语音服务. A centre whose phone line runs on Twilio
(or an IVR speaking its webhooks) reports each call in pieces, all keyed by the call's `CallSid`:

- status callbacks (`CallStatus`, with `Timestamp` and `CallDuration` once the call ended);
- `<Gather>` actions (`Digits` pressed, or `SpeechResult` said) and `<Dial>` actions
  (`DialCallStatus`, `DialCallSid`, `DialCallDuration`, `DialBridged`: did an agent take the call);
- recordings: `<Record>` actions and recording status callbacks (`RecordingUrl`, `RecordingStatus`);
- transcriptions of a `<Record transcribe="true">` (`TranscriptionText`, `TranscriptionStatus`).

Every piece becomes an `IvrCall` for the same `call_id`; the IVR flow merges them into one ticket.

The signature follows Twilio's documented algorithm and what its own `RequestValidator` does where
the documentation is silent (repeated parameters, ports): `twilio_signature`.

Personal data (第七条): numbers, keys pressed and what the caller said stay out of the model's repr,
and no error message repeats a value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from channels.base import Inbound, InvalidPayload, UnsupportedMediaType
from channels.form_body import URLENCODED, decode_form
from channels.ivr_model import MENU_PATH, Disposition, IvrCall, IvrRecording
from channels.json_body import validation_fields
from domain.ticket_event import ChannelUrl
from normalizers.time import to_shanghai

SIGNATURE_HEADER = "X-Twilio-Signature"

CallStatus = Literal[
    "queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"
]
DialCallStatus = Literal["completed", "answered", "busy", "no-answer", "failed", "canceled"]
RecordingStatus = Literal["in-progress", "completed", "absent", "failed"]
TranscriptionStatus = Literal["in-progress", "completed", "failed"]
CallbackKind = Literal["status", "recording", "transcription", "gather"]

# The call is over; all but `completed` mean nobody answered it.
CALL_ENDED: frozenset[str] = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
UNANSWERED: frozenset[str] = frozenset({"busy", "failed", "no-answer", "canceled"})
# A <Dial> whose party answered: `answered` is what a dialled conference reports.
DIAL_CONNECTED: frozenset[str] = frozenset({"completed", "answered"})
# Recordings of a caller talking to nobody: a <Record>. Others record a whole call or a <Dial>.
VOICEMAIL_SOURCES: frozenset[str | None] = frozenset({None, "RecordVerb"})
MAX_CALL_S = 24 * 3600


def _sid(prefix: str) -> str:
    # Twilio SIDs: two letters naming the resource, then 32 hex digits.
    return rf"^{prefix}[0-9a-fA-F]{{32}}$"


def _rfc2822(value: object) -> object:
    """Twilio's times ("Tue, 06 Sep 2022 19:51:41 +0000") as aware datetimes in +08:00."""
    if not isinstance(value, str):
        return value
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError("must be an RFC 2822 date") from exc
    if moment.tzinfo is None:  # "-0000": UTC, with nothing said about the sender's zone (RFC 5322)
        moment = moment.replace(tzinfo=UTC)
    return to_shanghai(moment)


Rfc2822 = BeforeValidator(_rfc2822)


class TwilioCallback(BaseModel):
    """The parameters of one Twilio voice callback that the hotline uses, by Twilio's names."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    call_sid: str = Field(alias="CallSid", pattern=_sid("CA"))
    account_sid: str | None = Field(None, alias="AccountSid", pattern=_sid("AC"))
    parent_call_sid: str | None = Field(None, alias="ParentCallSid", pattern=_sid("CA"))
    # E.164 numbers, but also "anonymous", "client:…" and "sip:…" addresses
    from_: str | None = Field(None, alias="From", max_length=256, repr=False)
    to: str | None = Field(None, alias="To", max_length=256, repr=False)
    call_status: CallStatus | None = Field(None, alias="CallStatus")
    direction: str | None = Field(None, alias="Direction", pattern=r"^[a-z-]{1,32}$")
    # status callbacks
    timestamp: Annotated[AwareDatetime | None, Rfc2822] = Field(None, alias="Timestamp")
    call_duration_s: int | None = Field(None, alias="CallDuration", ge=0, le=MAX_CALL_S)
    callback_source: str | None = Field(None, alias="CallbackSource", max_length=64)
    sequence_number: int | None = Field(None, alias="SequenceNumber", ge=0)
    # <Gather> actions; a <Record> action's Digits is the key that ended it, or "hangup"
    digits: str | None = Field(None, alias="Digits", max_length=128, repr=False)
    finished_on_key: str | None = Field(None, alias="FinishedOnKey", max_length=1)
    speech_result: str | None = Field(None, alias="SpeechResult", max_length=20000, repr=False)
    confidence: float | None = Field(None, alias="Confidence", ge=0, le=1, allow_inf_nan=False)
    # <Dial> actions
    dial_call_status: DialCallStatus | None = Field(None, alias="DialCallStatus")
    dial_call_sid: str | None = Field(None, alias="DialCallSid", pattern=_sid("CA"))
    dial_call_duration_s: int | None = Field(None, alias="DialCallDuration", ge=0, le=MAX_CALL_S)
    dial_bridged: bool | None = Field(None, alias="DialBridged")
    # recordings (<Record> actions, recording status callbacks)
    recording_sid: str | None = Field(None, alias="RecordingSid", pattern=_sid("RE"))
    recording_url: ChannelUrl | None = Field(None, alias="RecordingUrl")
    # -1 while the recording is still in progress
    recording_duration_s: int | None = Field(None, alias="RecordingDuration", ge=-1, le=MAX_CALL_S)
    recording_status: RecordingStatus | None = Field(None, alias="RecordingStatus")
    recording_source: str | None = Field(None, alias="RecordingSource", max_length=64)
    recording_started_at: Annotated[AwareDatetime | None, Rfc2822] = Field(None, alias="RecordingStartTime")
    # transcriptions (transcribeCallback of <Record>)
    transcription_sid: str | None = Field(None, alias="TranscriptionSid", pattern=_sid("TR"))
    transcription_text: str | None = Field(None, alias="TranscriptionText", max_length=20000, repr=False)
    transcription_status: TranscriptionStatus | None = Field(None, alias="TranscriptionStatus")


PARAMETERS: frozenset[str] = frozenset(
    field.alias for field in TwilioCallback.model_fields.values() if field.alias is not None
)


# --- the signature ------------------------------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """Base64 HMAC-SHA1, keyed by the auth token, of the URL followed by every POST parameter's name
    and value, sorted by name (code point order, which is Twilio's case-sensitive sort). A repeated
    parameter contributes each distinct value once, values sorted, as Twilio's SDKs do.

    `params` must hold every parameter of the body, repeated ones as lists (`FormBody.fields`); a
    multidict read as a plain mapping would drop all but the first value of each name.
    """
    signed = [url]
    for name in sorted(params):
        value = params[name]
        for one in sorted({value} if isinstance(value, str) else set(value)):
            signed.append(name + one)
    digest = hmac.new(auth_token.encode("utf-8"), "".join(signed).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str | Sequence[str]], signature: str
) -> bool:
    """Whether `signature` (the X-Twilio-Signature header) signs this form POST to `url`, the full
    URL Twilio requested (scheme, host, path and raw query string, as configured at Twilio).

    Like Twilio's validator, the URL is tried without any port and with one (its own, else the
    scheme's default: 443 for https, 80 otherwise), since Twilio has signed both ways over the years.
    """
    if not auth_token or not signature:
        return False
    try:
        forms = _url_forms(url)
    except ValueError:  # a port that is not a number in 0–65535
        return False
    given = signature.encode("utf-8", "replace")
    # Every form is compared: the time taken does not tell which one matched.
    matches = [hmac.compare_digest(twilio_signature(auth_token, form, params).encode("ascii"), given) for form in forms]
    return any(matches)


def _url_forms(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    port = parts.port
    userinfo, at, host = parts.netloc.rpartition("@")
    if port is not None:
        host = host[: host.rfind(":")]  # rfind: an IPv6 host has colons of its own
    explicit = port if port is not None else (443 if parts.scheme == "https" else 80)
    without_port = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}"))
    with_port = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}:{explicit}"))
    return without_port, with_port


# --- parsing ------------------------------------------------------------------------------------


def parse_twilio_form(inbound: Inbound) -> TwilioCallback:
    """The callback's parameters; 415 unless form-encoded, 400 `malformed_form` for an undecodable
    body, 422 with `fields` (by Twilio's parameter names) for a missing or invalid parameter.

    An empty value counts as absent (Twilio sends `Digits=` or `FinishedOnKey=` when nothing was
    pressed); parameters the hotline does not use are ignored.
    """
    if inbound.content_type != URLENCODED:
        raise UnsupportedMediaType(f"Content-Type must be {URLENCODED}")
    fields = decode_form(inbound).fields
    repeated = {name: "must be given once" for name in PARAMETERS if len(fields.get(name, ())) > 1}
    if repeated:
        raise InvalidPayload("invalid fields", fields=repeated)
    values = {name: fields[name][0] for name in PARAMETERS if name in fields and fields[name][0] != ""}
    try:
        return TwilioCallback.model_validate(values)
    except ValidationError as exc:
        raise InvalidPayload("invalid fields", fields=validation_fields(exc)) from exc


def callback_kind(callback: TwilioCallback) -> CallbackKind:
    """Which of Twilio's callbacks this is. A `<Record>` action counts as a recording (its Digits is
    the key that ended the recording); a `<Dial>` action as a status, or as a recording when the
    dialled call was recorded; the first request of a call (CallStatus ringing) as a status."""
    if (
        callback.transcription_sid is not None
        or callback.transcription_status is not None
        or callback.transcription_text is not None
    ):
        return "transcription"
    # A status callback carries a RecordingUrl only for calls recorded by the REST API, with its time.
    if callback.recording_status is not None or (callback.recording_url is not None and callback.timestamp is None):
        return "recording"
    if callback.digits is not None or callback.speech_result is not None:
        return "gather"
    return "status"


# --- the call record ----------------------------------------------------------------------------


def twilio_to_ivr_call(callback: TwilioCallback, received_at: datetime) -> IvrCall:
    """The generic call record (`IvrCall`) of what this one callback tells about its call.

    Times come from the callback whenever it has one, so that a retried callback maps to the same
    record (the IVR flow recognises a piece it has seen by its record): the call started at
    `Timestamp` − `CallDuration` (the `Timestamp` of a call still going, `RecordingStartTime` for
    a recording), and only a callback with no time at all starts it when it arrived. It ended at
    the `Timestamp` of the status callback that says so, and was answered at the one of the
    `in-progress` (answered) event; unknown otherwise.
    """
    kind = callback_kind(callback)
    started_at = _started_at(callback, to_shanghai(received_at))
    ended = callback.call_status in CALL_ENDED
    return IvrCall(
        call_id=callback.call_sid,
        caller=_number(callback.from_),
        callee=_number(callback.to),
        started_at=started_at,
        answered_at=callback.timestamp if kind == "status" and callback.call_status == "in-progress" else None,
        ended_at=callback.timestamp if ended else None,
        menu_path=_menu_path(callback.digits) if kind == "gather" else None,
        disposition=_disposition(callback, kind),
        recording=_recording(callback),
        transcript=callback.transcription_text if callback.transcription_status == "completed" else None,
    )


def _started_at(callback: TwilioCallback, received_at: datetime) -> datetime:
    if callback.timestamp is not None:
        return callback.timestamp - timedelta(seconds=callback.call_duration_s or 0)
    return callback.recording_started_at or received_at


def _disposition(callback: TwilioCallback, kind: CallbackKind) -> Disposition:
    if callback.call_status in UNANSWERED:
        return "abandoned"
    if callback.dial_call_status is not None and callback.dial_call_status not in DIAL_CONNECTED:
        return "abandoned"  # the caller asked for a person and the <Dial> reached nobody
    if _reached_agent(callback):
        return "agent"
    if (
        kind in ("recording", "transcription")
        and callback.dial_call_status is None
        and callback.recording_source in VOICEMAIL_SOURCES
    ):
        # A <Record> message; one Twilio found empty (`absent`) stays a voicemail without a recording.
        return "voicemail"
    return "self_service"


def _reached_agent(callback: TwilioCallback) -> bool:
    if callback.dial_bridged is not None:
        return callback.dial_bridged
    if callback.dial_call_status is not None:
        return callback.dial_call_status in DIAL_CONNECTED
    return callback.recording_source == "DialVerb"


def _recording(callback: TwilioCallback) -> IvrRecording | None:
    # Before `completed` the file is not there yet; `absent` and `failed` mean it never will be.
    if callback.recording_url is None or callback.recording_status not in (None, "completed"):
        return None
    duration = callback.recording_duration_s
    known = duration is not None and duration >= 0
    return IvrRecording(url=callback.recording_url, duration_s=duration if known else None)


def _menu_path(digits: str | None) -> str | None:
    """Keys pressed at a menu; None for anything else (a long number typed, no keys) — never refused."""
    if digits is None or re.fullmatch(MENU_PATH, digits) is None:
        return None
    return digits


def _number(address: str | None) -> str | None:
    # SIP and client addresses can outgrow the record's 32 characters: then the caller is unknown.
    if address is None or len(address) > 32:
        return None
    return address

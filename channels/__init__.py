"""Channels: one module per channel (authenticity, native payload, reply). The registry of every
channel is `channels.registry.REGISTRY`."""

from channels.base import (
    Channel,
    ChannelConfigError,
    ChannelError,
    ChannelServices,
    Forbidden,
    Inbound,
    InvalidPayload,
    NonceStore,
    TokenSigner,
    Unauthenticated,
    UnsupportedMediaType,
)

__all__ = [
    "Channel",
    "ChannelConfigError",
    "ChannelError",
    "ChannelServices",
    "Forbidden",
    "Inbound",
    "InvalidPayload",
    "NonceStore",
    "TokenSigner",
    "Unauthenticated",
    "UnsupportedMediaType",
]

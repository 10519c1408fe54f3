"""Every channel the gateway knows, in one explicit registry (no import-time discovery).

Kept out of `channels/__init__.py`: normalizers import the channels' payload models, and a package
`__init__` that imported every channel would make those imports circular.
"""

from channels.app import AppChannel
from channels.base import Channel
from channels.hotline12345 import Hotline12345Channel
from channels.ivr import IvrChannel
from channels.webform import WebFormChannel
from channels.wechat import WeChatChannel

REGISTRY: dict[str, type[Channel[object]]] = {
    AppChannel.name: AppChannel,  # type: ignore[dict-item]
    Hotline12345Channel.name: Hotline12345Channel,  # type: ignore[dict-item]
    IvrChannel.name: IvrChannel,  # type: ignore[dict-item]
    WebFormChannel.name: WebFormChannel,  # type: ignore[dict-item]
    WeChatChannel.name: WeChatChannel,  # type: ignore[dict-item]
}

__all__ = ["REGISTRY"]

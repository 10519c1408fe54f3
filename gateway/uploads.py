"""Upload storage (placeholder: being built)."""

from pathlib import Path

from gateway.signing import Signer


class UploadStore:
    def __init__(self, root: Path, signer: Signer, base_url: str, ttl_s: int) -> None:
        self.root = root

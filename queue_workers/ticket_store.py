"""Local ticket store (placeholder: being built)."""

from pathlib import Path


class TicketStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def close(self) -> None:
        pass

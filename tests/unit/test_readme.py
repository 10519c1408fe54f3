"""The README is part of the product: its two commands and its configuration table stay true."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    commands = [line for line in first_block.splitlines()[1:] if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("hotline-gateway up")
    assert "pytest" in commands[1]


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(HOTLINE_[A-Z0-9_]+)`", README))
    expected = {f"HOTLINE_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set(), "document these in the README's configuration table"

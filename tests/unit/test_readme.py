"""The README is part of the product: its two commands and its configuration table stay true."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

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
    expected = {_variable(name, field) for name, field in Settings.model_fields.items()}
    assert expected - documented == set(), "document these in the README's configuration table"


def _variable(name: str, field: FieldInfo) -> str:
    """The environment variable of a setting: its alias where the name alone would not do
    (`HOTLINE_12345_TOKEN`), else HOTLINE_ and the name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"HOTLINE_{name.upper()}"

"""Decoding and validating JSON bodies the same way for every JSON channel."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from channels.base import Inbound, InvalidPayload, UnsupportedMediaType

ModelT = TypeVar("ModelT", bound=BaseModel)


def decode_json_model(inbound: Inbound, model: type[ModelT]) -> ModelT:
    if inbound.content_type != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    payload = decode_json_object(inbound.body)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("invalid fields", fields=validation_fields(exc)) from exc


def decode_json_object(
    data: bytes, *, what: str = "body", object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes; 400 `malformed_json` for anything else (deep nesting too)."""
    try:
        payload = json.loads(data.decode("utf-8"), object_pairs_hook=object_pairs_hook)
    except UnicodeDecodeError as exc:
        raise InvalidPayload(f"{what} is not valid UTF-8", code="malformed_json", status=400) from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidPayload(f"{what} is not valid JSON: {exc}", code="malformed_json", status=400) from exc
    if not isinstance(payload, dict):
        raise InvalidPayload(f"{what} must be a JSON object", code="malformed_json", status=400)
    return payload


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """`{"contact.phone": "String should match pattern …"}`: one message per failing field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(where, error["msg"])
    return fields

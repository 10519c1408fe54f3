"""Decoding and validating JSON bodies the same way for every JSON channel."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from channels.base import Inbound, InvalidPayload, UnsupportedMediaType

ModelT = TypeVar("ModelT", bound=BaseModel)


def decode_json_model(inbound: Inbound, model: type[ModelT]) -> ModelT:
    if inbound.content_type != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    try:
        payload = json.loads(inbound.body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidPayload("body is not valid UTF-8", code="malformed_json", status=400) from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}", code="malformed_json", status=400) from exc
    if not isinstance(payload, dict):
        raise InvalidPayload("body must be a JSON object", code="malformed_json", status=400)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("invalid fields", fields=validation_fields(exc)) from exc


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """`{"contact.phone": "String should match pattern …"}`: one message per failing field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(where, error["msg"])
    return fields

"""Reading XML bodies the same way for every XML channel (WeChat pushes, FreeSWITCH CDRs).

The document is read with xmltodict on a parser that refuses any DOCTYPE and entity declaration
before expat reads a DTD: no billion laughs, no external entities, no DTD fetched. None of the
senders we accept needs one, so a body that has one is forged or broken.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from xml.parsers import expat

import xmltodict


class XmlBodyError(ValueError):
    """The body is not UTF-8, is empty, is not well-formed XML, or declares a DOCTYPE/entity."""


def parse_xml_document(xml: str | bytes, *, force_list: Collection[str] = ()) -> dict[str, Any]:
    """The whole document as xmltodict gives it, `{root element: content}`.

    Bytes must be UTF-8. `force_list` names the elements that become a list even when they occur
    once (a document may repeat them).
    """
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise XmlBodyError("body is not UTF-8") from exc
    if not xml.strip():
        raise XmlBodyError("body is empty")
    try:
        document = xmltodict.parse(
            xml, expat=_NoDoctypeExpat, disable_entities=True, force_list=tuple(force_list) or None
        )
    except expat.ExpatError as exc:
        raise XmlBodyError(f"not well-formed XML ({expat.ErrorString(exc.code)})") from exc
    except ValueError as exc:  # xmltodict's "entities are disabled" and ours for a DOCTYPE
        raise XmlBodyError(f"refused XML: {exc}") from exc
    if not isinstance(document, dict):
        raise XmlBodyError("not an XML document")
    return document


class _NoDoctypeExpat:
    """Stands in for the `expat` module xmltodict uses (its documented hook for hardened parsers):
    the parsers it hands out stop at the first DOCTYPE, so no DTD is ever read."""

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:  # the expat module's own name
        parser = expat.ParserCreate(*args, **kwargs)
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_doctype
        return parser


def _refuse_doctype(*_args: object) -> None:
    raise ValueError("DOCTYPE and entity declarations are not accepted")

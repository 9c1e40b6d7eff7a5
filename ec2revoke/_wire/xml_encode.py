"""Result dataclasses -> EC2-style XML response bodies, and EC2 error bodies.

The testing kit serves these to code under test, so they follow EC2's layout:
``<XResponse xmlns=...>`` with ``requestId`` first, lists as a wrapper element with
one child per entry (``<item>`` in EC2), an empty list as a self-closing wrapper.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from ec2revoke._errors import ParamValidationError
from ec2revoke._wire import scalars
from ec2revoke._wire.compiler import Invalid, ShapeCompiler, describe
from ec2revoke._wire.schema import (
    BLOB,
    BOOLEAN,
    DOUBLE,
    FLOAT,
    STRING,
    TIMESTAMP,
    ListShape,
    MapShape,
    Scalar,
    Service,
    Structure,
)

# Writes one element named by the second argument.
Writer = Callable[[Any, str, list[str]], None]

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def escape(text: str) -> str:
    """Element text with markup characters escaped; refuses what XML cannot hold."""
    bad = _NOT_XML.search(text)
    if bad:
        raise Invalid(f"character {bad.group()!r} cannot be written in XML")
    return text.translate(_ESCAPES)


class XmlEncoder(ShapeCompiler[Writer]):
    """Compiles result shapes into functions that write XML elements."""

    def __init__(self, service: Service) -> None:
        super().__init__(service)
        self._operation_of = {
            op.output: op.name for op in service.operations.values() if op.output is not None
        }
        self._members: dict[str, Writer] = {}

    def to_xml(self, result: Any, *, request_id: str, operation: str | None = None) -> bytes:
        """A whole response body for a result dataclass."""
        shape, _ = self.service.structure_of(type(result))
        if operation is None:
            try:
                operation = self._operation_of[shape]
            except KeyError:
                raise TypeError(f"{shape} is not the result shape of any operation") from None
        out = [
            _DECLARATION,
            f'<{operation}Response xmlns="{self.service.xml_namespace}">',
            f"<requestId>{escape(request_id)}</requestId>",
        ]
        try:
            self._body(shape)(result, "", out)
        except Invalid as e:
            raise ParamValidationError(f"{shape}.{e.where()}: {e.problem}") from None
        out.append(f"</{operation}Response>")
        return "".join(out).encode("utf-8")

    def _body(self, shape: str) -> Writer:
        """Writes a structure's members without its own element."""
        self.get(shape)
        return self._members[shape]

    def structure(self, name: str, spec: Structure) -> Writer:
        cls = spec.cls
        members: list[tuple[str, str, Writer]] = []

        def write_members(value: Any, _: str, out: list[str]) -> None:
            if type(value) is not cls:
                raise Invalid(f"expected {cls.__name__}, got {describe(value)}")
            for field, xml, write in members:
                v = getattr(value, field)
                if v is not None:
                    try:
                        write(v, xml, out)
                    except Invalid as e:
                        e.path.append(field)
                        raise

        def write(value: Any, tag: str, out: list[str]) -> None:
            out.append(f"<{tag}>")
            write_members(value, tag, out)
            out.append(f"</{tag}>")

        self.remember(name, write)
        self._members[name] = write_members
        for m in spec.members:
            target = self.service.shapes[m.shape]
            writer = self.member(m)
            if isinstance(target, ListShape) and (m.flattened or target.flattened):
                writer = self._flattened_list(self.get(target.member))
            elif isinstance(target, MapShape) and (m.flattened or target.flattened):
                writer = self._entries(target, flattened=True)
            members.append((m.field, m.xml, writer))
        return write

    def list(self, spec: ListShape) -> Writer:
        item, item_tag = self.get(spec.member), spec.member_xml

        def write(value: Any, tag: str, out: list[str]) -> None:
            if not value:
                out.append(f"<{tag}/>")
                return
            out.append(f"<{tag}>")
            for i, v in enumerate(value):
                try:
                    item(v, item_tag, out)
                except Invalid as e:
                    e.path.append(f"[{i}]")
                    raise
            out.append(f"</{tag}>")

        return write

    def _flattened_list(self, item: Writer) -> Writer:
        def write(value: Any, tag: str, out: list[str]) -> None:
            for v in value:
                item(v, tag, out)

        return write

    def map(self, spec: MapShape) -> Writer:
        return self._entries(spec, flattened=False)

    def _entries(self, spec: MapShape, *, flattened: bool) -> Writer:
        key, value_writer = self.get(spec.key), self.get(spec.value)

        def write(value: Any, tag: str, out: list[str]) -> None:
            if not flattened:
                out.append(f"<{tag}>")
            entry = tag if flattened else "entry"
            for k, v in value.items():
                out.append(f"<{entry}>")
                key(k, spec.key_xml, out)
                value_writer(v, spec.value_xml, out)
                out.append(f"</{entry}>")
            if not flattened:
                out.append(f"</{tag}>")

        return write

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> Writer:
        text = _text_of(spec.kind, timestamp_format or "iso8601")

        def write(value: Any, tag: str, out: list[str]) -> None:
            out.append(f"<{tag}>{escape(text(value))}</{tag}>")

        return write


def _text_of(kind: str, fmt: str) -> Callable[[Any], str]:
    def check(ok: bool, value: Any, expected: str) -> None:
        if not ok:
            raise Invalid(f"expected {expected}, got {describe(value)}")

    if kind == STRING:

        def text(v: Any) -> str:
            check(isinstance(v, str), v, "str")
            return str(v)
    elif kind == BOOLEAN:

        def text(v: Any) -> str:
            check(isinstance(v, bool), v, "bool")
            return scalars.format_bool(v)
    elif kind in (FLOAT, DOUBLE):

        def text(v: Any) -> str:
            check(isinstance(v, (int, float)) and not isinstance(v, bool), v, "float")
            return scalars.format_float(float(v)) if isinstance(v, float) else str(v)
    elif kind == TIMESTAMP:

        def text(v: Any) -> str:
            check(isinstance(v, datetime.datetime), v, "datetime.datetime")
            return scalars.format_timestamp(v, fmt)
    elif kind == BLOB:

        def text(v: Any) -> str:
            check(isinstance(v, (bytes, bytearray)), v, "bytes")
            return scalars.format_blob(bytes(v))
    else:

        def text(v: Any) -> str:
            check(type(v) is int, v, "int")
            return str(v)

    return text


def error_xml(code: str, message: str, *, request_id: str) -> bytes:
    """An EC2 error body: Response/Errors/Error with Code and Message, then RequestID."""
    try:
        parts = (escape(code), escape(message), escape(request_id))
    except Invalid as e:
        raise ParamValidationError(f"error body: {e.problem}") from None
    return (
        f"{_DECLARATION}<Response><Errors><Error><Code>{parts[0]}</Code>"
        f"<Message>{parts[1]}</Message></Error></Errors>"
        f"<RequestID>{parts[2]}</RequestID></Response>"
    ).encode()

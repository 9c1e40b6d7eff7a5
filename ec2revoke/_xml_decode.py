"""EC2 XML responses -> result dataclasses, or a typed error.

Parsing goes through defusedxml: its DefusedXMLParser creates the expat parser and
installs its guards (no DTD, no entity declarations, no external references). We
then replace only the element callbacks, so the body is decoded straight into
dataclasses in one pass instead of through an element tree (botocore's way), which
is what makes this parser several times faster.

Tags are matched by local name, so every EC2 namespace version parses; elements the
model does not know are skipped; list entries are the wrapper's child elements.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Callable
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, fromstring, tostring

from ec2revoke import _scalars
from ec2revoke._compile import ShapeCompiler
from ec2revoke._errors import ResponseError, ServiceError, excerpt, service_error
from ec2revoke._schema import (
    BLOB,
    BOOLEAN,
    DOUBLE,
    FLOAT,
    INTEGER,
    LONG,
    STRING,
    TIMESTAMP,
    ListShape,
    MapShape,
    Scalar,
    Service,
    Structure,
)

# Frame kinds. A frame is [kind, reader, accumulator, field, delivery].
_SCALAR, _STRUCT, _LIST, _MAP, _ENTRY, _SKIP = range(6)
# How a finished value reaches its parent structure.
_SET, _APPEND, _PUT = range(3)
_REQUEST_ID = "\0requestId"  # never a Python field name
# EC2 bodies nest about ten elements deep; only unknown elements can nest without
# bound, so past this depth a body is hostile or broken, not a newer API version.
_MAX_DEPTH = 1000


class _Reader:
    __slots__ = ()
    kind = _SKIP


class _ScalarReader(_Reader):
    __slots__ = ("convert", "optional_when_empty", "what")
    kind = _SCALAR

    def __init__(self, convert: Callable[[str], Any], what: str, optional_when_empty: bool) -> None:
        self.convert = convert
        self.what = what
        # An empty <toPort/> is read as absent rather than as an error for numbers,
        # booleans and timestamps; strings keep "" and blobs b"" as botocore does.
        self.optional_when_empty = optional_when_empty


class _StructReader(_Reader):
    __slots__ = ("children", "cls")
    kind = _STRUCT

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.children: dict[str, tuple[str, _Reader, int]] = {}


class _ListReader(_Reader):
    __slots__ = ("item",)
    kind = _LIST

    def __init__(self, item: _Reader) -> None:
        self.item = item


class _MapReader(_Reader):
    __slots__ = ("entry",)
    kind = _MAP

    def __init__(self, entry: _EntryReader) -> None:
        self.entry = entry


class _EntryReader(_Reader):
    __slots__ = ("key_xml", "parts")
    kind = _ENTRY

    def __init__(self, key_xml: str, value_xml: str, key: _Reader, value: _Reader) -> None:
        self.key_xml = key_xml
        self.parts = {key_xml: ("k", key), value_xml: ("v", value)}


_CONVERTERS: dict[str, tuple[Callable[[str], Any], str]] = {
    STRING: (str, "text"),
    INTEGER: (int, "an integer"),
    LONG: (int, "an integer"),
    BOOLEAN: (_scalars.parse_bool, "true or false"),
    FLOAT: (_scalars.parse_float, "a number"),
    DOUBLE: (_scalars.parse_float, "a number"),
    TIMESTAMP: (_scalars.parse_timestamp, "a timestamp"),
    BLOB: (_scalars.parse_blob, "base64 data"),
}


class _ReaderCompiler(ShapeCompiler[_Reader]):
    def structure(self, name: str, spec: Structure) -> _Reader:
        reader = _StructReader(spec.cls)
        self.remember(name, reader)
        for m in spec.members:
            child = self.member(m)
            target = self.service.shapes[m.shape]
            if isinstance(target, ListShape) and (m.flattened or target.flattened):
                # Each repeated element is one entry of the list.
                reader.children[m.xml] = (m.field, self.get(target.member), _APPEND)
            elif isinstance(target, MapShape) and (m.flattened or target.flattened):
                assert isinstance(child, _MapReader)
                reader.children[m.xml] = (m.field, child.entry, _PUT)
            else:
                reader.children[m.xml] = (m.field, child, _SET)
        return reader

    def list(self, spec: ListShape) -> _Reader:
        return _ListReader(self.get(spec.member))

    def map(self, spec: MapShape) -> _Reader:
        entry = _EntryReader(spec.key_xml, spec.value_xml, self.get(spec.key), self.get(spec.value))
        return _MapReader(entry)

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> _Reader:
        convert, what = _CONVERTERS[spec.kind]
        return _ScalarReader(convert, what, spec.kind not in (STRING, BLOB))

    def root(self, shape: str | None) -> _StructReader:
        """The reader of a response's root element: the result plus its requestId."""
        if shape is None:
            base = _StructReader(_NoResult)
        else:
            found = self.get(shape)
            assert isinstance(found, _StructReader)
            base = found
        root = _StructReader(base.cls)
        root.children = dict(base.children)
        root.children.setdefault(
            "requestId", (_REQUEST_ID, self.scalar(Scalar(STRING), None), _SET)
        )
        return root


class _NoResult:
    """Stands in for the result class of an operation that returns nothing."""

    def __init__(self, **_: Any) -> None:
        pass


def _decode(body: bytes, root: _StructReader, expect: str | None) -> tuple[Any, dict[str, Any]]:
    """One streaming pass over ``body``; returns the root's instance and its raw fields.

    ``expect`` is the root element's local name, or None to accept any.
    """
    stack: list[list[Any]] = []
    names: dict[str, str] = {}
    done: list[Any] = []

    def start(name: str, attrs: Any) -> None:
        local = names.get(name)
        if local is None:
            local = names[name] = name.rpartition("}")[2]
        if not stack:
            if expect is not None and local != expect:
                raise _WrongRoot(local)
            stack.append([_STRUCT, root, {}, None, _SET])
            return
        top = stack[-1]
        kind = top[0]
        if kind is _STRUCT:
            child = top[1].children.get(local)
            if child is None:
                stack.append([_SKIP])
                return
            field, reader, delivery = child
        elif kind is _LIST:
            reader, field, delivery = top[1].item, None, _SET
        elif kind is _MAP:
            reader, field, delivery = top[1].entry, None, _SET
        elif kind is _ENTRY:
            part = top[1].parts.get(local)
            if part is None:
                stack.append([_SKIP])
                return
            field, reader = part
            delivery = _SET
        else:
            if len(stack) > _MAX_DEPTH:
                raise _TooDeep(local)
            stack.append([_SKIP])
            return
        rk = reader.kind
        acc: Any = {} if rk is _STRUCT or rk is _ENTRY else []
        stack.append([rk, reader, acc, field, delivery])

    def data(text: str) -> None:
        top = stack[-1]
        if top[0] is _SCALAR:
            top[2].append(text)

    def end(name: str) -> None:
        frame = stack.pop()
        kind = frame[0]
        if kind is _SKIP:
            return
        reader = frame[1]
        acc = frame[2]
        if kind is _SCALAR:
            text = "".join(acc)
            if not text and reader.optional_when_empty:
                return
            try:
                value = reader.convert(text)
            except ValueError:
                raise _BadValue(names.get(name, name), text, reader.what) from None
        elif kind is _STRUCT:
            if not stack:
                done.append(acc)
                return
            value = _build(reader.cls, acc)
        elif kind is _LIST:
            value = tuple(acc)
        elif kind is _MAP:
            value = dict(acc)
        else:  # _ENTRY
            if "k" not in acc or "v" not in acc:
                return
            value = (acc["k"], acc["v"])
        parent = stack[-1]
        pk = parent[0]
        if pk is _STRUCT:
            delivery = frame[4]
            if delivery is _SET:
                parent[2][frame[3]] = value
            elif delivery is _APPEND:
                parent[2].setdefault(frame[3], []).append(value)
            else:
                parent[2].setdefault(frame[3], {})[value[0]] = value[1]
        elif pk is _LIST or pk is _MAP:
            parent[2].append(value)
        else:  # _ENTRY
            parent[2][frame[3]] = value

    parser = DefusedXMLParser(forbid_dtd=True).parser
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.Parse(body, True)
    if not done:
        raise xml.parsers.expat.ExpatError("no document element")
    fields: dict[str, Any] = done[0]
    request_id = fields.pop(_REQUEST_ID, None)
    return _build(root.cls, fields), {"request_id": request_id}


def _build(cls: type[Any], values: dict[str, Any]) -> Any:
    try:
        return cls(**values)
    except TypeError as e:
        raise _BadValue(cls.__name__, "", f"complete ({e})") from None


class _WrongRoot(Exception):
    def __init__(self, local: str) -> None:
        self.local = local


class _BadValue(Exception):
    def __init__(self, element: str, text: str, what: str) -> None:
        super().__init__(f"<{element}> should be {what}, got {text[:60]!r}")


class _TooDeep(Exception):
    def __init__(self, element: str) -> None:
        super().__init__(
            f"elements are nested more than {_MAX_DEPTH} levels deep (at <{element[:60]}>)"
        )


class ResponseDecoder:
    """Reads one service's responses: results for 2xx, typed errors otherwise."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._readers = _ReaderCompiler(service)
        self._roots: dict[str, _StructReader] = {}

    def parse(self, operation: str, status: int, body: bytes) -> tuple[Any, str | None]:
        """The result dataclass and request id; raises ServiceError or ResponseError."""
        op = self.service.operations.get(operation)
        if op is None:
            known = ", ".join(sorted(self.service.operations))
            raise ValueError(f"unknown operation {operation!r}; expected one of {known}")
        if status >= 300:
            raise self.error(operation, status, body)
        # Some recorded bodies start with a newline before the XML declaration,
        # which expat rejects; nothing of value is lost by dropping it.
        text = body.lstrip()
        if not text:
            raise _empty(operation, status, body, f"<{operation}Response>")
        root = self._roots.get(operation)
        if root is None:
            root = self._roots[operation] = self._readers.root(op.output)
        try:
            result, meta = _decode(text, root, operation + "Response")
        except _WrongRoot as e:
            if e.local in ("Response", "ErrorResponse"):
                raise self.error(operation, status, body) from None
            raise ResponseError(
                f"HTTP {status} response to {operation} has the root element <{e.local[:60]}>, "
                f"not <{operation}Response>: check that the endpoint is EC2's and that no "
                f"proxy answered instead; body starts: {excerpt(body)!r}",
                status=status,
                operation=operation,
            ) from None
        except (xml.parsers.expat.ExpatError, DefusedXmlException, _BadValue, _TooDeep) as e:
            raise _unreadable(operation, status, body, e) from None
        return (None if op.output is None else result), meta["request_id"]

    def error(self, operation: str, status: int, body: bytes) -> ResponseError | ServiceError:
        """The typed error an error response stands for."""
        if not body.strip():
            return _empty(operation, status, body, "an EC2 error document")
        try:
            root = fromstring(body.lstrip(), forbid_dtd=True)
        except (ParseError, DefusedXmlException) as e:
            return _unreadable(operation, status, body, e)
        children = {_local(c.tag): c for c in root}
        error = children.get("Error")
        if error is None and "Errors" in children:
            error = next((c for c in children["Errors"] if _local(c.tag) == "Error"), None)
        if error is None:
            return ResponseError(
                f"HTTP {status} response to {operation} is not an EC2 error document "
                f"(no <Errors><Error> in <{_local(root.tag)[:60]}>), so it probably came from a "
                f"proxy or load balancer: retry later or check the endpoint; "
                f"body starts: {excerpt(body)!r}",
                status=status,
                operation=operation,
            )
        fields = {_local(c.tag): (c.text or "").strip() for c in error}
        request_id = _text(children.get("RequestID")) or _text(children.get("RequestId"))
        code = fields.get("Code") or "Unknown"  # botocore's ClientError says Unknown too
        message = fields.get("Message") or (
            f"HTTP {status} error document without a <Message>; body starts: {excerpt(body)!r}"
        )
        return service_error(
            message,
            code=code,
            request_id=request_id,
            status=status,
            operation=operation,
            details=self._details(code, error),
        )

    def _details(self, code: str, error: Any) -> Any:
        spec = self.service.shapes.get(code)
        if not isinstance(spec, Structure) or not spec.exception:
            return None
        reader = self._readers.get(code)
        assert isinstance(reader, _StructReader)
        try:
            details, _ = _decode(tostring(error), reader, None)
        except (xml.parsers.expat.ExpatError, _BadValue, _TooDeep, RecursionError):
            # tostring() recurses per level; details are optional, the error stands.
            return None
        return details


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: Any) -> str | None:
    if element is None or element.text is None:
        return None
    return str(element.text).strip() or None


def _unreadable(operation: str, status: int, body: bytes, cause: Exception) -> ResponseError:
    if isinstance(cause, DefusedXmlException):
        what = (
            f"was refused as unsafe XML: it declares a DTD or entities ({type(cause).__name__}), "
            "which EC2 never sends and which can expand into an XML bomb or read local files; "
            "check the endpoint and any proxy in between"
        )
    elif isinstance(cause, _BadValue):
        what = f"has a value that cannot be read: {cause}; the body is not a valid EC2 answer"
    elif isinstance(cause, _TooDeep):
        what = f"was refused: {cause}, which no EC2 response does"
    else:
        what = (
            f"is not well-formed XML ({cause}): it may be truncated or not XML at all; "
            "retry the call, and check the endpoint if it keeps happening"
        )
    return ResponseError(
        f"HTTP {status} response to {operation} {what}; body starts: {excerpt(body)!r}",
        status=status,
        operation=operation,
    )


def _empty(operation: str, status: int, body: bytes, expected: str) -> ResponseError:
    blank = "an empty body" if not body else "a body of only whitespace"
    return ResponseError(
        f"HTTP {status} response to {operation} has {blank}; expected {expected}: "
        "the connection may have been cut, so retry the call",
        status=status,
        operation=operation,
    )

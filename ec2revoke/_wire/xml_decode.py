"""EC2 XML responses -> result dataclasses, or a typed error.

A 2xx body is decoded in one streaming pass (``_xml_stream``); an error body, small
and rare, is read as a tree with defusedxml's ElementTree. Anything that is not a
readable EC2 answer becomes a ResponseError that says what was wrong.
"""

from __future__ import annotations

import xml.parsers.expat
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, tostring

from ec2revoke._errors import (
    ParamValidationError,
    ResponseError,
    ServiceError,
    excerpt,
    service_error,
)
from ec2revoke._wire.compiler import describe
from ec2revoke._wire.schema import Service, Structure
from ec2revoke._wire.xml_stream import (
    REQUEST_ID,
    BadValue,
    Children,
    Plan,
    TooDeep,
    WrongRoot,
    decode,
)


class ResponseDecoder:
    """Reads one service's responses: results for 2xx, typed errors otherwise."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._plan = Plan(service)
        self._roots: dict[str, Children] = {}

    def parse(self, operation: str, status: int, body: bytes) -> tuple[Any, str | None]:
        """The result dataclass and request id; raises ServiceError or ResponseError."""
        op = self.service.operations.get(operation) if isinstance(operation, str) else None
        if op is None:
            known = ", ".join(sorted(self.service.operations))
            raise ParamValidationError(
                f"parse_response: unknown operation {operation!r}; expected one of {known}"
            )
        if type(status) is not int or not 100 <= status <= 999:
            raise ParamValidationError(
                "parse_response: status must be the HTTP status as an int (100-999), "
                f"got {describe(status)}"
            )
        if not isinstance(body, bytes):
            if not isinstance(body, (bytearray, memoryview)):
                encode = " (text: pass body.encode('utf-8'))" if isinstance(body, str) else ""
                raise ParamValidationError(
                    f"parse_response: body must be the response's bytes{encode}, "
                    f"got {describe(body)}"
                )
            body = bytes(body)
        if status >= 300:
            raise self.error(operation, status, body)
        # Some recorded bodies start with a newline before the XML declaration,
        # which expat rejects; nothing of value is lost by dropping it.
        text = body.lstrip()
        if not text:
            raise _empty(operation, status, body, f"<{operation}Response>")
        root = self._roots.get(operation)
        if root is None:
            root = self._roots[operation] = self._plan.root(op.output, operation + "Response")
        try:
            fields = decode(text, root)
        except WrongRoot as e:
            if e.local in ("Response", "ErrorResponse"):
                raise self.error(operation, status, body) from None
            raise ResponseError(
                f"HTTP {status} response to {operation} has the root element <{e.local[:60]}>, "
                f"not <{operation}Response>: check that the endpoint is EC2's and that no "
                f"proxy answered instead; body starts: {excerpt(body)!r}",
                status=status,
                operation=operation,
            ) from None
        except (xml.parsers.expat.ExpatError, DefusedXmlException, BadValue, TooDeep) as e:
            raise _unreadable(operation, status, body, e) from None
        return fields["result"], fields.get(REQUEST_ID)

    def error(self, operation: str, status: int, body: bytes) -> ResponseError | ServiceError:
        """The typed error an error response stands for."""
        found = self._error(operation, status, body)
        if isinstance(found, ResponseError) and 300 <= status < 400:
            return _redirect(operation, status, body)
        return found

    def _error(self, operation: str, status: int, body: bytes) -> ResponseError | ServiceError:
        if not body.strip():
            return _empty(operation, status, body, "an EC2 error document")
        try:
            root = _tree(body.lstrip())
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
        try:
            return decode(tostring(error), self._plan.root(code, None))["result"]
        except (xml.parsers.expat.ExpatError, BadValue, TooDeep, RecursionError):
            # tostring() recurses per level; details are optional, the error stands.
            return None


def _tree(body: bytes) -> Any:
    """The element tree of an error body, read as UTF-8 whatever it declares (as botocore)."""
    parser = DefusedXMLParser(forbid_dtd=True, encoding="utf-8")
    parser.feed(body)
    return parser.close()


# What a body that is not UTF-8 XML starts with, and what to say about it.
_SIGNATURES = (
    (
        b"\x1f\x8b",
        "is gzip-compressed (it starts with gzip's magic bytes 1f 8b), which EC2 never "
        "sends: a proxy or a custom transport compressed it or left it undecompressed",
    ),
    (b"\x00\x00\xfe\xff", "is UTF-32 (big-endian byte-order mark), not the UTF-8 EC2 sends"),
    (b"\xff\xfe\x00\x00", "is UTF-32 (little-endian byte-order mark), not the UTF-8 EC2 sends"),
)


def _what_it_is(body: bytes) -> str | None:
    """A plain word on a body that is not UTF-8 text at all, or None."""
    for magic, words in _SIGNATURES:
        if body.startswith(magic):
            return words
    return None


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
    elif isinstance(cause, BadValue):
        what = f"has a value that cannot be read: {cause}; the body is not a valid EC2 answer"
    elif isinstance(cause, TooDeep):
        what = f"was refused: {cause}, which no EC2 response does"
    elif (kind := _what_it_is(body)) is not None:
        what = f"is not well-formed XML ({cause}): it {kind}"
    elif _not_utf8(body):
        what = (
            f"is not well-formed XML ({cause}): it is not UTF-8, the only encoding EC2 "
            "sends, so it probably came from a proxy or another server; check the endpoint"
        )
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


def _not_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _redirect(operation: str, status: int, body: bytes) -> ResponseError:
    shown = f"; body starts: {excerpt(body)!r}" if body.strip() else ""
    return ResponseError(
        f"HTTP {status} response to {operation} is a redirect, and EC2 does not redirect: "
        "the endpoint URL is probably wrong (http:// where https:// is needed, or a web "
        "site, a proxy's login page or another service instead of the EC2 API); check "
        f"endpoint_url (--endpoint-url, AWS_ENDPOINT_URL_EC2 on the command line){shown}",
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

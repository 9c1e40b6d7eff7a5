"""The wire codecs: Query parameters, EC2 XML and the boto3 dict form.

The module-level functions speak EC2 (API version 2016-11-15). ``Codec(service)``
binds the same codecs to any generated service description.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ec2revoke._generated.wire import SERVICE
from ec2revoke._json import DictDecoder, DictEncoder
from ec2revoke._query import QueryDecoder, QueryEncoder, form_body
from ec2revoke._schema import Service
from ec2revoke._xml_decode import ResponseDecoder
from ec2revoke._xml_encode import XmlEncoder, error_xml

__all__ = [
    "Codec",
    "error_xml",
    "form_body",
    "from_dict",
    "from_query",
    "parse_response",
    "to_dict",
    "to_query",
    "to_xml",
]

T = TypeVar("T")


class Codec:
    """Every codec of one service, each compiled lazily from its wire tables."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._query = QueryEncoder(service)
        self._unquery = QueryDecoder(service)
        self._responses = ResponseDecoder(service)
        self._xml = XmlEncoder(service)
        self._dict = DictEncoder(service)
        self._undict = DictDecoder(service)

    def to_query(self, request: Any, *, operation: str | None = None) -> list[tuple[str, str]]:
        """Query parameters for a request dataclass: Action and Version first.

        For an operation without input, pass None and name the operation.
        """
        return self._query.to_query(request, operation)

    def from_query(self, pairs: Iterable[tuple[str, str]]) -> Any:
        """The request dataclass that query parameters describe (operation from Action).

        EC2 sends nothing for an empty list, so an empty list reads back as None.
        """
        return self._unquery.from_query(pairs)

    def parse_response(self, operation: str, status: int, body: bytes) -> Any:
        """The result dataclass of a response; raises ServiceError or ResponseError."""
        return self._responses.parse(operation, status, body)[0]

    def read_response(self, operation: str, status: int, body: bytes) -> tuple[Any, str | None]:
        """Like parse_response, with the response's request id."""
        return self._responses.parse(operation, status, body)

    def to_xml(
        self,
        result: Any,
        *,
        request_id: str = "00000000-0000-0000-0000-000000000000",
        operation: str | None = None,
    ) -> bytes:
        """An EC2-style response body for a result dataclass."""
        return self._xml.to_xml(result, request_id=request_id, operation=operation)

    def to_dict(self, shape: Any) -> dict[str, Any]:
        """The boto3 dict form of any shape (PascalCase keys, None members left out)."""
        return self._dict.to_dict(shape)

    def from_dict(self, shape_type: type[T], data: Mapping[str, Any]) -> T:
        """A shape from its boto3 dict form; unknown keys and wrong types are refused."""
        result: T = self._undict.from_dict(shape_type, data)
        return result


EC2 = Codec(SERVICE)
to_query = EC2.to_query
from_query = EC2.from_query
parse_response = EC2.parse_response
read_response = EC2.read_response
to_xml = EC2.to_xml
to_dict = EC2.to_dict
from_dict = EC2.from_dict

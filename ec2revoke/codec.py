"""The wire codecs: Query parameters, EC2 XML and the boto3 dict form.

The module-level functions speak EC2 (API version 2016-11-15). ``Codec(service)``
binds the same codecs to any generated service description.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ec2revoke._errors import ParamValidationError
from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire.compiler import describe
from ec2revoke._wire.dict_form import DictDecoder, DictEncoder
from ec2revoke._wire.query import QueryDecoder, QueryEncoder, form_body
from ec2revoke._wire.schema import Service
from ec2revoke._wire.xml_decode import ResponseDecoder
from ec2revoke._wire.xml_encode import XmlEncoder
from ec2revoke._wire.xml_encode import error_xml as _error_xml

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


def _refuse(call: str, problem: str) -> ParamValidationError:
    return ParamValidationError(f"{call}: {problem}")


def _text(call: str, name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _refuse(call, f"{name} must be text (str), got {describe(value)}")


def error_xml(code: str, message: str, *, request_id: str) -> bytes:
    """An EC2 error body: Response/Errors/Error with Code and Message, then RequestID."""
    for name, value in (("code", code), ("message", message), ("request_id", request_id)):
        _text("error_xml", name, value)
    return _error_xml(code, message, request_id=request_id)


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
        operations = service.operations.values()
        self._requests = {op.input for op in operations if op.input is not None}
        self._results = {op.output for op in operations if op.output is not None}

    def _shape(self, call: str, cls: Any, what: str) -> str:
        """The shape name of a generated dataclass, or a typed refusal naming ``call``."""
        try:
            name = self.service.by_class.get(cls)
        except TypeError:  # not hashable, so certainly not a shape class
            name = None
        if name is None:
            given = cls.__name__ if isinstance(cls, type) else describe(cls)
            raise _refuse(
                call,
                f"{given} is not a shape of this service; pass {what} from ec2revoke.shapes",
            )
        return name

    def _operation(self, call: str, operation: Any) -> Any:
        op = self.service.operations.get(operation) if isinstance(operation, str) else None
        if op is None:
            known = ", ".join(sorted(self.service.operations))
            raise _refuse(call, f"operation {operation!r} is not one of {known}")
        return op

    def to_query(self, request: Any, *, operation: str | None = None) -> list[tuple[str, str]]:
        """Query parameters for a request dataclass: Action and Version first.

        For an operation without input, pass None and name the operation.
        """
        if operation is not None:
            op = self._operation("to_query", operation)
            if request is not None and op.input is not None:
                wanted = self.service.shapes[op.input]
                if type(request) is not getattr(wanted, "cls", None):
                    raise _refuse(
                        "to_query",
                        f"{operation} takes a {op.input}, got {type(request).__name__}",
                    )
        if request is None:
            op = self.service.operations.get(operation or "")
            if op is None or op.input is not None:
                raise _refuse(
                    "to_query",
                    "a request of None needs operation= naming an operation without input; "
                    f"{operation!r} is not one: pass the request dataclass",
                )
        else:
            shape = self._shape("to_query", type(request), "a request instance")
            if operation is None and shape not in self._requests:
                raise _refuse(
                    "to_query",
                    f"{shape} is not the request shape of any operation; pass the whole "
                    "request (e.g. shapes.RevokeSecurityGroupIngressRequest)",
                )
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
        shape = self._shape("to_xml", type(result), "a result instance")
        _text("to_xml", "request_id", request_id)
        if operation is not None:
            op = self._operation("to_xml", operation)
            if op.output != shape:
                raise _refuse("to_xml", f"{operation} answers with a {op.output}, not a {shape}")
        elif shape not in self._results:
            raise _refuse(
                "to_xml",
                f"{shape} is not the result shape of any operation; pass a whole result "
                "(e.g. shapes.RevokeSecurityGroupIngressResult), or name the operation",
            )
        try:
            return self._xml.to_xml(result, request_id=request_id, operation=operation)
        except ValueError as e:
            if isinstance(e, ParamValidationError):
                raise
            # str() of an int past sys.get_int_max_str_digits(), the one thing the XML
            # encoder does not check itself.
            raise _refuse(
                "to_xml",
                f"a value of the {shape} cannot be written ({e}); no EC2 number is that long",
            ) from None

    def to_dict(self, shape: Any) -> dict[str, Any]:
        """The boto3 dict form of any shape (PascalCase keys, None members left out)."""
        self._shape("to_dict", type(shape), "an instance of a class")
        return self._dict.to_dict(shape)

    def from_dict(self, shape_type: type[T], data: Mapping[str, Any]) -> T:
        """A shape from its boto3 dict form; unknown keys and wrong types are refused."""
        name = self._shape("from_dict", shape_type, "a class")
        if not isinstance(data, Mapping):
            raise _refuse(
                "from_dict",
                f"expected a dict of {name} parameters (boto3 form), got {describe(data)}",
            )
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

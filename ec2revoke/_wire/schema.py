"""The vocabulary of the generated wire tables.

Generated modules describe every shape with these small frozen records; the codec
modules compile them into encoders and decoders. No protocol logic lives here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ec2revoke._errors import ParamValidationError

# Scalar kinds, as botocore's model names them.
STRING = "string"
INTEGER = "integer"
LONG = "long"
BOOLEAN = "boolean"
FLOAT = "float"
DOUBLE = "double"
TIMESTAMP = "timestamp"
BLOB = "blob"
SCALAR_KINDS = frozenset({STRING, INTEGER, LONG, BOOLEAN, FLOAT, DOUBLE, TIMESTAMP, BLOB})


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar shape: text, number, boolean, timestamp or blob."""

    kind: str
    timestamp_format: str | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListShape:
    """A list shape; ``member_xml`` is the element name of one entry."""

    member: str
    member_xml: str = "member"
    flattened: bool = False


@dataclass(frozen=True, slots=True)
class MapShape:
    """A map shape with its key and value shapes and their element and parameter names.

    The Query names differ from the element names: a locationName is capitalised there,
    while the defaults stay ``key`` and ``value`` (botocore's EC2Serializer).
    """

    key: str
    value: str
    key_xml: str = "key"
    value_xml: str = "value"
    flattened: bool = False
    key_query: str = "key"
    value_query: str = "value"


@dataclass(frozen=True, slots=True)
class Member:
    """One field of a structure and every name it goes by on the wire.

    ``field`` is the dataclass attribute, ``name`` the model (boto3 dict) key,
    ``query`` the Query-parameter name and ``xml`` the response element name.
    """

    field: str
    name: str
    shape: str
    query: str
    xml: str
    required: bool = False
    flattened: bool = False
    timestamp_format: str | None = None


@dataclass(frozen=True, slots=True)
class Structure:
    """A structure shape: the generated dataclass and its members in model order."""

    cls: type[Any]
    members: tuple[Member, ...]
    exception: bool = False


ShapeSpec = Scalar | ListShape | MapShape | Structure


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation: its name, client method name and request/result shapes."""

    name: str
    method: str
    input: str | None
    output: str | None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    """Everything the codecs need to speak one service's protocol."""

    api_version: str
    xml_namespace: str
    shapes: Mapping[str, ShapeSpec]
    operations: Mapping[str, Operation]
    by_class: dict[type[Any], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {s.cls: name for name, s in self.shapes.items() if isinstance(s, Structure)}
        object.__setattr__(self, "by_class", index)

    def structure_of(self, cls: type[Any]) -> tuple[str, Structure]:
        """The shape name and structure spec of a generated dataclass."""
        try:
            name = self.by_class[cls]
        except KeyError:
            raise TypeError(
                f"{cls.__name__} is not a shape of this service; "
                "pass an instance of a class from ec2revoke.shapes"
            ) from None
        spec = self.shapes[name]
        assert isinstance(spec, Structure)
        return name, spec


def freeze_sequences(obj: object, fields: tuple[str, ...]) -> None:
    """Store list-valued fields as tuples, so shapes stay immutable and hashable.

    A ``str`` is a Sequence too; passing one where a list belongs is almost always
    a mistake (``("sgr-1",)`` was meant), so it is refused rather than split.
    """
    for name in fields:
        value = getattr(obj, name)
        if value is None or type(value) is tuple:
            continue
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ParamValidationError(
                f"{type(obj).__name__}.{name} takes a list or tuple, got "
                f"{type(value).__name__} {value!r:.60}; wrap a single value in a list"
            )
        object.__setattr__(obj, name, tuple(value))

"""Shapes <-> the boto3 / AWS CLI dict form (PascalCase model names as keys).

``to_dict`` gives exactly what boto3 returns for the same data: datetimes stay
datetimes, blobs bytes, lists lists. ``from_dict`` reads that form back and also
takes what boto3 accepts on input (ISO 8601 text or epoch seconds for timestamps,
text for blobs, any sequence for lists), checking names and types as it goes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ec2revoke._errors import ParamValidationError
from ec2revoke._wire import scalars
from ec2revoke._wire.compiler import Invalid, ShapeCompiler, describe
from ec2revoke._wire.schema import (
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
    Structure,
)

Convert = Callable[[Any], Any]

# What botocore's validator lists as the valid types of each kind of parameter, so
# that a None is refused in its words ("Invalid type for parameter ..., value: None").
_VALID_TYPES = {
    "structure": "<class 'dict'>",
    "map": "<class 'dict'>",
    "list": "<class 'list'>, <class 'tuple'>",
    STRING: "<class 'str'>",
    INTEGER: "<class 'int'>",
    LONG: "<class 'int'>",
    BOOLEAN: "<class 'bool'>",
    FLOAT: "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>",
    DOUBLE: "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>",
    TIMESTAMP: "<class 'datetime.datetime'>, timestamp-string",
    BLOB: "<class 'bytes'>, <class 'bytearray'>, file-like object",
}


class _Null(Invalid):
    """A parameter given as None (JSON null), which is not the same as leaving it out."""

    def __init__(self, kind: str) -> None:
        super().__init__("is None")
        self.valid_types = _VALID_TYPES[kind]

    def message(self) -> str:
        """botocore's words for it, then what to do instead."""
        return (
            f"Invalid type for parameter {self.where()}, value: None, type: <class 'NoneType'>, "
            f"valid types: {self.valid_types}: give a value, or leave the parameter out "
            "(null is not the same as leaving it out)"
        )


def _identity(value: Any) -> Any:
    return value


class DictEncoder(ShapeCompiler[Convert]):
    """Compiles shapes into functions that build boto3-form dicts."""

    def to_dict(self, shape: Any) -> dict[str, Any]:
        name, _ = self.service.structure_of(type(shape))
        result: dict[str, Any] = self.get(name)(shape)
        return result

    def structure(self, name: str, spec: Structure) -> Convert:
        members: list[tuple[str, str, Convert]] = []

        def convert(value: Any) -> Any:
            out = {}
            for field, key, conv in members:
                v = getattr(value, field)
                if v is not None:
                    out[key] = conv(v)
            return out

        self.remember(name, convert)
        members.extend((m.field, m.name, self.member(m)) for m in spec.members)
        return convert

    def list(self, spec: ListShape) -> Convert:
        item = self.get(spec.member)
        if item is _identity:
            return list
        return lambda value: [item(v) for v in value]

    def map(self, spec: MapShape) -> Convert:
        value_conv = self.get(spec.value)
        return lambda value: {k: value_conv(v) for k, v in value.items()}

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> Convert:
        return _identity


class DictDecoder(ShapeCompiler[Convert]):
    """Compiles shapes into functions that read boto3-form dicts into dataclasses."""

    def from_dict(self, shape_type: type[Any], data: Mapping[str, Any]) -> Any:
        name, _ = self.service.structure_of(shape_type)
        try:
            return self.get(name)(data)
        except _Null as e:
            # Skipping it would change the request: a null CidrIp would revoke the rule
            # with no source at all, a null GroupId would send the request by name.
            raise ParamValidationError(e.message()) from None
        except Invalid as e:
            where = e.where()
            raise ParamValidationError(
                f"{name}{'.' if where else ''}{where}: {e.problem}"
            ) from None

    def structure(self, name: str, spec: Structure) -> Convert:
        cls = spec.cls
        by_key: dict[str, tuple[str, Convert]] = {}
        required = [m.name for m in spec.members if m.required]

        def convert(value: Any) -> Any:
            if not isinstance(value, Mapping):
                if value is None:
                    raise _Null("structure")
                raise Invalid(
                    f"expected a dict of {cls.__name__} parameters, got {describe(value)}"
                )
            fields = {}
            for key, v in value.items():
                entry = by_key.get(key)
                if entry is None:
                    valid = ", ".join(by_key) or "none"
                    raise Invalid(f"unknown parameter {key!r} for {cls.__name__}; valid: {valid}")
                try:
                    fields[entry[0]] = entry[1](v)
                except Invalid as e:
                    e.path.append(key)
                    raise
            missing = [k for k in required if k not in value]
            if missing:
                raise Invalid(f"missing required parameter {', '.join(missing)} for {cls.__name__}")
            return cls(**fields)

        self.remember(name, convert)
        by_key.update((m.name, (m.field, self.member(m))) for m in spec.members)
        return convert

    def list(self, spec: ListShape) -> Convert:
        item = self.get(spec.member)

        def convert(value: Any) -> Any:
            if value is None:
                raise _Null("list")
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
                raise Invalid(f"expected a list, got {describe(value)}")
            out = []
            for i, v in enumerate(value):
                try:
                    out.append(item(v))
                except Invalid as e:
                    e.path.append(f"[{i}]")
                    raise
            return tuple(out)

        return convert

    def map(self, spec: MapShape) -> Convert:
        key, val = self.get(spec.key), self.get(spec.value)

        def convert(value: Any) -> Any:
            if value is None:
                raise _Null("map")
            if not isinstance(value, Mapping):
                raise Invalid(f"expected a dict, got {describe(value)}")
            return {key(k): val(v) for k, v in value.items()}

        return convert

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> Convert:
        read: Convert = _SCALAR_READERS.get(spec.kind, _integer)
        kind = spec.kind

        def convert(value: Any) -> Any:
            if value is None:
                raise _Null(kind)
            return read(value)

        return convert


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise Invalid(f"expected str, got {describe(v)}")
    return v


def _boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise Invalid(f"expected bool, got {describe(v)}")
    return v


def _integer(v: Any) -> int:
    if type(v) is not int:
        raise Invalid(f"expected int, got {describe(v)}")
    return v


def _float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Invalid(f"expected float, got {describe(v)}")
    return float(v)


def _timestamp(v: Any) -> datetime.datetime:
    if isinstance(v, datetime.datetime):
        return v
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        try:
            return scalars.parse_timestamp(str(v))
        except ValueError as e:
            raise Invalid(str(e)) from None
    raise Invalid(f"expected a datetime, ISO 8601 text or epoch seconds, got {describe(v)}")


def _blob(v: Any) -> bytes:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode("utf-8")
    raise Invalid(f"expected bytes, got {describe(v)}")


_SCALAR_READERS: dict[str, Convert] = {
    STRING: _string,
    BOOLEAN: _boolean,
    FLOAT: _float,
    DOUBLE: _float,
    TIMESTAMP: _timestamp,
    BLOB: _blob,
}

"""Comparing the request the code sent with the one a test expected, field by field.

Both sides become the same plain tree, driven by the wire tables: a structure is a
dict of every field (``None`` when absent), a list a tuple (``None`` when empty, as
EC2's Query protocol cannot tell the two apart), a scalar itself. ``ANY`` may stand
anywhere in the expected tree. A difference is reported with its field path:
``ip_permissions[0].ip_ranges[0].cidr_ip: expected '0.0.0.0/0', got '10.0.0.0/8'``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ec2revoke._errors import ParamValidationError
from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire.compiler import describe
from ec2revoke._wire.schema import ListShape, MapShape, Operation, Structure

Same = Callable[[Any, Any], bool]


class _AnyType:
    """The type of ``ANY``: one instance, equal to everything."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "ANY"


ANY: Final[Any] = _AnyType()
"""Matches any value (or a whole list, or a whole structure) in ``expected_params``."""

_NO_ITEM: Final = object()  # where one list is shorter than the other


def operation_named(name: str) -> Operation:
    """An operation by its name (``RevokeSecurityGroupIngress``) or method name."""
    operations = SERVICE.operations
    if not isinstance(name, str):
        raise ParamValidationError(
            f"unknown operation {name!r}: name it as text, e.g. 'RevokeSecurityGroupIngress'; "
            f"the operations are: {', '.join(operations)}"
        )
    if name in operations:
        return operations[name]
    for op in operations.values():
        if op.method == name:
            return op
    names = [*operations, *(op.method for op in operations.values())]
    close = difflib.get_close_matches(str(name), names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ParamValidationError(
        f"unknown operation {name!r}{hint}; the operations are: {', '.join(operations)}"
    )


def structure(shape: str) -> Structure:
    """The structure spec of a request or result shape."""
    spec = SERVICE.shapes[shape]
    assert isinstance(spec, Structure)
    return spec


def expected_tree(op: Operation, expected: object) -> Any:
    """The comparable tree of ``expected_params`` (a request, its fields or a boto3 dict)."""
    if expected is None or expected is ANY:
        return ANY
    assert op.input is not None
    return _tree(expected, op.input, "expected_params")


def actual_tree(op: Operation, request: Any) -> Any:
    """The comparable tree of a request dataclass the code sent."""
    assert op.input is not None
    return _tree(request, op.input, "")


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _tree(value: Any, shape: str, path: str) -> Any:
    if value is ANY or value is None:
        return value
    spec = SERVICE.shapes[shape]
    if isinstance(spec, Structure):
        given = fields_of(value, spec, path)
        return {
            m.field: _tree(given.get(m.field), m.shape, _join(path, m.field)) for m in spec.members
        }
    if isinstance(spec, ListShape):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ParamValidationError(f"{path}: expected a list, got {describe(value)}")
        items = tuple(_tree(v, spec.member, f"{path}[{i}]") for i, v in enumerate(value))
        return items or None
    if isinstance(spec, MapShape):
        if not isinstance(value, Mapping):
            raise ParamValidationError(f"{path}: expected a dict, got {describe(value)}")
        return {k: _tree(v, spec.value, f"{path}[{k!r}]") for k, v in value.items()} or None
    if isinstance(value, (Mapping, list, tuple, set)) or dataclasses.is_dataclass(value):
        raise ParamValidationError(f"{path}: expected a {spec.kind}, got {describe(value)}")
    return value


def fields_of(value: Any, spec: Structure, path: str) -> dict[str, Any]:
    """A structure's given fields by field name, from a dataclass or either dict form."""
    cls = spec.cls
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value) is not cls:
            raise ParamValidationError(
                f"{path or 'request'}: expected a {cls.__name__}, got {type(value).__name__}"
            )
        return {m.field: getattr(value, m.field) for m in spec.members}
    if not isinstance(value, Mapping):
        raise ParamValidationError(
            f"{path}: expected a {cls.__name__} or a dict of its fields, got {describe(value)}"
        )
    by_key = {m.field: m.field for m in spec.members} | {m.name: m.field for m in spec.members}
    given: dict[str, Any] = {}
    for key, v in value.items():
        field = by_key.get(key)
        if field is None:
            close = difflib.get_close_matches(str(key), list(by_key), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParamValidationError(
                f"{path}: {cls.__name__} has no field {key!r}{hint}; its fields are "
                f"{', '.join(m.field for m in spec.members)} (or their boto3 names)"
            )
        if field in given:
            raise ParamValidationError(f"{path}: {key!r} gives {field} a second time")
        given[field] = v
    return given


def exactly(expected: Any, actual: Any) -> bool:
    """Scalar equality that keeps True apart from 1."""
    return bool(expected == actual) and isinstance(expected, bool) == isinstance(actual, bool)


def differences(
    expected: Any, actual: Any, shape: str, path: str = "", same: Same = exactly
) -> list[str]:
    """Every place where ``actual`` does not match ``expected``, one line each."""
    if expected is ANY:
        return []
    if expected is None or actual is None:
        if expected is None and actual is None:
            return []
        return [f"{path}: expected {show(expected, shape)}, got {show(actual, shape)}"]
    spec = SERVICE.shapes[shape]
    out: list[str] = []
    if isinstance(spec, Structure):
        for m in spec.members:
            out += differences(
                expected[m.field], actual[m.field], m.shape, _join(path, m.field), same
            )
    elif isinstance(spec, ListShape):
        for i in range(max(len(expected), len(actual))):
            e = expected[i] if i < len(expected) else _NO_ITEM
            a = actual[i] if i < len(actual) else _NO_ITEM
            if e is _NO_ITEM or a is _NO_ITEM:
                out.append(
                    f"{path}[{i}]: expected {show(e, spec.member)}, got {show(a, spec.member)}"
                )
            else:
                out += differences(e, a, spec.member, f"{path}[{i}]", same)
    elif isinstance(spec, MapShape):
        for key in [*expected, *(k for k in actual if k not in expected)]:
            out += differences(
                expected.get(key), actual.get(key), spec.value, f"{path}[{key!r}]", same
            )
    elif not same(expected, actual):
        out.append(f"{path}: expected {expected!r}, got {actual!r}")
    return out


def show(value: Any, shape: str) -> str:
    """A tree as Python-like text: ``IpRange(cidr_ip='10.0.0.0/8')``."""
    if value is _NO_ITEM:
        return "no item"
    if value is ANY or value is None:
        return repr(value)
    spec = SERVICE.shapes[shape]
    if isinstance(spec, Structure):
        fields = (
            f"{m.field}={show(value[m.field], m.shape)}"
            for m in spec.members
            if value[m.field] is not None
        )
        return f"{spec.cls.__name__}({', '.join(fields)})"
    if isinstance(spec, ListShape):
        return "[" + ", ".join(show(v, spec.member) for v in value) + "]"
    if isinstance(spec, MapShape):
        return "{" + ", ".join(f"{k!r}: {show(v, spec.value)}" for k, v in value.items()) + "}"
    return repr(value)

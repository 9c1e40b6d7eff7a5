"""EC2 Query parameters: request dataclass <-> ordered (key, value) pairs.

Names follow botocore's EC2Serializer: queryName, else the capitalised locationName,
else the member name; every list is flattened as ``Name.N`` from 1 and an empty list
sends nothing; booleans are ``true``/``false``; timestamps ISO 8601 in UTC.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus

from ec2revoke._errors import ParamValidationError
from ec2revoke._wire import scalars
from ec2revoke._wire.compiler import (
    Invalid,
    ShapeCompiler,
    describe,
    is_attribute_name,
    run_source,
)
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
    Service,
    Structure,
)

Pairs = list[tuple[str, str]]
Encoder = Callable[[Any, str, Pairs], None]
# A parsed query tree: a leaf is the text value, a branch maps the next key part on.
Tree = dict[str, "Tree | str"]
Decoder = Callable[["Tree | str"], Any]


# Scalar kinds a structure's encoder appends without a call: the exact-type check,
# and the text to send.
_INLINE = {
    STRING: ("type(v) is str", "v"),
    # Past 64 bits, the member's own encoder writes it (or says it cannot be written).
    INTEGER: ("type(v) is int and -0x8000000000000000 <= v <= 0x7FFFFFFFFFFFFFFF", "str(v)"),
    LONG: ("type(v) is int and -0x8000000000000000 <= v <= 0x7FFFFFFFFFFFFFFF", "str(v)"),
}


class QueryEncoder(ShapeCompiler[Encoder]):
    """Compiles request shapes into functions that append (key, value) pairs."""

    def __init__(self, service: Service) -> None:
        super().__init__(service)
        self._operation_of = {
            op.input: op.name for op in service.operations.values() if op.input is not None
        }

    def to_query(self, request: Any, operation: str | None = None) -> Pairs:
        """Action, Version, then the request's parameters in model order."""
        if request is None:
            # An operation without an input shape sends Action and Version only
            # (from_query reads such a request back as None).
            op = self.service.operations.get(operation or "")
            if op is None or op.input is not None:
                raise ParamValidationError(
                    "to_query: a request of None needs operation= naming an operation "
                    f"without input; {operation!r} is not one: pass the request dataclass"
                )
            return [("Action", op.name), ("Version", self.service.api_version)]
        shape, _ = self.service.structure_of(type(request))
        if operation is None:
            try:
                operation = self._operation_of[shape]
            except KeyError:
                raise ParamValidationError(
                    f"to_query: {shape} is not the request shape of any operation"
                ) from None
        pairs: Pairs = [("Action", operation), ("Version", self.service.api_version)]
        try:
            self.get(shape)(request, "", pairs)
        except Invalid as e:
            raise ParamValidationError(
                f"{shape}.{e.where()}: {e.problem}", operation=operation
            ) from None
        return pairs

    def structure(self, name: str, spec: Structure) -> Encoder:
        # Each structure gets a function written for it from the wire table: attribute
        # reads instead of a getattr loop, text and integer members appended inline.
        # That is what keeps encoding near a quarter of botocore's time. Values of any
        # other kind, or of the wrong type, go through the member's compiled encoder,
        # which checks them and says what is wrong.
        # Only checked identifiers and repr()'d text reach the source; any other name
        # from the model is a constant the code looks up (Codec(service) is public).
        cls = spec.cls
        env: dict[str, Any] = {
            "cls": cls,
            "Invalid": Invalid,
            "describe": describe,
            "missing": f"is required by {cls.__name__}; give it a value",
        }
        lines = [
            "def encode(value, key, out):",
            "    if type(value) is not cls:",
            "        raise Invalid(f'expected {cls.__name__}, got {describe(value)}')",
            "    base = key + '.' if key else ''",
            "    append = out.append",
        ]
        for i, m in enumerate(spec.members):
            target = self.service.shapes[m.shape]
            kind = target.kind if isinstance(target, Scalar) else None
            if is_attribute_name(m.field):
                lines.append(f"    v = value.{m.field}")
            else:
                env[f"field_{i}"] = m.field
                lines.append(f"    v = getattr(value, field_{i})")
            if m.required:
                lines += [
                    "    if v is None:",
                    "        e = Invalid(missing)",
                    f"        e.path.append({m.field!r})",
                    "        raise e",
                ]
            lines.append("    if v is not None:")
            indent = "        "
            if kind in _INLINE:
                check, text = _INLINE[kind]
                lines += [
                    f"        if {check}:",
                    f"            append((base + {m.query!r}, {text}))",
                ]
                lines.append("        else:")
                indent += "    "
            lines += [
                f"{indent}try:",
                f"{indent}    enc_{i}(v, base + {m.query!r}, out)",
                f"{indent}except Invalid as e:",
                f"{indent}    e.path.append({m.field!r})",
                f"{indent}    raise",
            ]
        run_source(lines, f"query encoder {name}", env)
        encode: Encoder = env["encode"]
        self.remember(name, encode)
        for i, m in enumerate(spec.members):
            env[f"enc_{i}"] = self.member(m)
        return encode

    def list(self, spec: ListShape) -> Encoder:
        item = self.get(spec.member)

        def encode(value: Any, key: str, out: Pairs) -> None:
            if not isinstance(value, (tuple, list)):
                raise Invalid(f"expected a list, got {describe(value)}")
            for i, v in enumerate(value):
                try:
                    item(v, f"{key}.{i + 1}", out)
                except Invalid as e:
                    e.path.append(f"[{i}]")
                    raise

        return encode

    def map(self, spec: MapShape) -> Encoder:
        enc_key, enc_value = self.get(spec.key), self.get(spec.value)
        key_name, value_name = spec.key_query, spec.value_query
        entry = "" if spec.flattened else ".entry"

        def encode(value: Any, key: str, out: Pairs) -> None:
            if not isinstance(value, dict):
                raise Invalid(f"expected a dict, got {describe(value)}")
            for i, (k, v) in enumerate(value.items(), 1):
                enc_key(k, f"{key}{entry}.{i}.{key_name}", out)
                try:
                    enc_value(v, f"{key}{entry}.{i}.{value_name}", out)
                except Invalid as e:
                    e.path.append(f"[{k!r}]")
                    raise

        return encode

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> Encoder:
        kind = spec.kind
        if kind == STRING:

            def encode(value: Any, key: str, out: Pairs) -> None:
                if not isinstance(value, str):
                    raise Invalid(f"expected str, got {describe(value)}")
                out.append((key, value))
        elif kind == BOOLEAN:

            def encode(value: Any, key: str, out: Pairs) -> None:
                if value is True:
                    out.append((key, "true"))
                elif value is False:
                    out.append((key, "false"))
                else:
                    raise Invalid(f"expected bool, got {describe(value)}")
        elif kind in (FLOAT, DOUBLE):

            def encode(value: Any, key: str, out: Pairs) -> None:
                if isinstance(value, float):
                    out.append((key, scalars.format_float(value)))
                elif isinstance(value, int) and not isinstance(value, bool):
                    out.append((key, str(value)))
                else:
                    raise Invalid(f"expected float, got {describe(value)}")
        elif kind == TIMESTAMP:
            fmt = timestamp_format or "iso8601"
            # botocore sends epoch seconds as a whole number (its default precision),
            # dropping any fraction of a second; so do we, to send the same parameters.
            whole_seconds = fmt == "unixtimestamp"

            def encode(value: Any, key: str, out: Pairs) -> None:
                if not isinstance(value, datetime.datetime):
                    raise Invalid(f"expected datetime.datetime, got {describe(value)}")
                if whole_seconds:
                    value = value.replace(microsecond=0)
                out.append((key, scalars.format_timestamp(value, fmt)))
        elif kind == BLOB:

            def encode(value: Any, key: str, out: Pairs) -> None:
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    raise Invalid(f"expected bytes, got {describe(value)}")
                out.append((key, scalars.format_blob(bytes(value))))
        else:  # integer and long

            def encode(value: Any, key: str, out: Pairs) -> None:
                if type(value) is not int:
                    raise Invalid(f"expected int, got {describe(value)}")
                try:
                    text = str(value)
                except ValueError:  # more digits than str() writes: no EC2 number
                    raise Invalid(f"{describe(value)} is too large to send") from None
                out.append((key, text))

        return encode


# Keys and most values need no escaping; checking first is twice as fast as quoting all.
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9_.~-]").search


def _quote(text: str) -> str:
    return text if _NEEDS_QUOTING(text) is None else quote_plus(text)


def form_body(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The form-encoded request body, byte for byte as botocore sends it."""
    try:
        return "&".join([f"{_quote(k)}={_quote(v)}" for k, v in pairs]).encode("utf-8")
    except (TypeError, ValueError):
        raise ParamValidationError(
            f"form_body takes (key, value) pairs of text, as to_query gives; got {pairs!r:.80}"
        ) from None


class QueryDecoder(ShapeCompiler[Decoder]):
    """Compiles request shapes into functions that read a parsed query tree back."""

    def from_query(self, pairs: Iterable[tuple[str, str]]) -> Any:
        """The request dataclass the pairs describe; the operation is read from Action."""
        tree: Tree = {}
        for key, value in _pairs(pairs):
            _insert(tree, key, value)
        action, version = tree.pop("Action", None), tree.pop("Version", None)
        if not isinstance(action, str) or action not in self.service.operations:
            known = ", ".join(sorted(self.service.operations))
            raise ParamValidationError(f"Action {action!r} is not one of {known}")
        if version != self.service.api_version:
            raise ParamValidationError(
                f"Version {version!r} differs from the model's {self.service.api_version!r}",
                operation=action,
            )
        op = self.service.operations[action]
        if op.input is None:
            if tree:
                raise ParamValidationError(f"{action} takes no parameters, got {sorted(tree)}")
            return None
        try:
            return self.get(op.input)(tree)
        except Invalid as e:
            where = e.where()
            raise ParamValidationError(
                f"{action}: {where + ': ' if where else ''}{e.problem}", operation=action
            ) from None

    def structure(self, name: str, spec: Structure) -> Decoder:
        cls = spec.cls
        by_name: dict[str, tuple[str, Decoder]] = {}
        required = [(m.field, m.query) for m in spec.members if m.required]

        def decode(node: Tree | str) -> Any:
            if isinstance(node, str):
                raise Invalid(f"expected the parameters of {cls.__name__}, got a plain value")
            values = {}
            for key, sub in node.items():
                try:
                    field, dec = by_name[key]
                except KeyError:
                    raise Invalid(f"unknown parameter {key!r} for {cls.__name__}") from None
                try:
                    values[field] = dec(sub)
                except Invalid as e:
                    e.path.append(key)
                    raise
            # Checked here so the message names the parameter, not a dataclass argument.
            missing = [query for field, query in required if field not in values]
            if missing:
                raise Invalid(f"missing required parameter {', '.join(missing)} for {cls.__name__}")
            try:
                return cls(**values)
            except TypeError as e:
                raise Invalid(f"{cls.__name__}: {e}") from None

        self.remember(name, decode)
        by_name.update((m.query, (m.field, self.member(m))) for m in spec.members)
        return decode

    def list(self, spec: ListShape) -> Decoder:
        item = self.get(spec.member)

        def decode(node: Tree | str) -> Any:
            out = []
            for index, v in _numbered(node):
                try:
                    out.append(item(v))
                except Invalid as e:
                    e.path.append(index)  # the error names IpPermissions.1.FromPort
                    raise
            return tuple(out)

        return decode

    def map(self, spec: MapShape) -> Decoder:
        dec_key, dec_value = self.get(spec.key), self.get(spec.value)
        key_name, value_name = spec.key_query, spec.value_query

        def decode(node: Tree | str) -> Any:
            if not spec.flattened:
                if isinstance(node, str) or set(node) != {"entry"}:
                    raise Invalid("expected map entries (Name.entry.N.Key)")
                node = node["entry"]
            out = {}
            for _, entry in _numbered(node):
                if isinstance(entry, str) or set(entry) != {key_name, value_name}:
                    raise Invalid(f"a map entry needs exactly {key_name} and {value_name}")
                out[dec_key(entry[key_name])] = dec_value(entry[value_name])
            return out

        return decode

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> Decoder:
        parse: Callable[[str], Any] = _PARSERS.get(spec.kind, scalars.parse_int)

        def decode(node: Tree | str) -> Any:
            if not isinstance(node, str):
                raise Invalid(f"expected a value, got nested parameters {sorted(node)}")
            try:
                return parse(node)
            except ValueError as e:
                raise Invalid(str(e)) from None

        return decode


_PARSERS: dict[str, Callable[[str], Any]] = {
    STRING: str,
    BOOLEAN: scalars.parse_bool,
    FLOAT: scalars.parse_float,
    DOUBLE: scalars.parse_float,
    TIMESTAMP: scalars.parse_timestamp,
    BLOB: scalars.parse_blob,
}


def _pairs(pairs: Any) -> list[tuple[str, str]]:
    """The (key, value) text pairs given, or a ParamValidationError saying what to pass."""
    hint = "pass (key, value) pairs of text, e.g. urllib.parse.parse_qsl(body)"
    if isinstance(pairs, (str, bytes, Mapping)):
        raise ParamValidationError(f"from_query: {hint}; got {describe(pairs)}")
    try:
        given = list(pairs)
    except TypeError:
        raise ParamValidationError(f"from_query: {hint}; got {describe(pairs)}") from None
    for pair in given:
        if not (
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], str)
        ):
            raise ParamValidationError(f"from_query: {hint}; got the item {describe(pair)}")
    return [(k, v) for k, v in given]


def _insert(tree: Tree, key: str, value: str) -> None:
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        sub = node.setdefault(part, {})
        if isinstance(sub, str):
            raise ParamValidationError(
                f"parameter {key!r} conflicts with a plain value at {part!r}"
            )
        node = sub
    if parts[-1] in node:
        raise ParamValidationError(f"parameter {key!r} is given twice or conflicts with another")
    node[parts[-1]] = value


def _numbered(node: Tree | str) -> list[tuple[str, Tree | str]]:
    """The entries of a ``.N`` list in index order, each with its index.

    Indices may skip numbers: an entry that sends nothing (a structure with no member
    set) leaves a gap, as it does in botocore's parameters, and the later entries stand.
    """
    if isinstance(node, str):
        raise Invalid("expected a numbered list (Name.1, Name.2, ...)")
    if not all(k.isdecimal() and k.isascii() and k[0] != "0" for k in node):
        raise Invalid(f"list indices must be whole numbers from 1, got {sorted(node)}")
    # Whole numbers without leading zeros sort by length, then text: int() would refuse
    # an index of more than 4300 digits.
    return [(k, node[k]) for k in sorted(node, key=lambda k: (len(k), k))]

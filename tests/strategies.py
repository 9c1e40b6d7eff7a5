"""Hypothesis strategies for any generated service, driven by its wire tables.

``shape_strategy(service, "IpPermission")`` draws instances of a generated shape;
``ShapeStrategies`` holds the knobs (list size, recursion depth, floats). Nothing
here knows about EC2: every decision comes from the ``_schema`` records.
"""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

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
    Member,
    Scalar,
    Service,
    Structure,
)

UTC = datetime.timezone.utc
# XML 1.0 cannot carry these even as character references. "\r" is allowed: the XML
# encoder writes it as "&#13;", which keeps it from being normalised to "\n".
_NOT_XML = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]

#: Text any codec must carry unchanged: XML 1.0 characters, no lone surrogates.
xml_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=_NOT_XML),
    max_size=12,
)

#: Text without leading or trailing whitespace (for values a reader strips).
stripped_xml_text = xml_text.map(str.strip)

# Timestamps whose years strftime and fromisoformat both write with four digits.
_MIN_TIME = datetime.datetime(1900, 1, 1)
_MAX_TIME = datetime.datetime(2200, 1, 1)


def _timestamps(timestamp_format: str | None) -> st.SearchStrategy[datetime.datetime]:
    any_time = st.datetimes(_MIN_TIME, _MAX_TIME, timezones=st.just(UTC))
    whole_seconds = any_time.map(lambda d: d.replace(microsecond=0))
    if timestamp_format == "rfc822":
        # An HTTP date has no fraction of a second, so no codec could keep one.
        return whole_seconds
    return st.one_of(whole_seconds, any_time)


class ShapeStrategies:
    """Builds (and caches) a strategy per shape of one service.

    Recursion is bounded by ``max_depth``: below it, optional structures, lists and
    maps are left out (None), so recursive models still produce finite values.
    """

    def __init__(
        self,
        service: Service,
        *,
        max_size: int = 3,
        max_depth: int = 6,
        allow_nan: bool = False,
        allow_infinity: bool = True,
        text: st.SearchStrategy[str] = xml_text,
    ) -> None:
        self.service = service
        self.max_size = max_size
        self.max_depth = max_depth
        self.allow_nan = allow_nan
        self.allow_infinity = allow_infinity
        self.text = text
        self._cache: dict[tuple[str, int], st.SearchStrategy[Any]] = {}

    def shape(self, name: str, depth: int = 0) -> st.SearchStrategy[Any]:
        """Values of the named shape, as the codecs' decoders would return them."""
        key = (name, min(depth, self.max_depth + 1))
        found = self._cache.get(key)
        if found is None:
            # Deferred, so a shape that reaches itself refers to its own cache entry.
            found = st.deferred(lambda: self._build(name, key[1]))
            self._cache[key] = found
        return found

    def _build(self, name: str, depth: int) -> st.SearchStrategy[Any]:
        spec = self.service.shapes[name]
        if isinstance(spec, Structure):
            fields = {m.field: self._member(m, depth) for m in spec.members}
            return st.builds(spec.cls, **fields)
        if isinstance(spec, ListShape):
            # Tuples, because that is what every decoder gives back for a list.
            item = self.shape(spec.member, depth + 1)
            return st.lists(item, max_size=self.max_size).map(tuple)
        if isinstance(spec, MapShape):
            keys = self.shape(spec.key, depth + 1)
            values = self.shape(spec.value, depth + 1)
            return st.dictionaries(keys, values, max_size=self.max_size)
        return self.scalar(spec)

    def _member(self, member: Member, depth: int) -> st.SearchStrategy[Any]:
        target = self.service.shapes[member.shape]
        if isinstance(target, Scalar):
            # A member may give its own timestamp format, so its scalars are drawn here.
            value = self.scalar(target, member.timestamp_format)
        elif depth >= self.max_depth and not member.required:
            return st.none()
        else:
            value = self.shape(member.shape, depth + 1)
        return value if member.required else st.none() | value

    def scalar(self, spec: Scalar, timestamp_format: str | None = None) -> st.SearchStrategy[Any]:
        """Values of one scalar kind, within the range the wire can carry."""
        kind = spec.kind
        if kind == STRING:
            # Enum values are what real traffic holds; free text checks nothing relies on them.
            return st.sampled_from(spec.enum) | self.text if spec.enum else self.text
        if kind == INTEGER:
            return st.integers(-(2**31), 2**31 - 1)
        if kind == LONG:
            return st.integers(-(2**63), 2**63 - 1)
        if kind == BOOLEAN:
            return st.booleans()
        if kind in (FLOAT, DOUBLE):
            return st.floats(
                allow_nan=self.allow_nan,
                allow_infinity=self.allow_infinity,
                width=32 if kind == FLOAT else 64,
            )
        if kind == TIMESTAMP:
            return _timestamps(timestamp_format or spec.timestamp_format)
        if kind == BLOB:
            return st.binary(max_size=16)
        raise ValueError(f"no strategy for scalar kind {kind!r}")


def shape_strategy(service: Service, shape_name: str, **options: Any) -> st.SearchStrategy[Any]:
    """Instances of any shape of ``service`` (options as for ShapeStrategies)."""
    return ShapeStrategies(service, **options).shape(shape_name)

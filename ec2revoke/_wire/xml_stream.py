"""One streaming pass from XML bytes to dataclasses, on defusedxml's expat parser.

defusedxml's DefusedXMLParser creates the expat parser and installs its guards (no
DTD, no entity declarations, no external references); we then set only the element
callbacks, so the body becomes dataclasses without an element tree in between.

The wire tables are compiled into *transitions*: for each element a parent may hold,
a tuple saying what the element is, where its value goes and how to finish it.
Expat hands text straight to a list's ``append`` (no Python frame per text run) and
each element costs one dictionary lookup on its tag, which expat interns, so the
lookup's hash is cached. Tags are matched by local name, so every EC2 namespace
version parses; unknown elements are skipped; a list's entries are its child elements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from defusedxml.ElementTree import DefusedXMLParser

from ec2revoke._wire import scalars
from ec2revoke._wire.compiler import ShapeCompiler
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

# What an element is.
_SCALAR, _STRUCT, _LIST, _MAP, _ENTRY, _SKIP = range(6)
# Where its value goes in the parent's accumulator.
_SET, _APPEND, _APPEND_FIELD, _PUT, _PUT_FIELD = range(5)
REQUEST_ID = "\0requestId"  # a key no Python field can have
# EC2 bodies nest about ten elements deep; past this a body is hostile or broken.
MAX_DEPTH = 1000
# Caches of full (namespaced) tag -> transition stop growing here, so a body full of
# made-up tags cannot make them grow without bound.
_CACHE_LIMIT = 256

# A transition: (kind, field, delivery, finish, children, empty_is_absent, what).
Transition = tuple[int, Any, int, Any, "Children", bool, str]
# A node: how to read an element of one shape, wherever it appears.
Node = tuple[int, Any, "Children", bool, str]


class WrongRoot(Exception):
    """The document element is not the one expected."""

    def __init__(self, local: str) -> None:
        super().__init__(local)
        self.local = local


class BadValue(Exception):
    """An element's text is not a value of its shape's kind."""

    def __init__(self, element: str, text: str, what: str) -> None:
        super().__init__(f"<{element[:60]}> should be {what}, got {text[:60]!r}")


class Repeated(BadValue):
    """A member that is one value appears twice: which one EC2 meant cannot be known."""

    def __init__(self, element: str) -> None:
        Exception.__init__(
            self,
            f"<{element[:60]}> appears more than once, so which value EC2 meant cannot be known",
        )


class TooDeep(Exception):
    """Elements nest deeper than any EC2 response does."""

    def __init__(self, element: str) -> None:
        super().__init__(
            f"elements are nested more than {MAX_DEPTH} levels deep (at <{element[:60]}>)"
        )


class Children(dict[str, Transition]):
    """An element's possible children by full tag; resolves (and caches) by local name."""

    __slots__ = ("by_local", "default")

    def __init__(
        self, by_local: dict[str, Transition] | None = None, default: Transition | None = None
    ):
        super().__init__()
        self.by_local = by_local if by_local is not None else {}
        self.default = default  # what any unlisted child is: a list entry, or skipped

    def __missing__(self, tag: str) -> Transition:
        found = self.by_local.get(tag.rpartition("}")[2], self.default or SKIP)
        if len(self) < _CACHE_LIMIT:
            self[tag] = found
        return found


class _Root(Children):
    __slots__ = ("expect",)

    def __init__(self, expect: str | None, root: Transition) -> None:
        super().__init__(default=root)
        self.expect = expect

    def __missing__(self, tag: str) -> Transition:
        local = tag.rpartition("}")[2]
        if self.expect is not None and local != self.expect:
            raise WrongRoot(local)
        assert self.default is not None
        return self.default


NOTHING = Children()
SKIP: Transition = (_SKIP, None, _SET, None, NOTHING, False, "")
# A child element of a scalar: skipped, but it ends the scalar's own text. A scalar's
# value is its text before any child, as botocore reads ``node.text``, so that
# <return>false<x/>true</return> is false, not "true" (the text after the child).
IN_SCALAR_SKIP: Transition = (_SKIP, None, _SET, None, NOTHING, False, "")
IN_SCALAR = Children(default=IN_SCALAR_SKIP)

_CONVERTERS: dict[str, tuple[Callable[[str], Any], str]] = {
    STRING: (str, "text"),
    INTEGER: (int, "an integer"),
    LONG: (int, "an integer"),
    BOOLEAN: (scalars.parse_bool, "true or false"),
    FLOAT: (scalars.parse_float, "a number"),
    DOUBLE: (scalars.parse_float, "a number"),
    TIMESTAMP: (scalars.parse_timestamp, "a timestamp"),
    BLOB: (scalars.parse_blob, "base64 data"),
}


def _at(node: Node, field: Any, delivery: int) -> Transition:
    kind, finish, children, empty_is_absent, what = node
    return (kind, field, delivery, finish, children, empty_is_absent, what)


def _builder(
    cls: type[Any], spec: Structure, flattened: list[str]
) -> Callable[[dict[str, Any]], Any]:
    """Builds a dataclass from collected fields, straight into its slots.

    The values are already the right types (lists as tuples), so __init__ and its
    checks are skipped; only required members are checked, as __init__ would.
    """
    new = object.__new__
    setters = tuple((f, getattr(cls, f).__set__) for f in cls.__dataclass_fields__)
    required = tuple(m.field for m in spec.members if m.required)

    def build(values: dict[str, Any]) -> Any:
        for name in flattened:
            if name in values:
                values[name] = tuple(values[name])
        get = values.get
        for name in required:
            if get(name) is None:
                raise BadValue(cls.__name__, "", f"complete (it lacks {name})")
        obj = new(cls)
        for name, set_slot in setters:
            set_slot(obj, get(name))
        return obj

    return build


class Plan(ShapeCompiler[Node]):
    """Compiles a service's wire tables into nodes and transitions, once per shape."""

    def structure(self, name: str, spec: Structure) -> Node:
        children = Children()
        flattened: list[str] = []  # filled below; the builder reads it when it runs
        node: Node = (_STRUCT, _builder(spec.cls, spec, flattened), children, False, name)
        # Cached before the members, so a recursive member finds this node.
        self.remember(name, node)
        for m in spec.members:
            target = self.service.shapes[m.shape]
            if isinstance(target, ListShape) and (m.flattened or target.flattened):
                # Each repeated element is one entry of the list.
                t = _at(self.get(target.member), m.field, _APPEND_FIELD)
                flattened.append(m.field)
            elif isinstance(target, MapShape) and (m.flattened or target.flattened):
                t = _at(self._entry(target), m.field, _PUT_FIELD)
            else:
                t = _at(self.member(m), m.field, _SET)
            children.by_local[m.xml] = t
        return node

    def list(self, spec: ListShape) -> Node:
        item = _at(self.get(spec.member), None, _APPEND)
        return (_LIST, tuple, Children(default=item), False, "a list")

    def map(self, spec: MapShape) -> Node:
        entry = _at(self._entry(spec), None, _PUT)
        return (_MAP, None, Children(default=entry), False, "a map")

    def _entry(self, spec: MapShape) -> Node:
        parts = {
            spec.key_xml: _at(self.get(spec.key), "k", _SET),
            spec.value_xml: _at(self.get(spec.value), "v", _SET),
        }
        return (_ENTRY, None, Children(parts), False, "a map entry")

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> Node:
        convert, what = _CONVERTERS[spec.kind]
        # An empty <toPort/> reads as absent for numbers, booleans and timestamps;
        # strings keep "" and blobs b"", as botocore does.
        return (_SCALAR, convert, IN_SCALAR, spec.kind not in (STRING, BLOB), what)

    def root(self, shape: str | None, expect: str | None) -> Children:
        """Where decoding starts: a document element named ``expect`` holding ``shape``.

        The root also takes the response's requestId, under REQUEST_ID.
        """
        if shape is None:
            node: Node = (_STRUCT, lambda values: None, Children(), False, "")
        else:
            node = self.get(shape)
        base = node[2]
        # The structure's own entry for it is cached, possibly before its members were
        # compiled (recursive shapes), so the children are read at call time here.
        by_local = dict(base.by_local)
        by_local.setdefault("requestId", _at(self.get_string(), REQUEST_ID, _SET))
        root = (_STRUCT, None, _SET, node[1], Children(by_local), False, "")
        return _Root(expect, root)

    def get_string(self) -> Node:
        """The node of a plain string."""
        return self.scalar(Scalar(STRING), None)


def decode(body: bytes, root: Children) -> dict[str, Any]:
    """The fields of the document element, with its result under ``"result"``.

    Raises WrongRoot, BadValue, TooDeep, expat's ExpatError or defusedxml's errors.
    """
    text: list[str] = []
    clear = text.clear
    stack: list[Transition] = []
    push, pop = stack.append, stack.pop
    kids: list[Children] = [root]
    kid_push, kid_pop = kids.append, kids.pop
    accs: list[Any] = []
    acc_push, acc_pop = accs.append, accs.pop
    done: list[dict[str, Any]] = []
    own: list[str] = []  # the current scalar's text before its first child element

    def start(tag: str, attrs: Any) -> None:
        t = kids[-1][tag]
        if t is IN_SCALAR_SKIP and not own:
            own.append("".join(text))
        clear()
        push(t)
        kid_push(t[4])
        kind = t[0]
        if kind is not _SCALAR:
            if kind is not _SKIP:
                acc_push({} if kind is _STRUCT or kind is _ENTRY or kind is _MAP else [])
            if len(stack) > MAX_DEPTH:
                raise TooDeep(tag.rpartition("}")[2])

    def end(tag: str) -> None:
        t = pop()
        kid_pop()
        kind = t[0]
        if kind is _SCALAR:
            value_text = own.pop() if own else "".join(text)
            if not value_text and t[5]:
                if t[2] is _SET:
                    # Absent, but there: a second <return> must still count as a repeat.
                    acc = accs[-1]
                    if t[1] in acc:
                        raise Repeated(tag.rpartition("}")[2])
                    acc[t[1]] = None
                return
            try:
                value = t[3](value_text)
            except ValueError:
                raise BadValue(tag.rpartition("}")[2], value_text, t[6]) from None
        elif kind is _SKIP:
            return
        else:
            acc = acc_pop()
            if kind is _STRUCT:
                if not accs:
                    acc["result"] = t[3](acc)
                    done.append(acc)
                    return
                value = t[3](acc)
            elif kind is _LIST:
                value = tuple(acc)
            elif kind is _MAP:
                value = acc
            else:  # a map entry
                if acc.get("k") is None or acc.get("v") is None:
                    return
                value = (acc["k"], acc["v"])
        delivery = t[2]
        if delivery is _SET:
            acc = accs[-1]
            field = t[1]
            if field in acc:
                if kind is not _LIST:
                    raise Repeated(tag.rpartition("}")[2])
                # A list given twice: keep the entries of both, so that a later empty
                # <unknownIpPermissionSet/> cannot hide an earlier one's rules. (botocore
                # reads it as that many empty entries, losing them; see test_hostile_xml.)
                value = acc[field] + value
            acc[field] = value
        elif delivery is _APPEND:
            accs[-1].append(value)
        elif delivery is _APPEND_FIELD:
            accs[-1].setdefault(t[1], []).append(value)
        elif delivery is _PUT:
            accs[-1][value[0]] = value[1]
        else:
            accs[-1].setdefault(t[1], {})[value[0]] = value[1]

    # UTF-8 whatever the declaration says, as botocore reads EC2 bodies: expat then never
    # looks up a declared name, so "bogus-8" or "shift_jis" cannot raise LookupError.
    parser = DefusedXMLParser(forbid_dtd=True, encoding="utf-8").parser
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.Parse(body, True)
    if not done:
        raise BadValue("document", "", "a complete document")
    return done[0]

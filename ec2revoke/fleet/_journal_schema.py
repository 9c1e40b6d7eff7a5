"""The journal's schema: the fields of each kind of record and their types.

Every record read back is checked against it before it counts, so a hand-edited or
foreign line (``"groups": "sg-abc"``, ``"status": "maybe"``) is refused, never read
as something else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STATUSES = ("done", "failed", "dry-run")


class SchemaError(Exception):
    """A record that does not fit: the message names the field."""


Check = Callable[[Any, str], None]


def _shown(value: Any) -> str:
    kind = {str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), {list: "a list", dict: "an object", type(None): "null"}.get(type(value), "?")
    )
    text = repr(value)
    return f"{kind} ({text if len(text) <= 40 else text[:37] + '...'})"


def _fail(name: str, wanted: str, value: Any) -> SchemaError:
    return SchemaError(f"{name!r} must be {wanted}, not {_shown(value)}")


def text(value: Any, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise _fail(name, "non-empty text", value)


def any_text(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise _fail(name, "text", value)


def flag(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise _fail(name, "true or false", value)


def number(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(name, "a number", value)


def version(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(name, "a whole number from 1", value)


def texts(value: Any, name: str) -> None:
    if not isinstance(value, list):
        raise _fail(name, "a list of text", value)
    for item in value:
        text(item, f"{name}[]")


def mapping(value: Any, name: str) -> None:
    if not isinstance(value, dict):
        raise _fail(name, "an object", value)


def status(value: Any, name: str) -> None:
    if value not in STATUSES:
        raise _fail(name, " or ".join(repr(s) for s in STATUSES), value)


def target(value: Any, name: str) -> None:
    text(value, name)
    if len(value.split("/")) != 3 or not all(value.split("/")):
        raise _fail(name, "account/region/group", value)


def obj(**fields: Check) -> Check:
    """An object with exactly these fields."""

    def check(value: Any, name: str) -> None:
        mapping(value, name)
        for key in value:
            if key not in fields:
                raise SchemaError(f"{name!r} has an unknown field {key!r}")
        for key, inner in fields.items():
            if key not in value:
                raise SchemaError(f"{name!r} lacks {key!r}")
            inner(value[key], key)

    return check


def list_of(inner: Check) -> Check:
    def check(value: Any, name: str) -> None:
        if not isinstance(value, list):
            raise _fail(name, "a list", value)
        for item in value:
            inner(item, name)

    return check


def dict_of(inner: Check) -> Check:
    def check(value: Any, name: str) -> None:
        mapping(value, name)
        for key, item in value.items():
            inner(item, f"{name}.{key}")

    return check


def optional(inner: Check) -> Check:
    def check(value: Any, name: str) -> None:
        if value is not None:
            inner(value, name)

    return check


ERROR = obj(code=any_text, message=any_text)
SCOPE = obj(
    accounts=list_of(dict_of(any_text)),
    regions=texts,
    group_ids=texts,
    filters=list_of(obj(name=text, values=list_of(any_text))),
    partition=text,
    endpoints=dict_of(optional(text)),
)
PLAN = obj(present=list_of(obj(id=any_text, rule=any_text, permission=mapping)), absent=texts)
REVOKED = list_of(obj(id=any_text, rule=any_text))

# event -> (field -> check, the fields it must have)
EVENTS: dict[str, tuple[dict[str, Check], tuple[str, ...]]] = {
    "run": (
        {
            "version": version,
            "action": mapping,
            "dry_run": flag,
            "scope": SCOPE,
            "account_ids": dict_of(texts),
            "resumed": flag,
        },
        ("action", "dry_run"),
    ),
    "planned": (
        {
            "account": text,
            "region": text,
            "groups": texts,
            "complete": flag,
            "missing": list_of(any_text),
        },
        ("account", "region", "groups", "complete"),
    ),
    "lane-failed": (
        {"account": text, "region": text, "error": ERROR},
        ("account", "region", "error"),
    ),
    "started": ({"target": target, "plan": PLAN}, ("target", "plan")),
    "done": (
        {
            "target": target,
            "account": text,
            "region": text,
            "group": text,
            "status": status,
            "revoked": REVOKED,
            "already_absent": list_of(any_text),
            "unknown": list_of(any_text),
            "error": ERROR,
            "resumed": flag,
        },
        ("target", "account", "region", "group", "status", "revoked", "already_absent", "unknown"),
    ),
}


def check_record(record: Any, *, first: bool) -> None:
    """Raise SchemaError unless ``record`` is a journal record (``first``: the file's first)."""
    if not isinstance(record, dict):
        raise SchemaError(f"a record is a JSON object, not {_shown(record)}")
    event = record.get("event")
    if not isinstance(event, str) or event not in EVENTS:
        raise SchemaError(f"'event' is {_shown(event)}, not one of {', '.join(EVENTS)}")
    if first and event != "run":
        raise SchemaError(f"the first record must be the run's header ('run'), not {event!r}")
    fields, required = EVENTS[event]
    for key in record:
        if key not in fields and key not in ("event", "ts"):
            raise SchemaError(f"a {event!r} record has an unknown field {key!r}")
    for key in required:
        if key not in record:
            raise SchemaError(f"a {event!r} record lacks {key!r}")
    if "ts" in record:
        number(record["ts"], "ts")
    for key, check in fields.items():
        if key in record:
            check(record[key], key)
    if event == "run" and record.get("version", 1) >= 2 and "scope" not in record:
        raise SchemaError("a version 2 'run' record lacks 'scope'")
    if event == "done":
        named = f"{record['account']}/{record['region']}/{record['group']}"
        if record["target"] != named:
            raise SchemaError(f"'target' {record['target']!r} is not its group's ({named!r})")

"""A bounded fuzz of the public entry points: whatever goes in, what comes out is an
answer or one of the project's typed errors.

The builder, ``codec.from_dict``, ``codec.from_query`` and ``codec.parse_response`` get
hostile input (wrong types, None, nested junk, text with other scripts' digits, huge
numbers, floats, bools, bytes); any exception they raise must be an EC2Error. The
command line gets random ``revoke-security-group-ingress|egress`` argument lists built
from its real option names, against a local endpoint that answers every request with
an empty success; it must never reach its catch-all (exit 255 with ``TypeName:
message``) nor print a traceback. Each target is bounded in examples, the file in time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ec2revoke import EC2Error, Rule, codec, shapes
from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire.schema import ListShape, Structure
from ec2revoke.cli._main import run
from ec2revoke.cli._options import EGRESS, INGRESS, build_parser

FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
RECORDED = Path(__file__).parent / "recorded"

# Digits int() reads but that are not ASCII (double-struck four, Arabic-Indic four,
# Devanagari four, fullwidth one), superscript two (isdigit() but not int()), a circled one.
ODD_DIGITS = ["\U0001d7dc", "\u0664", "\u096a", "\uff11", "\u00b2", "\u2460"]
WORDS = [
    "tcp", "udp", "icmp", "icmpv6", "all", "-1", "6", "17", "58", "47", "256", "TCP", " tcp ",
    "22", "0", "65535", "65536", "-2", "2_2", " 22", "1e3", "0x16", "22-25", "3-4",
    "10.0.0.0/8", "0.0.0.0/0", "::/0", "2001:db8::/32", "10.0.0.1", "300.0.0.0/8", "10.0.0.0/33",
    "sg-0abc", "sg-", "pl-1", "pl-", "sgr-1", "123456789012", "web", "", " ", "null",
    "true", "false", "None", "file:///nonexistent/x", "fileb:///nonexistent/x",
]  # fmt: skip

text = st.one_of(
    st.sampled_from(WORDS + ODD_DIGITS),
    st.text(max_size=12),
    st.lists(st.sampled_from(WORDS + ODD_DIGITS + ["-", ",", "=", "/", "."]), max_size=4).map(
        "".join
    ),
)
HUGE = 10**5000  # more digits than str() writes (sys.get_int_max_str_digits())
writable = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-70000, 70000),
    st.integers(),
    st.floats(allow_nan=True),
    text,
    st.binary(max_size=8),
)
scalars = st.one_of(writable, st.just(0).map(lambda _: HUGE))  # st.just(HUGE) cannot repr
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(text, st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)


def _typed(error: BaseException) -> None:
    assert isinstance(error, EC2Error), f"{type(error).__name__}: {error}"


# -- the builder ---------------------------------------------------------------------------

_FACTORIES = [
    (Rule.tcp, 1, 2),
    (Rule.udp, 1, 2),
    (Rule.icmp, 1, 2),
    (Rule.icmpv6, 1, 2),
    (Rule.protocol, 1, 3),
    (Rule.tcp_range, 2, 2),
]
_STEPS = [
    "from_cidr",
    "from_group",
    "from_prefix_list",
    "to_cidr",
    "to_group",
    "to_prefix_list",
    "describe",
    "from_any_ipv4",
    "to_any_ipv6",
]
ports = st.one_of(st.integers(-2, 65536), scalars)
# Peer and protocol arguments: text, or any scalar (a number too long to print included).
peer_values = st.one_of(text, scalars)


@FUZZ
@given(data=st.data())
def test_the_builder_raises_only_typed_errors(data: st.DataObject) -> None:
    factory, low, high = data.draw(st.sampled_from(_FACTORIES), label="factory")
    count = data.draw(st.integers(low, high), label="count")
    first = [peer_values] if factory is Rule.protocol else [ports]
    args = [data.draw((first + [ports] * 3)[i], label=f"arg{i}") for i in range(count)]
    try:
        rule = factory(*args)
        for _ in range(data.draw(st.integers(0, 3), label="steps")):
            step = data.draw(st.sampled_from(_STEPS), label="step")
            method = getattr(rule, step)
            if step.endswith(("any_ipv4", "any_ipv6")):
                rule = method()
            elif step.endswith("group"):
                extra = data.draw(
                    st.dictionaries(
                        st.sampled_from(["user_id", "vpc_id", "peering_connection_id"]),
                        peer_values,
                        max_size=2,
                    ),
                    label="extra",
                )
                rule = method(data.draw(peer_values, label="group"), **extra)
            elif step == "describe":
                rule = method(data.draw(text | scalars, label="description"))
            else:
                rule = method(data.draw(peer_values, label="peer"))
        str(rule)
        rule.to_ip_permission()
    except Exception as e:  # the point: which exceptions come out
        _typed(e)


# -- codec.from_dict -----------------------------------------------------------------------

REQUESTS = sorted(op.input for op in SERVICE.operations.values() if op.input is not None)


def _member_names(shape: str, depth: int = 0) -> set[str]:
    spec = SERVICE.shapes[shape]
    if isinstance(spec, ListShape):
        return _member_names(spec.member, depth)
    if not isinstance(spec, Structure) or depth > 3:
        return set()
    names = {m.name for m in spec.members}
    for m in spec.members:
        names |= _member_names(m.shape, depth + 1)
    return names


KEYS = [*sorted(set().union(*(_member_names(r) for r in REQUESTS))), "Bogus", "groupId", ""]


def _plausible(shape: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values near the right shape: the right keys, with junk mixed in anywhere."""
    spec = SERVICE.shapes[shape]
    if depth > 3:
        return junk
    if isinstance(spec, Structure):
        members = {m.name: _plausible(m.shape, depth + 1) for m in spec.members}
        real = st.fixed_dictionaries({}, optional=members)
        fake = st.dictionaries(st.sampled_from(KEYS), junk, max_size=2)
        return st.one_of(real, real, st.builds(lambda a, b: {**a, **b}, real, fake), junk)
    if isinstance(spec, ListShape):
        return st.one_of(st.lists(_plausible(spec.member, depth + 1), max_size=3), junk)
    return st.one_of(scalars, scalars, junk)


@FUZZ
@given(data=st.data())
def test_from_dict_raises_only_typed_errors(data: st.DataObject) -> None:
    shape = data.draw(st.sampled_from(REQUESTS), label="shape")
    cls = SERVICE.shapes[shape].cls  # type: ignore[union-attr]
    value = data.draw(_plausible(shape), label="data")
    target = data.draw(st.sampled_from([cls, cls, cls, None, dict, shapes.IpRange]), label="type")
    try:
        codec.from_dict(target, value)
    except Exception as e:
        _typed(e)


# -- codec.from_query ----------------------------------------------------------------------


def _query_keys() -> list[str]:
    keys: set[str] = set()

    def walk(shape: str, prefix: str, depth: int) -> None:
        spec = SERVICE.shapes[shape]
        if depth > 3:
            return
        if isinstance(spec, Structure):
            for m in spec.members:
                key = f"{prefix}{m.query}"
                keys.add(key)
                walk(m.shape, key + ".", depth + 1)
        elif isinstance(spec, ListShape):
            for n in ("1", "2"):
                keys.add(prefix + n)
                walk(spec.member, f"{prefix}{n}.", depth + 1)

    for request in REQUESTS:
        walk(request, "", 0)
    return sorted(keys)


QUERY_KEYS = _query_keys()
query_key = st.one_of(
    st.sampled_from(QUERY_KEYS),
    st.sampled_from(QUERY_KEYS).map(lambda k: k.replace(".1", ".0")),
    st.sampled_from(QUERY_KEYS).map(lambda k: k.replace(".1", "." + "9" * 5000)),
    st.sampled_from(QUERY_KEYS).map(lambda k: k.replace(".1", ".\u0664")),
    st.sampled_from(QUERY_KEYS).map(lambda k: k + ".x"),
    text,
)


@FUZZ
@given(
    action=st.one_of(st.sampled_from(sorted(SERVICE.operations)), text),
    version=st.sampled_from(["2016-11-15", "2016-11-15", "2014-06-15", ""]),
    pairs=st.lists(st.tuples(query_key, text), max_size=8),
    junk_pairs=st.lists(junk, max_size=1),
)
def test_from_query_raises_only_typed_errors(
    action: str, version: str, pairs: list[tuple[str, str]], junk_pairs: list[Any]
) -> None:
    given_pairs: list[Any] = [("Action", action), ("Version", version), *pairs, *junk_pairs]
    try:
        codec.from_query(given_pairs)
    except Exception as e:
        _typed(e)


# -- codec.parse_response ------------------------------------------------------------------

BODIES = [p.read_bytes() for p in sorted(RECORDED.glob("*.xml"))]
SNIPPETS = [
    b"<return>", b"</return>", b"true", b"false", b"<item>", b"</item>", b"<x/>", b"&amp;",
    b"&lol;", b"<!DOCTYPE r>", b'<?xml version="1.0" encoding="latin-1"?>',
    b'<?xml version="1.0" encoding="bogus"?>', b'<?xml version="1.0" encoding="UTF-16"?>',
    b"\xff\xfe", b"\xef\xbb\xbf", b"<![CDATA[", b"]]>", b"<!-- -->", b"<fromPort>",
    b"</fromPort>", b"99999999999999999999", "\U0001d7dc".encode(), b"<Errors><Error>",
    b"<Code>InvalidPermission.NotFound</Code>", b"</Error></Errors>", b"\x00", b"<", b">",
]  # fmt: skip


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(BODIES), label="recorded"))
    for _ in range(draw(st.integers(0, 4), label="mutations")):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "bytes"]))
        if kind == "insert":
            body[at:at] = draw(st.sampled_from(SNIPPETS))
        elif kind == "delete":
            del body[at : at + draw(st.integers(1, 40))]
        elif kind == "duplicate":
            body[at:at] = body[at : at + draw(st.integers(1, 80))]
        else:
            body[at:at] = draw(st.binary(min_size=1, max_size=6))
    return bytes(body)


@FUZZ
@given(
    operation=st.one_of(st.sampled_from(sorted(SERVICE.operations)), text),
    status=st.one_of(
        st.sampled_from([200, 200, 200, 400, 403, 412, 500, 503]),
        st.integers(-(10**6), 10**6),
        scalars,
    ),
    body=st.one_of(mutated_bodies(), mutated_bodies(), st.binary(max_size=40), scalars),
)
def test_parse_response_raises_only_typed_errors(operation: Any, status: Any, body: Any) -> None:
    try:
        codec.parse_response(operation, status, body)
    except Exception as e:
        _typed(e)


# -- the command line ----------------------------------------------------------------------


class _Success(BaseHTTPRequestHandler):
    """Answers every request with an empty success for its Action."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        pairs = parse_qsl(self.rfile.read(length).decode("utf-8", "replace"))
        operation = dict(pairs).get("Action", "RevokeSecurityGroupIngress")
        result = getattr(shapes, f"{operation}Result", shapes.RevokeSecurityGroupIngressResult)
        body = codec.to_xml(result(return_=True))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Success)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    config = tmp_path_factory.mktemp("fuzz-aws") / "config"
    config.write_text("")
    mp = pytest.MonkeyPatch()
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        mp.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIDFUZZEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "fuzz-secret-not-real",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(config),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        mp.setenv(name, value)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        mp.undo()
        server.shutdown()
        server.server_close()


def _options(command: str) -> list[tuple[str, int | str | None]]:
    """Each option of a command and how many values it takes (None: a flag)."""
    sub = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices[command]
    found: list[tuple[str, int | str | None]] = []
    for action in sub._actions:
        name = action.option_strings[-1] if action.option_strings else None
        if name in (None, "--help", "--endpoint-url", "--region", "--profile", "--debug"):
            continue
        takes = 0 if action.nargs == 0 else action.nargs
        found.append((name, takes))  # type: ignore[arg-type]
    return found


OPTIONS = {command: _options(command) for command in (INGRESS, EGRESS)}
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-70000, 70000) | text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
cli_values = st.one_of(
    text,
    text,
    _JSON.map(json.dumps),
    st.lists(st.tuples(st.sampled_from(KEYS), text), max_size=3).map(
        lambda kv: ",".join(f"{k}={v}" for k, v in kv)
    ),
)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from([INGRESS, EGRESS]), label="command")
    argv = [command]
    if draw(st.booleans(), label="with a group"):
        argv += ["--group-id", draw(st.sampled_from(["sg-1", "sg-0abc"]) | text)]
    for name, takes in draw(
        st.lists(st.sampled_from(OPTIONS[command]), max_size=5), label="options"
    ):
        argv.append(name)
        if takes == 0:
            continue
        count = (
            draw(st.integers(1, 3))
            if takes == "+"
            else (draw(st.integers(0, 1)) if takes == "?" else 1)
        )
        argv += [draw(cli_values) for _ in range(count)]
    return argv


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=argvs())
def test_the_command_line_never_reaches_its_catch_all(endpoint: str, argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run([*argv, "--region", "us-east-1", "--endpoint-url", endpoint], out, err)
    event(f"exit {code}")
    # Every answer is a success and the region and endpoint are fine, so nothing may
    # end in 255: that is the catch-all (or a failure the stub cannot cause).
    assert code != 255, (argv, err.getvalue())
    assert code in (0, 3, 252, 253, 254), (argv, code, err.getvalue())
    assert "Traceback" not in err.getvalue(), argv

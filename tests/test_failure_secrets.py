"""After a transport failure nothing reachable from the error holds a secret.

Error reporters show more than ``str(error)``: Sentry, rich and ``pytest --showlocals``
print every chained exception and the local variables of every frame in their
tracebacks. So these tests provoke real failures (a refused connection, a read
timeout) with credentials that include a session token, and search everything such a
reporter could reach: the ``__cause__``/``__context__`` chain, each exception's
attributes, each traceback frame's locals (into dicts, lists and objects' ``__dict__``
a few levels down, and their reprs), and ``TracebackException(capture_locals=True)``.
Passwords in an endpoint or proxy URL are secrets too.
"""

from __future__ import annotations

import logging
import re
import socket
import traceback
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest

from ec2revoke import (
    ConnectionFailed,
    EC2Client,
    EC2Error,
    RequestTimeout,
    StaticCredentials,
    TransportError,
)
from ec2revoke._http.retry import RetryPolicy
from tests.fault_server import FaultServer, Reply

# Distinctive, so a match cannot be a coincidence; never bound to a local variable in a
# test, or the walk would find the test's own frame holding it.
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRETzKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEzSESSIONzTOKENz0123456789"
URL_PASSWORD = "url-pass-5f3a9c"
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", SECRET, TOKEN)
SIGNATURE = re.compile(r"Signature=[0-9a-f]{64}")
DEPTH = 6


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def client(url: str, **kwargs: Any) -> EC2Client:
    return EC2Client(
        region="us-east-1",
        endpoint_url=url,
        credentials=CREDENTIALS,
        retry_policy=RetryPolicy(max_attempts=kwargs.pop("attempts", 1), random=lambda: 0.0),
        sleep=lambda _: None,
        **kwargs,
    )


def failure(ec2: EC2Client) -> EC2Error:
    """The error a call raises, caught here: the traceback then starts in this frame,
    whose only locals are the client and the error, not in the test's (which holds the
    fault server and its record of the signed requests)."""
    try:
        ec2.describe_security_groups()
    except EC2Error as error:
        return error
    raise AssertionError("the call succeeded")


# --- the walk ---------------------------------------------------------------------------------


def chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]


def frames(tb: TracebackType | None) -> Iterator[Any]:
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


class Finder:
    """Walks objects for strings holding any of ``needles`` (or a SigV4 signature).

    ``depth`` is how far below each frame local and exception the walk goes (0: their
    reprs and texts only, which is what tracebacks with locals print).
    """

    def __init__(self, *needles: str, depth: int = DEPTH) -> None:
        self.needles = needles
        self.depth = depth
        self.found: list[str] = []
        self._seen: set[int] = set()

    def text(self, where: str, value: str) -> None:
        for needle in self.needles:
            if needle in value:
                self.found.append(f"{where}: {needle[:8]}...")
        if SIGNATURE.search(value):
            self.found.append(f"{where}: a SigV4 signature")

    def walk(self, where: str, value: Any, depth: int = 0) -> None:
        if isinstance(value, (str, bytes, bytearray)):
            text = value if isinstance(value, str) else bytes(value).decode("latin-1")
            self.text(where, text)
            return
        if depth > self.depth or id(value) in self._seen or isinstance(value, (int, float, type)):
            return
        self._seen.add(id(value))
        try:
            shown = repr(value)
        except Exception:  # a half-built object; its parts are walked below
            shown = ""
        self.text(f"repr({where})", shown)
        if depth >= self.depth:
            return
        if isinstance(value, dict):
            for key, item in list(value.items()):
                self.walk(f"{where}[{key!r}]", key, depth + 1)
                self.walk(f"{where}[{key!r}]", item, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for i, item in enumerate(list(value)):
                self.walk(f"{where}[{i}]", item, depth + 1)
        elif isinstance(value, BaseException):
            self.walk(f"{where}.args", value.args, depth + 1)
        attrs = getattr(value, "__dict__", None)
        if isinstance(attrs, dict):
            self.walk(f"{where}.__dict__", attrs, depth + 1)

    def error(self, error: BaseException) -> list[str]:
        for i, link in enumerate(chain(error)):
            name = f"chain[{i}]<{type(link).__name__}>"
            self.text(name, str(link))
            self.walk(name, link)
            for frame in frames(link.__traceback__):
                where = f"{name} frame {frame.f_code.co_name}"
                for key, item in frame.f_locals.items():
                    self.walk(f"{where} local {key}", item)
        text = "".join(
            traceback.TracebackException(
                type(error), error, error.__traceback__, capture_locals=True
            ).format()
        )
        self.text("TracebackException(capture_locals=True)", text)
        return self.found


def test_the_walk_finds_a_signature_in_a_frame() -> None:
    # The walk itself must be able to fail: a frame holding a signed header is found.
    def holder() -> None:
        headers = {"Authorization": "AWS4-HMAC-SHA256 Signature=" + "ab" * 32}
        raise RuntimeError("x") from KeyError(len(headers))

    with pytest.raises(RuntimeError) as caught:
        holder()
    found = Finder(TOKEN).error(caught.value)
    assert (
        "chain[0]<RuntimeError> frame holder local headers['Authorization']: a SigV4 signature"
        in found
    )
    assert "TracebackException(capture_locals=True): a SigV4 signature" in found


# --- the failures -----------------------------------------------------------------------------


def test_a_refused_connection_leaves_no_secret_in_the_chain_or_its_frames() -> None:
    with client(f"http://127.0.0.1:{closed_port()}") as ec2:
        error = failure(ec2)
    assert type(error) is ConnectionFailed
    assert Finder(SECRET, TOKEN).error(error) == []
    assert error.__cause__ is not None, "the cause's type and message are kept"
    assert "ConnectionError" in str(error.__cause__)


def test_a_read_timeout_leaves_no_secret_in_the_chain_or_its_frames() -> None:
    with FaultServer() as server:
        server.add(Reply.hang(5))
        with client(server.url, timeout=(5.0, 0.2)) as ec2:
            error = failure(ec2)
        sent = server.requests[0].headers
    assert type(error) is RequestTimeout
    assert sent["x-amz-security-token"] == TOKEN  # signed and sent with the token
    assert Finder(SECRET, TOKEN, sent["authorization"].rsplit("=", 1)[1]).error(error) == []


def test_after_retries_the_error_still_holds_no_secret() -> None:
    with FaultServer() as server:
        server.add(Reply.reset(), Reply.reset(), Reply.hang(5))
        with client(server.url, attempts=3, timeout=(5.0, 0.2)) as ec2:
            error = failure(ec2)
        signatures = [r.headers["authorization"].rsplit("=", 1)[1] for r in server.requests]
    assert isinstance(error, TransportError)
    assert error.attempts == 3
    assert Finder(SECRET, TOKEN, *signatures).error(error) == []


def test_the_cause_is_a_plain_summary_that_pickles() -> None:
    import pickle

    with client(f"http://127.0.0.1:{closed_port()}") as ec2:
        error = failure(ec2)
    cause = error.__cause__
    assert cause is not None
    assert cause.__traceback__ is None
    assert cause.__cause__ is None
    assert cause.__context__ is None
    assert not getattr(cause, "request", None)
    assert error.__context__ is None  # nor is requests' exception kept as the context
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert str(pickle.loads(pickle.dumps(cause))) == str(cause)


# --- passwords in URLs ------------------------------------------------------------------------


def test_a_password_in_the_endpoint_url_is_not_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    port = closed_port()
    url = f"http://admin:{URL_PASSWORD}@127.0.0.1:{port}"
    with client(url) as ec2:
        for shown in (ec2, ec2.endpoint, ec2.transport):
            assert URL_PASSWORD not in repr(shown)
            assert URL_PASSWORD not in str(shown)
        assert "admin:***@127.0.0.1" in repr(ec2)
        error = failure(ec2)
    assert type(error) is ConnectionFailed
    assert f"http://admin:***@127.0.0.1:{port}/" in str(error)
    assert Finder(SECRET, TOKEN).error(error) == []
    # The transport keeps the URL it was given (it must, to send to it); what a
    # traceback with locals prints, and the chain, do not show its password.
    assert Finder(URL_PASSWORD, depth=0).error(error) == []
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "POST http://admin:***@" in logged  # the request line is logged, redacted
    assert URL_PASSWORD not in logged


def test_a_user_name_alone_in_the_url_is_taken_for_a_token() -> None:
    # https://<token>@host is how tokens travel in URLs; with no password, hide the user.
    with client(f"http://{URL_PASSWORD}@127.0.0.1:{closed_port()}") as ec2:
        assert URL_PASSWORD not in repr(ec2)
        assert "***@127.0.0.1" in repr(ec2)
        error = failure(ec2)
    assert Finder(URL_PASSWORD, depth=0).error(error) == []


def test_a_timeout_message_hides_the_url_password() -> None:
    with FaultServer() as server:
        server.add(Reply.hang(5))
        url = server.url.replace("http://", f"http://admin:{URL_PASSWORD}@")
        with client(url, timeout=(5.0, 0.2)) as ec2:
            error = failure(ec2)
    assert type(error) is RequestTimeout
    assert "admin:***@127.0.0.1" in str(error)
    assert Finder(SECRET, TOKEN).error(error) == []
    assert Finder(URL_PASSWORD, depth=0).error(error) == []


def test_an_endpoint_url_password_is_not_sent() -> None:
    # The transport signs with SigV4 only; user information in the URL goes nowhere.
    with FaultServer() as server:
        server.add(Reply.error("InvalidParameterValue", "no", 400))
        url = server.url.replace("http://", f"http://admin:{URL_PASSWORD}@")
        with client(url) as ec2:
            failure(ec2)
        sent = server.requests[0]
    assert sent.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert URL_PASSWORD not in repr(sent.headers)
    assert URL_PASSWORD not in sent.path
    assert b"admin" not in sent.body

"""What the Stubber and a cassette replay share: a FIFO script of answers, served at
requests' HTTPAdapter through ``responses``, and the assertion errors a test sees.

A request is decoded from its form body with the Query codec, checked against the
next step (operation, then parameters) and answered with that step's HTTP response.
A request that does not fit raises in the code under test and is kept in ``errors``,
so a test still fails when the code under test catches and hides the error.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl

import requests
import responses
from typing_extensions import Self

from ec2revoke import codec
from ec2revoke._errors import EC2Error
from ec2revoke.testing._match import (
    actual_tree,
    differences,
    exactly,
    expected_tree,
    operation_named,
)

F = TypeVar("F", bound=Callable[..., Any])

XML = "text/xml;charset=UTF-8"


# These derive from AssertionError, not EC2Error: code that handles EC2 errors must
# not mistake a broken test script for an answer from EC2. Test reports name them
# by ``__module__``: the public one, where users import them from.
class StubAssertionError(AssertionError):
    """A call the script did not expect, or answers the code never asked for."""

    __module__ = "ec2revoke.testing"


class StubResponseError(StubAssertionError):
    """A call for another operation, or with other parameters, than the next answer is for."""

    __module__ = "ec2revoke.testing"


class UnstubbedRequestError(StubAssertionError):
    """A call made after every answer in the script was used."""

    __module__ = "ec2revoke.testing"


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP response to serve."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": XML})


@dataclass(frozen=True, slots=True)
class Step:
    """The next call the script expects and the answer it gets."""

    operation: str
    expected: Any  # a tree from expected_tree(), or ANY
    answer: Answer


class Script:
    """A FIFO queue of steps; ``respond`` is the ``responses`` callback."""

    def __init__(
        self,
        *,
        what: str,
        refill_hint: str,
        same: Callable[[Any, Any], bool] = exactly,
        url: str | None = None,
        url_note: str = "",
        against: str = "expected_params",
    ) -> None:
        self.url = url  # None: answer requests to any endpoint
        self.url_note = url_note  # where ``url`` came from and what to do instead, for messages
        self.against = against  # what a call's parameters are compared with, for messages
        self.what = what  # "stubbed response", "recorded response"
        self.refill_hint = refill_hint
        self.same = same
        self.steps: deque[Step] = deque()
        self.sent: list[Any] = []
        self.errors: list[StubAssertionError] = []
        self.calls = 0
        self.used = 0
        self._lock = threading.Lock()

    def expect(self, operation: str, expected_params: object, answer: Answer) -> None:
        """Queue an answer for the next ``operation`` call matching ``expected_params``."""
        op = operation_named(operation)
        self.steps.append(Step(op.name, expected_tree(op, expected_params), answer))

    def respond(self, request: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        """Answer one intercepted request, or raise (and keep) a StubAssertionError."""
        with self._lock:
            self.calls += 1
            call = self.calls
            if self.url is not None and request.url != self.url:
                raise self.refuse(
                    StubAssertionError(
                        f"call {call}: a request to {request.url}, but this Stubber answers "
                        f"{self.url}{self.url_note}"
                    )
                )
            try:
                operation, sent = decode(request)
            except ValueError as e:
                raise self.refuse(
                    StubResponseError(f"call {call}: not an EC2 Query call: {e}")
                ) from None
            self.sent.append(sent)
            if not self.steps:
                raise self.refuse(
                    UnstubbedRequestError(
                        f"call {call}: the code called {operation}, but no {self.what} is left "
                        f"({self.used} used); {self.refill_hint}"
                    )
                )
            step = self.steps[0]
            if step.operation != operation:
                raise self.refuse(
                    StubResponseError(
                        f"call {call}: expected a {step.operation} call, "
                        f"but the code called {operation}"
                    )
                )
            op = operation_named(operation)
            assert op.input is not None
            found = differences(step.expected, actual_tree(op, sent), op.input, same=self.same)
            if found:
                raise self.refuse(
                    StubResponseError(
                        f"call {call} ({operation}): parameters differ from {self.against}:\n  "
                        + "\n  ".join(found)
                    )
                )
            self.steps.popleft()
            self.used += 1
            answer = step.answer
            return answer.status, dict(answer.headers), answer.body

    def refuse(self, error: StubAssertionError) -> StubAssertionError:
        """Keep ``error`` for assert_no_pending() and hand it back to raise."""
        self.errors.append(error)
        return error

    def assert_no_pending(self) -> None:
        """Fail if a call was refused (even if the code caught it) or an answer is unused."""
        if self.errors:
            raise StubAssertionError(
                f"{len(self.errors)} call(s) were refused during the test "
                "(the code under test may have caught the error):\n"
                + "\n".join(str(e) for e in self.errors)
            )
        if self.steps:
            raise StubAssertionError(
                f"{len(self.steps)} {self.what}(s) never used: "
                + ", ".join(s.operation for s in self.steps)
            )


def decode(request: requests.PreparedRequest) -> tuple[str, Any]:
    """The operation and request dataclass of an EC2 Query request; ValueError if not one."""
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str) or request.method != "POST":
        raise ValueError(f"{request.method} {request.url} has no form body")
    pairs = parse_qsl(body, keep_blank_values=True)
    action = dict(pairs).get("Action")
    try:
        sent = codec.from_query(pairs)
    except EC2Error as e:
        raise ValueError(f"{request.method} {request.url}: {e}") from None
    assert action is not None
    return action, sent


class Interceptor:
    """A ``responses`` mock switched on and off with activate()/deactivate(), ``with``,
    or as a decorator; subclasses register callbacks and say what leaving checks."""

    def __init__(self, mock: responses.RequestsMock | None = None) -> None:
        # Unused answers are this class's to report, with operation names, not responses'.
        self._mock = mock or responses.RequestsMock(assert_all_requests_are_fired=False)
        self._active = False

    @property
    def active(self) -> bool:
        """Whether requests are being intercepted now."""
        return self._active

    def activate(self) -> None:
        """Start intercepting requests made through ``requests``."""
        if self._active:
            raise RuntimeError(f"{type(self).__name__} is already active")
        self._mock.start()
        self._active = True

    def deactivate(self) -> None:
        """Stop intercepting; unused answers stay queued."""
        if self._active:
            self._mock.stop(allow_assert=False)
            self._active = False

    def _leave(self) -> None:
        """Runs when a ``with`` block or decorated call ends without an exception."""

    def __enter__(self) -> Self:
        self.activate()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.deactivate()
        if exc_type is None:
            self._leave()

    def __call__(self, func: F) -> F:
        """Use as a decorator: active while ``func`` runs."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return cast(F, wrapper)


class ScriptedInterceptor(Interceptor):
    """An Interceptor that answers from a Script (the Stubber, a cassette replay)."""

    def __init__(self, script: Script, *, assert_on_exit: bool) -> None:
        super().__init__()
        self._script = script
        self.assert_on_exit = assert_on_exit
        self._mock.add_callback(
            responses.POST, re.compile(r".*"), callback=script.respond, content_type=None
        )

    @property
    def errors(self) -> list[StubAssertionError]:
        """Every refused call so far; a test that provokes one on purpose may clear this."""
        return self._script.errors

    @property
    def sent(self) -> list[Any]:
        """Every request the code sent while active, as request dataclasses, in order."""
        return self._script.sent

    @property
    def pending(self) -> list[str]:
        """The operations of the answers not used yet, in order."""
        return [step.operation for step in self._script.steps]

    def assert_no_pending_responses(self) -> None:
        """Fail if an answer was never asked for, or a call was refused."""
        self._script.assert_no_pending()

    def _leave(self) -> None:
        if self.assert_on_exit:
            self.assert_no_pending_responses()

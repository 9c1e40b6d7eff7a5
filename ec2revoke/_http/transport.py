"""Sending one HTTP request: the Transport interface and its implementation on requests.

A transport has one method, ``send(request) -> response``. The client retries,
signs (through the transport's ``auth``) and parses; the transport only moves bytes
and turns network failures into ConnectionFailed or RequestTimeout. Tests pass their
own transport instead of patching anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import requests
import requests.auth
from requests.structures import CaseInsensitiveDict

from ec2revoke._errors import RESPONSE_TOO_LARGE, EC2Error, RequestTimeout, ResponseError
from ec2revoke._http.deadline import Deadline, DeadlineAdapter, arm, disarm
from ec2revoke._http.failures import transport_failure
from ec2revoke._http.redact import redact_url

log = logging.getLogger("ec2revoke.http")

# Header values never logged: they are, or are derived from, secrets.
_REDACTED_HEADERS = frozenset({"authorization", "x-amz-security-token"})

DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024
DEFAULT_MAX_POOL_CONNECTIONS = 32
# Bodies are read this much at a time, counted against the limit as they come.
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as the client means to send it (before signing)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    operation: str | None = None
    deadline: Deadline | None = None
    """When this attempt must be over; a transport should honour it (RequestsTransport does)."""

    def __repr__(self) -> str:
        # Tracebacks that show locals (Sentry, rich, --showlocals) print this.
        return (
            f"HttpRequest(method={self.method!r}, url={redact_url(self.url)!r}, "
            f"headers={redacted(self.headers)!r}, body=<{len(self.body)} bytes>, "
            f"operation={self.operation!r})"
        )


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One response: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


class Transport(Protocol):
    """Anything that can send an HttpRequest and return its HttpResponse."""

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send one request; raise ConnectionFailed or RequestTimeout when it cannot."""
        ...


def redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to log: secret-bearing values replaced."""
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


class _Route(NamedTuple):
    url: str
    adapter: Any
    proxies: dict[str, str]
    verify: Any


class RequestsTransport:
    """Sends requests with a requests.Session; signs them with ``auth``, if given."""

    def __init__(
        self,
        *,
        auth: requests.auth.AuthBase | None = None,
        session: requests.Session | None = None,
        connect_timeout: float | None = 60.0,
        read_timeout: float | None = 60.0,
        verify: bool | str = True,
        proxies: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    ) -> None:
        self.auth = auth
        self._owns_session = session is None
        if session is None:
            # A user's session keeps its own adapters (pool size included), untouched.
            session = requests.Session()
            adapter = DeadlineAdapter(pool_maxsize=max_pool_connections)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.max_response_bytes = max_response_bytes
        self.timeout = (connect_timeout, read_timeout)
        self.verify = verify
        self.proxies = dict(proxies) if proxies else None
        self._routes: dict[str, _Route] = {}

    def __repr__(self) -> str:
        return f"RequestsTransport(auth={self.auth!r}, timeout={self.timeout!r})"

    def _route(self, url: str) -> _Route:
        """What a URL needs, worked out once: its prepared form, adapter, proxies, CA bundle.

        Environment settings (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE...) are honoured
        as ``requests.Session.request`` would honour them.
        """
        route = self._routes.get(url)
        if route is None:
            probe = requests.PreparedRequest()
            probe.prepare_url(url, None)
            prepared_url = str(probe.url)
            env = self.session.merge_environment_settings(
                prepared_url, dict(self.proxies or {}), None, self.verify, None
            )
            adapter = self.session.get_adapter(prepared_url)
            route = _Route(prepared_url, adapter, dict(env["proxies"]), env["verify"])
            self._routes[url] = route
        return route

    def send(self, request: HttpRequest) -> HttpResponse:
        """Sign and send one request; read the whole response."""
        # Straight to the adapter: the session's cookie, hook and redirect machinery
        # costs a third of a call and EC2 needs none of it.
        url, adapter, proxies, verify = self._route(request.url)
        prepared = requests.PreparedRequest()
        prepared.method = request.method
        prepared.url = url
        prepared.headers = CaseInsensitiveDict(request.headers)
        prepared.headers["Content-Length"] = str(len(request.body))
        prepared.body = request.body
        if self.auth is not None:
            prepared = self.auth(prepared)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s headers=%s body=%r",
                prepared.method,
                redact_url(str(prepared.url)),
                redacted(prepared.headers),
                request.body[:2048],
            )
        where = f"{request.operation or request.method} to {redact_url(request.url)}"
        deadline, timeout, watch = request.deadline, self.timeout, None
        if deadline is not None:
            left = deadline.at - time.monotonic()
            if left <= 0:
                raise RequestTimeout(
                    f"{where} not sent: its {deadline.setting} had run out",
                    operation=request.operation,
                )
            # Each connect and read waits no longer than the attempt has left.
            timeout = (_within(timeout[0], left), _within(timeout[1], left))
            watch = arm(deadline)
        failure: EC2Error | None = None
        try:
            response = adapter.send(
                prepared, stream=True, timeout=timeout, verify=verify, proxies=proxies
            )
            if watch is not None:
                watch.track(response)
            body = self._read(response, where, request.operation)
        except requests.RequestException as e:
            if watch is not None and (watch.fired or time.monotonic() >= watch.deadline.at):
                # A read timed out at the deadline, or the watchdog cut the connection.
                failure = _expired(where, watch.deadline, request.operation)
            else:
                failure = transport_failure(
                    e,
                    method=request.method,
                    url=request.url,
                    operation=request.operation,
                    proxies=proxies,
                    timeout=timeout,
                )
        except ResponseError as e:  # too large to read
            failure = e
        finally:
            if watch is not None:
                disarm(watch)
        if failure is not None:
            # Raised here, not in the except block, where it would keep requests'
            # exception as its __context__, and with it urllib3's frames, whose locals
            # hold the signed headers. This frame's references go too (a response
            # whose body failed keeps the request: its headers are blanked).
            prepared.headers = CaseInsensitiveDict(redacted(prepared.headers))
            del prepared, url, proxies
            raise failure
        if log.isEnabledFor(logging.DEBUG):
            log.debug("HTTP %s body=%r", response.status_code, body[:2048])
        return HttpResponse(response.status_code, dict(response.headers), body)

    def _read(self, response: requests.Response, where: str, operation: str | None) -> bytes:
        """The whole body, refused (and its connection closed) past ``max_response_bytes``."""
        limit = self.max_response_bytes
        try:
            declared = response.headers.get("Content-Length")
            step = _CHUNK
            if declared is not None and declared.isdigit():
                if int(declared) > limit:
                    raise _too_large(response.status_code, where, operation, limit, declared)
                # Each read allocates its whole size first: a small answer, a small read.
                step = max(1, min(_CHUNK, int(declared)))
            chunks, size = [], 0
            for chunk in response.iter_content(step):
                size += len(chunk)
                if size > limit:
                    raise _too_large(response.status_code, where, operation, limit, None)
                chunks.append(chunk)
        except BaseException:
            response.close()  # unread bytes left: the connection cannot be reused
            raise
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        del chunks
        return body

    def close(self) -> None:
        """Close the session if this transport created it."""
        if self._owns_session:
            self.session.close()


def _within(timeout: float | None, left: float) -> float:
    return left if timeout is None else min(timeout, left)


def _expired(where: str, deadline: Deadline, operation: str | None) -> RequestTimeout:
    return RequestTimeout(
        f"{where} timed out: the answer had not fully arrived when its {deadline.setting} ran "
        "out; EC2 may or may not have acted on it",
        operation=operation,
    )


def _too_large(
    status: int, where: str, operation: str | None, limit: int, declared: str | None
) -> ResponseError:
    size = f"its Content-Length is {int(declared):,} bytes" if declared else "it went on past that"
    return ResponseError(
        f"HTTP {status} answer to {where} refused: the client reads at most {limit:,} bytes "
        f"of an answer and {size}. No EC2 answer is that large; if this endpoint's are, "
        "raise EC2Client(max_response_bytes=...), or ask for fewer items per page "
        "(MaxResults)",
        status=status,
        operation=operation,
        code=RESPONSE_TOO_LARGE,
    )

"""Sending one HTTP request: the Transport interface and its implementation on requests.

A transport has one method, ``send(request) -> response``. The client retries,
signs (through the transport's ``auth``) and parses; the transport only moves bytes
and turns network failures into ConnectionFailed or RequestTimeout. Tests pass their
own transport instead of patching anything.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import requests
import requests.auth
from requests.structures import CaseInsensitiveDict

from ec2revoke._errors import TransportError
from ec2revoke._failures import transport_failure
from ec2revoke._redact import redact_url

log = logging.getLogger("ec2revoke.http")

# Header values never logged: they are, or are derived from, secrets.
_REDACTED_HEADERS = frozenset({"authorization", "x-amz-security-token"})


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as the client means to send it (before signing)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    operation: str | None = None

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
    ) -> None:
        self.auth = auth
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
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
        failure: TransportError | None = None
        try:
            response = adapter.send(prepared, timeout=self.timeout, verify=verify, proxies=proxies)
            body = response.content
        except requests.RequestException as e:
            failure = transport_failure(
                e,
                method=request.method,
                url=request.url,
                operation=request.operation,
                proxies=proxies,
                timeout=self.timeout,
            )
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

    def close(self) -> None:
        """Close the session if this transport created it."""
        if self._owns_session:
            self.session.close()

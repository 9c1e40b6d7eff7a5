"""A request that did not complete, in plain words, chained to nothing that was signed.

requests and urllib3 bury the real cause a few layers down (ConnectionError ->
MaxRetryError.reason -> NewConnectionError -> ConnectionRefusedError), and their
exceptions, and the frames of their tracebacks, hold the signed request: its
Authorization header and session token. ``transport_failure`` reads that chain once
and returns our typed error saying what failed (refused, DNS, TLS, proxy, timeout, a
broken connection), what to do, and whether anything was sent; its ``__cause__`` is a
``CauseSummary`` that keeps only the original exception's type and message.
"""

from __future__ import annotations

import socket
import ssl
from typing import TypeVar
from urllib.parse import urlsplit

import requests
import requests.utils
import urllib3.exceptions

from ec2revoke._errors import (
    ConnectionFailed,
    RequestTimeout,
    TLSVerificationFailed,
    TransportError,
)
from ec2revoke._http.redact import redact_url

_Timeout = tuple[float | None, float | None]
_E = TypeVar("_E", bound=BaseException)


class CauseSummary(Exception):
    """What the HTTP library raised, as its type's name and its message only.

    It stands in for the original exception as a typed error's ``__cause__``: it has no
    traceback and refers to no request, so error reporters that show chained exceptions
    and their frames' local variables find no signed header in it.
    """

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(kind, text)
        self.kind = kind
        self.text = text

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


def transport_failure(
    error: requests.RequestException,
    *,
    method: str,
    url: str,
    operation: str | None,
    proxies: dict[str, str] | None,
    timeout: _Timeout,
) -> TransportError:
    """The typed error for ``error``, with a CauseSummary of it as its ``__cause__``."""
    typed = _classify(error, _links(error), method, url, operation, proxies or {}, timeout)
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    typed.__cause__ = CauseSummary(kind, redact_url(str(error)))
    return typed


def _links(error: BaseException) -> list[BaseException]:
    """Every exception in ``error``'s chain: causes, contexts, wrapped args, ``reason``."""
    found: list[BaseException] = []
    todo, seen = [error], set()
    while todo and len(found) < 32:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        todo += [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
    return found


def _classify(
    error: requests.RequestException,
    links: list[BaseException],
    method: str,
    url: str,
    operation: str | None,
    proxies: dict[str, str],
    timeout: _Timeout,
) -> TransportError:
    shown = redact_url(url)
    cannot = f"{operation or method}: could not connect to the endpoint URL {shown}"
    unsent = "nothing was sent, so EC2 did not act on it"

    cert = _first(links, ssl.SSLCertVerificationError)
    if cert is not None:
        reason = (cert.verify_message or str(cert)).rstrip(".")
        return TLSVerificationFailed(
            f"{cannot}: TLS certificate verification failed: {reason}; {unsent}, and it is "
            "not retried, as the same certificate fails the same way. If the endpoint's "
            "certificate comes from a private CA, pass verify='/path/to/ca-bundle.pem' "
            "(--ca-bundle or AWS_CA_BUNDLE on the command line); check that endpoint_url "
            "names the host the certificate is for",
            operation=operation,
        )
    if _first(links, urllib3.exceptions.ProxyError) is not None or isinstance(
        error, requests.exceptions.ProxyError
    ):
        proxy = requests.utils.select_proxy(url, proxies) or "configured"
        reason = _os_reason(links, proxy)
        return ConnectionFailed(
            f"{cannot}: the proxy {redact_url(proxy)} could not be reached: {reason}; "
            f"{unsent}. Check proxies= (or HTTPS_PROXY, HTTP_PROXY and NO_PROXY in the "
            "environment)",
            operation=operation,
        )
    tls = _first(links, ssl.SSLError)
    if tls is not None:
        return ConnectionFailed(
            f"{cannot}: the TLS handshake failed: {tls}; {unsent}. Check that endpoint_url's "
            "scheme and port are right (https:// to a port that speaks TLS)",
            operation=operation,
        )
    connect, read = timeout
    if isinstance(error, requests.ConnectTimeout):
        within = f" within {connect:g} s" if connect is not None else ""
        return RequestTimeout(
            f"{cannot}{within} (connect timeout); {unsent}. Check the endpoint and any "
            "firewall in between, or allow more time with timeout=(connect, read)",
            operation=operation,
        )
    dns = _first(links, socket.gaierror)
    if dns is not None:
        return ConnectionFailed(
            f"{cannot}: the name {urlsplit(url).hostname!r} could not be resolved "
            f"({dns.strerror}); {unsent}. Check the region and endpoint_url, and this "
            "machine's DNS",
            operation=operation,
        )
    if _first(links, urllib3.exceptions.NewConnectionError) is not None:
        return ConnectionFailed(
            f"{cannot}: {_os_reason(links, url)}; {unsent}. Check endpoint_url, and that "
            "the endpoint is up and reachable from here",
            operation=operation,
        )
    where = f"{operation or method} to {shown}"
    # requests reports a read timeout while reading the body as a ConnectionError
    # wrapping urllib3's ReadTimeoutError; botocore calls both a ReadTimeoutError.
    if isinstance(error, requests.Timeout) or _first(links, urllib3.exceptions.ReadTimeoutError):
        after = f" after {read:g} s" if read is not None else ""
        return RequestTimeout(
            f"{where} timed out (ReadTimeout) waiting for the answer{after}; EC2 may or may "
            "not have acted on it",
            operation=operation,
        )
    return ConnectionFailed(
        f"{where} failed: {type(error).__name__}: {redact_url(str(error))}; the connection "
        "broke before the answer was complete, so EC2 may or may not have acted on it",
        operation=operation,
    )


def _first(links: list[BaseException], kind: type[_E]) -> _E | None:
    return next((link for link in links if isinstance(link, kind)), None)


def _os_reason(links: list[BaseException], target: str) -> str:
    """What the operating system said about connecting to ``target``, in words."""
    parts = urlsplit(target)
    host = parts.hostname or target
    dns = _first(links, socket.gaierror)
    if dns is not None:
        return f"the name {host!r} could not be resolved ({dns.strerror})"
    os_error = next(
        (
            link
            for link in links
            if isinstance(link, OSError)
            and not isinstance(link, (requests.RequestException, ssl.SSLError))
            and link.strerror
        ),
        None,
    )
    if isinstance(os_error, ConnectionRefusedError):
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"connection refused (nothing accepts connections at {host} port {port})"
    if os_error is not None and os_error.strerror:
        words = os_error.strerror
        return words[:1].lower() + words[1:]
    return str(links[-1]) or type(links[-1]).__name__

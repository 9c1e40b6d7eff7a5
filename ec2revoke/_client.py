"""EC2Client: one typed method per operation, sent signed, retried and parsed.

A call builds the request dataclass, checks it (types, then what EC2's documentation
rules out), encodes it as Query parameters, sends it through the transport with up
to ``max_attempts`` tries, and parses the answer into the result dataclass or a
typed error. Safe to share between threads.
"""

from __future__ import annotations

import difflib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ec2revoke._errors import (
    ConfigurationError,
    DryRunOperation,
    EC2Error,
    ParamValidationError,
)
from ec2revoke._http.agent import USER_AGENT
from ec2revoke._http.botocore_session import profile_session
from ec2revoke._http.credentials import CredentialsProvider, FrozenCredentials
from ec2revoke._http.deadline import Deadline
from ec2revoke._http.endpoints import Endpoint, EndpointResolver
from ec2revoke._http.redact import redact_url
from ec2revoke._http.retry import DEFAULT_MAX_ATTEMPTS, RetryPolicy, RetryQuota, is_retryable
from ec2revoke._http.signing import NoAuth, SigV4Auth
from ec2revoke._http.transport import (
    DEFAULT_MAX_POOL_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    HttpRequest,
    RequestsTransport,
    Transport,
)
from ec2revoke._results import DryRunResult
from ec2revoke._revoke.safe import SafeRevokes
from ec2revoke._wire import validate
from ec2revoke.codec import EC2, form_body

log = logging.getLogger("ec2revoke")


_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "User-Agent": USER_AGENT,
}
_ENDPOINTS = EndpointResolver()
DEFAULT_ATTEMPT_TIMEOUT = 120.0


class _Unsigned:
    def __repr__(self) -> str:
        return "UNSIGNED"


UNSIGNED: Any = _Unsigned()
"""Pass as ``credentials=`` to send requests without a signature."""


class _ProfileCredentials:
    """botocore's credential chain for a profile, resolved on first use.

    Resolving may reach instance metadata or SSO, so it waits until a request needs it.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self._credentials: Any = None
        self._lock = threading.Lock()

    def get_frozen_credentials(self) -> FrozenCredentials:
        with self._lock:
            if self._credentials is None:
                found = self._session.get_credentials()
                if found is None:
                    raise ConfigurationError(
                        "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                        "configure a profile (aws configure), or pass credentials=..."
                    )
                self._credentials = found
        frozen: FrozenCredentials = self._credentials.get_frozen_credentials()
        return frozen

    def __repr__(self) -> str:
        return "<botocore credential chain>"


class EC2Client(SafeRevokes):
    """An EC2 client for the security-group operations.

    ``region`` and ``credentials`` default to botocore's resolution for ``profile``
    (environment, shared config and credentials files, SSO, container and instance
    metadata, assumed roles). ``credentials`` may be any object with
    ``get_frozen_credentials()``, ``StaticCredentials(...)``, or ``UNSIGNED``.
    ``transport`` replaces the HTTP layer entirely, signing included, so ``credentials``,
    ``session``, ``timeout``, ``verify``, ``proxies``, ``max_response_bytes`` and
    ``max_pool_connections`` are then not used.
    ``max_attempts`` (default 3) or a ``retry_policy`` sets how often a call is tried.
    ``timeout`` bounds each socket read; ``attempt_timeout`` (default 120 s) bounds a
    whole attempt, headers and body, and ``call_timeout`` (default none) a whole call,
    retries and their waits included. ``max_response_bytes`` (default 128 MiB) is the
    largest answer read; ``max_pool_connections`` (default 32) the connections kept for
    reuse, which should be at least the number of threads sharing the client.
    """

    __slots__ = ("_attempt_timeout", "_call_timeout", "_retry", "_sleep", "endpoint", "transport")

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        credentials: CredentialsProvider | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float | None, float | None] | None = 60.0,
        max_attempts: int | None = None,
        verify: bool | str = True,
        use_fips: bool = False,
        use_dual_stack: bool = False,
        proxies: dict[str, str] | None = None,
        transport: Transport | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        call_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    ) -> None:
        self._attempt_timeout = _seconds("attempt_timeout", attempt_timeout)
        self._call_timeout = _seconds("call_timeout", call_timeout)
        _count("max_response_bytes", max_response_bytes)
        _count("max_pool_connections", max_pool_connections)
        botocore_session = None
        if region is None or (credentials is None and transport is None) or profile is not None:
            botocore_session = profile_session(profile)
            if region is None:
                region = botocore_session.get_config_variable("region")
        self.endpoint: Endpoint = _ENDPOINTS.resolve(
            region, endpoint_url=endpoint_url, use_fips=use_fips, use_dual_stack=use_dual_stack
        )
        if transport is None:
            if credentials is UNSIGNED:
                auth: requests.auth.AuthBase = NoAuth()
            else:
                provider = (
                    credentials
                    if credentials is not None
                    else _ProfileCredentials(botocore_session)
                )
                auth = SigV4Auth(credentials=provider, region=self.endpoint.signing_region)
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            transport = RequestsTransport(
                auth=auth,
                session=session,
                connect_timeout=connect,
                read_timeout=read,
                verify=verify,
                proxies=proxies,
                max_response_bytes=max_response_bytes,
                max_pool_connections=max_pool_connections,
            )
        self.transport = transport
        if retry_policy is not None and max_attempts is not None:
            raise ConfigurationError(
                "give max_attempts or retry_policy, not both: set RetryPolicy(max_attempts=...)"
            )
        self._retry = retry_policy or RetryPolicy(
            max_attempts=DEFAULT_MAX_ATTEMPTS if max_attempts is None else max_attempts,
            quota=RetryQuota(),
        )
        self._sleep = sleep

    def __repr__(self) -> str:
        endpoint = redact_url(self.endpoint.url)
        return f"EC2Client(endpoint={endpoint!r}, region={self.endpoint.signing_region!r})"

    def __enter__(self) -> EC2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP connections this client opened."""
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    def _invoke(
        self,
        operation: str,
        request_type: type[Any] | None,
        request: Any,
        params: dict[str, Any],
        dry_run: bool | None,
    ) -> Any:
        if request is None and request_type is not None:
            if dry_run is not None:
                params["dry_run"] = dry_run
            request = _build(operation, request_type, params)
        elif params or dry_run is not None:
            raise ParamValidationError(
                f"{operation}: pass a request object or keyword arguments, not both "
                "(set dry_run inside the request object)",
                operation=operation,
            )
        elif request_type is not None and type(request) is not request_type:
            hint = (
                f"; for a boto3-form dict, pass codec.from_dict(shapes.{request_type.__name__}, "
                "params), or give the parameters as keyword arguments"
                if isinstance(request, Mapping)
                else f" (ec2revoke.shapes.{request_type.__name__}), or keyword arguments"
            )
            raise ParamValidationError(
                f"{operation} takes a {request_type.__name__}, got {type(request).__name__}" + hint,
                operation=operation,
            )
        outcome = self._call(operation, request)
        return outcome if isinstance(outcome, DryRunResult) else outcome[0]

    def _call(self, operation: str, request: Any) -> tuple[Any, str | None] | DryRunResult:
        """Check, send and parse one request: (result, request id), or a DryRunResult."""
        # Types first (the codec names the path of a wrong value), then the documented rules.
        pairs = EC2.to_query(request, operation=operation)
        validate.validate(operation, request)
        http = HttpRequest("POST", self.endpoint.url + "/", _HEADERS, form_body(pairs), operation)
        try:
            return self._send(operation, http)
        except DryRunOperation as e:
            return DryRunResult(operation, e.request_id, e.message)

    def _pause(self, seconds: float) -> None:
        self._sleep(seconds)

    def _deadlined(self, http: HttpRequest, call_ends: float | None) -> HttpRequest:
        """The request as one attempt sends it: with the nearer of its two deadlines."""
        ends, setting, seconds = math.inf, "", 0.0
        if self._attempt_timeout is not None:
            seconds = self._attempt_timeout
            ends, setting = time.monotonic() + seconds, "attempt_timeout"
        if call_ends is not None and call_ends <= ends:
            assert self._call_timeout is not None
            ends, setting, seconds = call_ends, "call_timeout", self._call_timeout
        if ends == math.inf:
            return http
        deadline = Deadline(ends, setting, seconds)
        return HttpRequest(http.method, http.url, http.headers, http.body, http.operation, deadline)

    def _send(self, operation: str, http: HttpRequest) -> tuple[Any, str | None]:
        policy = self._retry
        attempt, held = 1, 0
        call_ends = None if self._call_timeout is None else time.monotonic() + self._call_timeout
        while True:
            response = None
            try:
                response = self.transport.send(self._deadlined(http, call_ends))
                outcome = EC2.read_response(operation, response.status, response.body)
            except EC2Error as error:
                error.attempts = attempt
                if error.request_id is None and response is not None:
                    # Some error bodies (moto's AuthFailure, a proxy's page) have no
                    # RequestID; the x-amzn-RequestId header, which botocore's JSON and
                    # REST parsers read, still identifies the request.
                    error.request_id = _header(response.headers, "x-amzn-requestid")
                if attempt >= policy.max_attempts or not is_retryable(error):
                    raise
                held = policy.quota.acquire(error)
                if not held:
                    log.debug("%s: retry quota used up; not retrying %s", operation, error.code)
                    raise
                delay = policy.delay(attempt, error, None if response is None else response.headers)
                if call_ends is not None and time.monotonic() + delay >= call_ends:
                    # No retry may start, nor its wait end, past the call's deadline.
                    policy.quota.release(held)
                    log.debug("%s: call_timeout leaves no time to retry %s", operation, error.code)
                    raise
                log.debug(
                    "%s attempt %d failed (%s); retrying in %.2fs",
                    operation,
                    attempt,
                    error.code,
                    delay,
                )
                self._sleep(delay)
                attempt += 1
                continue
            policy.quota.release(held or RetryQuota.SUCCESS_REFUND)
            return outcome


def _seconds(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"{name} must be a number of seconds above 0, or None for no limit; got {value!r}"
        )
    return float(value)


def _count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a whole number, at least 1; got {value!r}")


def _build(operation: str, request_type: type[Any], params: dict[str, Any]) -> Any:
    try:
        return request_type(**params)
    except TypeError as e:
        fields = list(request_type.__dataclass_fields__)
        unknown = [k for k in params if k not in fields]
        if not unknown:
            raise ParamValidationError(f"{operation}: {e}", operation=operation) from None
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, fields, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParamValidationError(
            f"{operation}: unknown parameter {', '.join(hints)}; valid: {', '.join(fields)}",
            operation=operation,
        ) from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name (``name`` in lower case)."""
    for key, value in headers.items():
        if key.lower() == name:
            return value or None
    return None

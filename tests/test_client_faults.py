"""EC2Client against a scripted local server: retries, faults and typed outcomes.

Each test scripts the server's replies, makes real HTTP calls through the client's
own transport, and asserts what came back, how many requests the server received
(none silently lost, none extra), and the backoff the client asked to sleep.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from botocore.auth import SigV4Auth as BotocoreSigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ec2revoke import (
    ConnectionFailed,
    DryRunResult,
    EC2Client,
    EC2Error,
    InvalidPermissionNotFound,
    RequestLimitExceeded,
    RequestTimeout,
    ResponseError,
    ServerError,
    ServiceError,
    StaticCredentials,
    UnauthorizedOperation,
    codec,
    shapes,
)
from ec2revoke._http.retry import RetryPolicy, RetryQuota
from ec2revoke._wire.xml_encode import error_xml
from tests.fault_server import Action, FaultServer, Received, Reply

OPERATION = "RevokeSecurityGroupIngress"
GROUP = "sg-0123456789abcdef0"
PERMISSION = shapes.IpPermission(
    ip_protocol="tcp",
    from_port=22,
    to_port=22,
    ip_ranges=[shapes.IpRange(cidr_ip="203.0.113.0/24")],
)
RESULT = shapes.RevokeSecurityGroupIngressResult(
    return_=True,
    revoked_security_group_rules=[
        shapes.RevokedSecurityGroupRule(
            security_group_rule_id="sgr-0123456789abcdef0",
            group_id=GROUP,
            is_egress=False,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            cidr_ipv4="203.0.113.0/24",
        )
    ],
)
OK = Reply.xml(codec.to_xml(RESULT, request_id="req-ok"))
THROTTLED = Reply.error("RequestLimitExceeded", "Request limit exceeded.", 503, "req-throttled")
INTERNAL = Reply.error(
    "InternalError", "An internal error has occurred. Try again later.", 500, "req-500"
)
UNAVAILABLE = Reply.error("Unavailable", "The server is overloaded.", 503, "req-503")
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "secret")
# Distinctive values, so finding them in a log or message cannot be a coincidence.
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRETzKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEzSESSIONzTOKENz0123456789"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server
        assert fault_server.pending == 0, "the client sent fewer requests than scripted"
        unexpected = [r for r in fault_server.requests if r.unexpected]
        assert not unexpected, f"{len(unexpected)} request(s) beyond the script"
        assert not fault_server.errors, fault_server.errors


@pytest.fixture
def sleeps() -> list[float]:
    return []


def client_for(
    server: FaultServer,
    sleeps: list[float],
    *,
    max_attempts: int = 3,
    timeout: float | tuple[float, float] = 5.0,
    credentials: Any = CREDENTIALS,
    retry_policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
) -> EC2Client:
    return EC2Client(
        region="us-east-1",
        endpoint_url=server.url,
        credentials=credentials,
        # A retry policy carries its own max_attempts; the client refuses both.
        max_attempts=None if retry_policy is not None else max_attempts,
        timeout=timeout,
        retry_policy=retry_policy,
        sleep=sleeps.append if sleep is None else sleep,
    )


def with_retry_after(reply: Reply, value: str) -> Reply:
    """``reply`` with an x-amz-retry-after header (milliseconds, when valid)."""
    return dataclasses.replace(reply, headers={**reply.headers, "x-amz-retry-after": value})


def quota_at_each_sleep(
    quota: RetryQuota, sleeps: list[float], seen: list[int]
) -> Callable[[float], None]:
    """A sleep that records the delay and what the quota held when the client slept."""

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        seen.append(quota.available)

    return sleep


def revoke(client: EC2Client, **kwargs: Any) -> Any:
    return client.revoke_security_group_ingress(
        group_id=GROUP, ip_permissions=[PERMISSION], **kwargs
    )


def form(received: Received) -> dict[str, list[str]]:
    return parse_qs(received.body.decode(), keep_blank_values=True, strict_parsing=True)


def assert_same_request_each_time(requests: list[Received]) -> None:
    """Every attempt carried the same call: same body, signed, for the same operation."""
    assert {r.body for r in requests} == {requests[0].body}
    assert form(requests[0])["Action"] == [OPERATION]
    assert form(requests[0])["GroupId"] == [GROUP]
    for r in requests:
        assert r.method == "POST"
        assert r.path == "/"
        assert r.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
        assert r.headers["x-amz-date"]


# --- retried, then success ------------------------------------------------------------------


def test_throttling_then_success(server: FaultServer, sleeps: list[float]) -> None:
    server.add(THROTTLED, OK)
    with client_for(server, sleeps) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 2
    assert_same_request_each_time(server.requests)
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 1


def test_429_with_an_unknown_code_is_retried_as_throttling(
    server: FaultServer, sleeps: list[float]
) -> None:
    quota = RetryQuota(capacity=100)
    seen: list[int] = []
    policy = RetryPolicy(max_attempts=3, quota=quota, random=lambda: 1.0)
    server.add(Reply.error("SlowDownPlease", "Too many requests.", 429, "req-429"), times=2)
    server.add(OK)
    sleep = quota_at_each_sleep(quota, sleeps, seen)
    with client_for(server, sleeps, retry_policy=policy, sleep=sleep) as client:
        assert revoke(client) == RESULT
        assert len(server.requests) == 3
        assert_same_request_each_time(server.requests)
        # Throttling: waits on the 1 s scale (random() pinned to 1), 5 tokens a retry.
        assert sleeps == [1.0, 2.0]
        assert seen == [95, 90]
        assert quota.available == 95  # the success gave back what its last retry took

        # Persistent: given up after max_attempts, still throttling's costs and waits.
        server.add(Reply.error("SlowDownPlease", "Too many requests.", 429, "req-429"), times=3)
        with pytest.raises(ServiceError) as caught:
            revoke(client)
    error = caught.value
    assert (error.code, error.status, error.request_id, error.attempts) == (
        "SlowDownPlease",
        429,
        "req-429",
        3,
    )
    assert len(server.requests) == 6
    assert sleeps == [1.0, 2.0, 1.0, 2.0]
    assert seen == [95, 90, 90, 85]
    assert quota.available == 85


def test_a_non_throttling_500_waits_at_most_50_ms_on_the_first_retry(
    server: FaultServer, sleeps: list[float]
) -> None:
    server.add(INTERNAL, OK)
    with client_for(server, sleeps) as client:  # the real random()
        assert revoke(client) == RESULT
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 0.05
    # At random()'s top the wait is the cap itself.
    server.add(INTERNAL, OK)
    top = RetryPolicy(max_attempts=3, random=lambda: 1.0)
    with client_for(server, sleeps, retry_policy=top) as client:
        assert revoke(client) == RESULT
    assert sleeps[1:] == [0.05]
    assert len(server.requests) == 4


def test_server_errors_then_success_back_off_exponentially(
    server: FaultServer, sleeps: list[float]
) -> None:
    server.add(INTERNAL, UNAVAILABLE, OK)
    # random() pinned to its upper bound makes the delays the caps: 50 ms, then 100 ms.
    policy = RetryPolicy(max_attempts=3, random=lambda: 1.0)
    with client_for(server, sleeps, retry_policy=policy) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 3
    assert_same_request_each_time(server.requests)
    assert sleeps == [0.05, 0.1]


@pytest.mark.parametrize(
    ("reply", "r", "scale"),
    [(THROTTLED, 0.25, 1.0), (THROTTLED, 0.0, 1.0), (INTERNAL, 1.0, 0.05)],
    ids=["throttled", "throttled-no-jitter", "500"],
)
def test_retry_after_header_raises_the_wait(
    server: FaultServer, sleeps: list[float], reply: Reply, r: float, scale: float
) -> None:
    server.add(with_retry_after(reply, "1500"), OK)
    policy = RetryPolicy(max_attempts=3, random=lambda: r)
    with client_for(server, sleeps, retry_policy=policy) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 2
    t = r * scale  # the backoff alone, for the first retry
    assert sleeps == [max(t, min(1.5, t + 5))] == [1.5]


def test_retry_after_header_never_lowers_the_wait_nor_adds_over_5_seconds(
    server: FaultServer, sleeps: list[float]
) -> None:
    # random() at 1: the backoff is 1 s, then 2 s; the header says 1.5 s, then 60 s.
    server.add(with_retry_after(THROTTLED, "1500"), with_retry_after(THROTTLED, "60000"), OK)
    policy = RetryPolicy(max_attempts=3, random=lambda: 1.0)
    with client_for(server, sleeps, retry_policy=policy) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 3
    assert sleeps == [1.5, 7.0]


@pytest.mark.parametrize("value", ["-1500", "soon", "1.5", ""])
def test_an_invalid_or_negative_retry_after_header_is_ignored(
    server: FaultServer, sleeps: list[float], value: str
) -> None:
    server.add(with_retry_after(THROTTLED, value), OK)
    policy = RetryPolicy(max_attempts=3, random=lambda: 0.25)
    with client_for(server, sleeps, retry_policy=policy) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 2
    assert sleeps == [0.25]  # the backoff alone


@pytest.mark.parametrize("max_attempts", [1, 2, 4])
def test_persistent_500_gives_up_after_max_attempts(
    server: FaultServer, sleeps: list[float], max_attempts: int
) -> None:
    server.add(INTERNAL, times=max_attempts)
    with (
        client_for(server, sleeps, max_attempts=max_attempts) as client,
        pytest.raises(ServerError) as caught,
    ):
        revoke(client)
    error = caught.value
    assert error.attempts == max_attempts
    assert len(server.requests) == max_attempts
    assert len(sleeps) == max_attempts - 1
    assert all(0 <= s <= 0.05 * 2**i for i, s in enumerate(sleeps))
    assert (error.code, error.status, error.request_id, error.operation) == (
        "InternalError",
        500,
        "req-500",
        OPERATION,
    )
    assert str(error) == (
        "An error occurred (InternalError) when calling the RevokeSecurityGroupIngress "
        "operation: An internal error has occurred. Try again later."
    )


# --- network faults -------------------------------------------------------------------------


@pytest.mark.parametrize("mid_request", [False, True], ids=["before-response", "mid-request"])
def test_connection_reset_is_retried(
    server: FaultServer, sleeps: list[float], mid_request: bool
) -> None:
    server.add(Reply.reset(mid_request=mid_request), OK)
    with client_for(server, sleeps) as client:
        assert revoke(client) == RESULT
    assert [r.action for r in server.requests] == [
        Action.RESET_MID_REQUEST if mid_request else Action.RESET_BEFORE_RESPONSE,
        Action.RESPOND,
    ]
    assert len(sleeps) == 1


def test_persistent_connection_reset_raises_connection_failed(
    server: FaultServer, sleeps: list[float]
) -> None:
    server.add(Reply.reset(), times=3)
    with (
        client_for(server, sleeps, max_attempts=3) as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        revoke(client)
    error = caught.value
    assert type(error) is ConnectionFailed
    assert error.attempts == 3
    assert len(server.requests) == 3
    assert_same_request_each_time(server.requests)
    assert len(sleeps) == 2
    message = str(error)
    assert message.startswith(f"{OPERATION} to {server.url}/ failed: ")
    assert "Connection reset by peer" in message
    assert error.operation == OPERATION


def test_read_timeout_is_retried(server: FaultServer, sleeps: list[float]) -> None:
    server.add(Reply.hang(5), OK)
    with client_for(server, sleeps, timeout=(5.0, 0.2)) as client:
        assert revoke(client) == RESULT
    assert [r.action for r in server.requests] == [Action.HANG, Action.RESPOND]
    assert_same_request_each_time(server.requests)
    assert len(sleeps) == 1


def test_read_timeout_with_one_attempt_is_raised_at_once(
    server: FaultServer, sleeps: list[float]
) -> None:
    server.add(Reply.hang(5))
    started = time.monotonic()
    with (
        client_for(server, sleeps, max_attempts=1, timeout=(5.0, 0.2)) as client,
        pytest.raises(RequestTimeout) as caught,
    ):
        revoke(client)
    elapsed = time.monotonic() - started
    error = caught.value
    assert type(error) is RequestTimeout
    assert error.attempts == 1
    assert len(server.requests) == 1
    assert sleeps == []
    assert elapsed < 3, "the client waited for the server instead of its read timeout"
    assert str(error).startswith(f"{OPERATION} to {server.url}/ timed out (ReadTimeout)")


def test_stall_while_reading_the_body_is_a_timeout(
    server: FaultServer, sleeps: list[float]
) -> None:
    # Headers arrive, then half the body, then nothing: still a read timeout.
    server.add(Reply.stalled(OK.body, seconds=5), OK)
    with client_for(server, sleeps, timeout=(5.0, 0.2)) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 2
    server.add(Reply.stalled(OK.body, seconds=5))
    with (
        client_for(server, sleeps, max_attempts=1, timeout=(5.0, 0.2)) as client,
        pytest.raises(RequestTimeout) as caught,
    ):
        revoke(client)
    assert type(caught.value) is RequestTimeout
    assert "timed out" in str(caught.value)
    assert len(server.requests) == 3


def test_truncated_body_is_a_broken_connection_and_retried(
    server: FaultServer, sleeps: list[float]
) -> None:
    # Content-Length promises 100 more bytes than arrive before the server closes.
    server.add(Reply.truncated(OK.body, missing=100), OK)
    with client_for(server, sleeps) as client:
        assert revoke(client) == RESULT
    assert [r.action for r in server.requests] == [Action.TRUNCATE, Action.RESPOND]

    server.add(Reply.truncated(OK.body, missing=100))
    with (
        client_for(server, sleeps, max_attempts=1) as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        revoke(client)
    error = caught.value
    assert type(error) is ConnectionFailed
    assert error.attempts == 1
    assert len(server.requests) == 3
    assert str(error).startswith(f"{OPERATION} to {server.url}/ failed: ChunkedEncodingError: ")
    assert f"IncompleteRead({len(OK.body)} bytes read, 100 more expected)" in str(error)


def test_truncated_xml_with_a_matching_length_is_a_clear_response_error(
    server: FaultServer, sleeps: list[float]
) -> None:
    # A proxy that cut the XML and sent a length to match: the HTTP layer sees nothing wrong.
    server.add(Reply.xml(OK.body[:-40]))
    with client_for(server, sleeps) as client, pytest.raises(ResponseError) as caught:
        revoke(client)
    error = caught.value
    assert type(error) is ResponseError
    assert error.status == 200
    assert error.attempts == 1  # a 200 is an answer: retrying could repeat a revoke
    assert len(server.requests) == 1
    assert "is not well-formed XML" in str(error)
    assert "truncated" in str(error)


# --- not retried ----------------------------------------------------------------------------


def test_invalid_permission_not_found_is_typed_and_not_retried(
    server: FaultServer, sleeps: list[float]
) -> None:
    message = "The specified rule does not exist in this security group."
    server.add(Reply.error("InvalidPermission.NotFound", message, 400, "req-nf"))
    with client_for(server, sleeps) as client, pytest.raises(InvalidPermissionNotFound) as caught:
        revoke(client)
    error = caught.value
    assert (error.code, error.message, error.request_id, error.status, error.operation) == (
        "InvalidPermission.NotFound",
        message,
        "req-nf",
        400,
        OPERATION,
    )
    assert error.attempts == 1
    assert len(server.requests) == 1
    assert sleeps == []


def test_dry_run_operation_returns_a_result_and_is_not_retried(
    server: FaultServer, sleeps: list[float]
) -> None:
    message = "Request would have succeeded, but DryRun flag is set."
    server.add(Reply.error("DryRunOperation", message, 412, "req-dry"))
    with client_for(server, sleeps) as client:
        outcome = revoke(client, dry_run=True)
    assert outcome == DryRunResult(OPERATION, "req-dry", message)
    assert len(server.requests) == 1
    assert form(server.requests[0])["DryRun"] == ["true"]
    assert sleeps == []


@pytest.mark.parametrize("dry_run", [None, True])
def test_unauthorized_operation_is_typed_with_its_encoded_message(
    server: FaultServer, sleeps: list[float], dry_run: bool | None
) -> None:
    encoded = "AbCdEf0123-_xyzENCODED"
    message = (
        "You are not authorized to perform this operation. "
        f"Encoded authorization failure message: {encoded}"
    )
    server.add(Reply.error("UnauthorizedOperation", message, 403, "req-403"))
    with client_for(server, sleeps) as client, pytest.raises(UnauthorizedOperation) as caught:
        revoke(client, dry_run=dry_run)
    error = caught.value
    assert error.encoded_message == encoded
    assert (error.status, error.request_id, error.attempts) == (403, "req-403", 1)
    assert len(server.requests) == 1
    assert sleeps == []


# --- re-signing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    access_key: str
    secret_key: str
    token: str | None


class RotatingCredentials:
    """Hands out the next set of keys on every request, as refreshed credentials do."""

    def __init__(self, keys: list[_Keys]) -> None:
        self._keys = iter(keys)

    def get_frozen_credentials(self) -> _Keys:
        return next(self._keys)


def botocore_signature(received: Received, url: str, keys: _Keys) -> str:
    """The signature botocore computes for what the server received."""
    authorization = received.headers["authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    request = AWSRequest(
        method=received.method,
        url=url + received.path,
        data=received.body,
        headers={name: received.headers[name] for name in signed},
    )
    request.context["timestamp"] = received.headers["x-amz-date"]
    signer = BotocoreSigV4Auth(
        Credentials(keys.access_key, keys.secret_key, keys.token), "ec2", "us-east-1"
    )
    canonical = signer.canonical_request(request)
    signature: str = signer.signature(signer.string_to_sign(request, canonical), request)
    return signature


def test_every_attempt_is_signed_afresh(server: FaultServer, sleeps: list[float]) -> None:
    keys = [
        _Keys("AKIDFIRST", "first-secret", "first-token"),
        _Keys("AKIDSECOND", "second-secret", "second-token"),
        _Keys("AKIDTHIRD", "third-secret", None),
    ]
    server.add(THROTTLED, INTERNAL, OK)
    with client_for(server, sleeps, credentials=RotatingCredentials(keys)) as client:
        assert revoke(client) == RESULT
    received = server.requests
    assert len(received) == 3
    assert_same_request_each_time(received)
    for request, key in zip(received, keys, strict=True):
        authorization = request.headers["authorization"]
        date = request.headers["x-amz-date"]
        assert authorization.startswith(
            f"AWS4-HMAC-SHA256 Credential={key.access_key}/{date[:8]}/us-east-1/ec2/aws4_request,"
        )
        assert request.headers.get("x-amz-security-token") == key.token
        assert authorization.endswith("Signature=" + botocore_signature(request, server.url, key))


# --- proxies --------------------------------------------------------------------------------


def test_html_502_from_a_proxy_is_retried(server: FaultServer, sleeps: list[float]) -> None:
    server.add(Reply.html(502), OK)
    with client_for(server, sleeps) as client:
        assert revoke(client) == RESULT
    assert len(server.requests) == 2
    assert len(sleeps) == 1


def test_persistent_html_502_is_a_response_error_after_max_attempts(
    server: FaultServer, sleeps: list[float]
) -> None:
    server.add(Reply.html(502), times=2)
    with (
        client_for(server, sleeps, max_attempts=2) as client,
        pytest.raises(ResponseError) as caught,
    ):
        revoke(client)
    assert type(caught.value) is ResponseError
    assert (caught.value.status, caught.value.attempts) == (502, 2)
    assert len(server.requests) == 2
    assert "502 Bad Gateway" in str(caught.value)


def test_html_200_from_a_proxy_is_a_response_error_and_not_retried(
    server: FaultServer, sleeps: list[float]
) -> None:
    page = b"<html><body><h1>Please log in to continue</h1>" + b"<p>padding</p>" * 500
    server.add(Reply.html(200, page))
    with client_for(server, sleeps) as client, pytest.raises(ResponseError) as caught:
        revoke(client)
    error = caught.value
    assert type(error) is ResponseError
    assert (error.status, error.attempts, error.operation) == (200, 1, OPERATION)
    assert len(server.requests) == 1
    assert sleeps == []
    message = str(error)
    assert "HTTP 200" in message
    assert "Please log in to continue" in message  # the excerpt
    assert len(message) < 600, "the excerpt should be short, not the whole page"


# --- the retry quota ------------------------------------------------------------------------


def test_retries_stop_when_the_quota_is_used_up(server: FaultServer, sleeps: list[float]) -> None:
    quota = RetryQuota(capacity=30)
    policy = RetryPolicy(max_attempts=5, quota=quota)
    # Two retries cost 14 each; the third would need 14 of the 2 left.
    server.add(INTERNAL, times=3)
    with client_for(server, sleeps, retry_policy=policy) as client:
        with pytest.raises(ServerError) as caught:
            revoke(client)
        assert caught.value.attempts == 3
        assert len(server.requests) == 3
        assert len(sleeps) == 2
        assert quota.available == 2

        # The quota is the client's, not the call's: the next failure is not retried.
        server.add(UNAVAILABLE)
        with pytest.raises(ServerError) as caught:
            revoke(client)
        assert caught.value.attempts == 1
        assert len(server.requests) == 4
        assert len(sleeps) == 2

        # A first-try success gives one token back.
        server.add(OK)
        assert revoke(client) == RESULT
        assert quota.available == 3


def test_a_timeout_costs_14_like_any_non_throttling_failure(
    server: FaultServer, sleeps: list[float]
) -> None:
    quota = RetryQuota(capacity=20)
    policy = RetryPolicy(max_attempts=3, quota=quota)
    # The first timeout takes 14 of 20; the second would need 14 of the 6 left.
    server.add(Reply.hang(5), times=2)
    with (
        client_for(server, sleeps, timeout=(5.0, 0.2), retry_policy=policy) as client,
        pytest.raises(RequestTimeout) as caught,
    ):
        revoke(client)
    assert caught.value.attempts == 2
    assert len(server.requests) == 2
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 0.05  # and it waits on the 50 ms scale
    assert quota.available == 6


def test_a_success_after_retries_refunds_what_its_retries_took(
    server: FaultServer, sleeps: list[float]
) -> None:
    quota = RetryQuota(capacity=100)
    quota.available = 50
    seen: list[int] = []
    policy = RetryPolicy(max_attempts=3, quota=quota)
    server.add(THROTTLED, OK)
    sleep = quota_at_each_sleep(quota, sleeps, seen)
    with client_for(server, sleeps, timeout=(5.0, 0.2), retry_policy=policy, sleep=sleep) as client:
        assert revoke(client) == RESULT
        assert seen == [45]  # took 5 for the throttled retry...
        assert quota.available == 50  # ...and gave 5 back
        server.add(Reply.hang(5), OK)
        assert revoke(client) == RESULT
        assert seen == [45, 36]  # took 14 for the timeout...
        assert quota.available == 50  # ...and gave 14 back
        server.add(INTERNAL, THROTTLED, OK)
        assert revoke(client) == RESULT
        assert seen == [45, 36, 36, 31]  # took 14, then 5...
        assert quota.available == 36  # ...and gave back only the last retry's 5
        server.add(OK)
        assert revoke(client) == RESULT
        assert quota.available == 37
    assert len(server.requests) == 8


# --- concurrency ----------------------------------------------------------------------------


def test_concurrent_calls_share_the_client_and_lose_nothing(
    server: FaultServer, sleeps: list[float]
) -> None:
    calls, throttles = 8, 4
    server.add(THROTTLED, times=throttles)
    server.add(OK, times=calls)
    results: list[Any] = []
    failures: list[BaseException] = []
    with client_for(server, sleeps, max_attempts=throttles + 2) as client:

        def call() -> None:
            try:
                results.append(revoke(client))
            except BaseException as e:  # reported below
                failures.append(e)

        threads = [threading.Thread(target=call) for _ in range(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
    assert failures == []
    assert results == [RESULT] * calls
    assert len(server.requests) == calls + throttles
    assert len(sleeps) == throttles


# --- secrets --------------------------------------------------------------------------------


def _signature_of(received: Received) -> str:
    return received.headers["authorization"].rsplit("Signature=", 1)[1]


def test_debug_logs_show_the_request_but_no_secrets(
    server: FaultServer, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    caplog.set_level(logging.DEBUG, logger="ec2revoke")
    credentials = StaticCredentials("AKIDEXAMPLE", SECRET, TOKEN)
    server.add(THROTTLED, OK)
    with client_for(server, sleeps, credentials=credentials) as client:
        assert revoke(client) == RESULT
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    # The request line is logged: if logging breaks, this test notices.
    assert f"POST {server.url}/" in logged
    assert any(r.name.startswith("ec2revoke") for r in caplog.records)
    assert "RequestLimitExceeded" in logged  # the retry is logged too
    assert "<redacted>" in logged
    assert SECRET not in logged
    assert TOKEN not in logged
    for received in server.requests:
        assert received.headers["x-amz-security-token"] == TOKEN  # it was sent...
        assert _signature_of(received) not in logged  # ...but neither it nor this is logged
        assert received.headers["authorization"] not in logged


def _hidden(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (INTERNAL, ServerError),
        (THROTTLED, RequestLimitExceeded),
        (Reply.reset(), ConnectionFailed),
        (Reply.hang(5), RequestTimeout),
        (Reply.truncated(OK.body), ConnectionFailed),
        (Reply.html(200), ResponseError),
        (Reply.xml(error_xml("UnauthorizedOperation", "no", request_id="r"), 403), EC2Error),
    ],
    ids=["500", "throttled", "reset", "timeout", "truncated", "html", "unauthorized"],
)
def test_errors_and_reprs_show_no_secrets(
    server: FaultServer, sleeps: list[float], reply: Reply, expected: type[EC2Error]
) -> None:
    credentials = StaticCredentials("AKIDEXAMPLE", SECRET, TOKEN)
    server.add(reply)
    with client_for(
        server, sleeps, credentials=credentials, max_attempts=1, timeout=(5.0, 0.2)
    ) as client:
        for shown in (client, client.transport, getattr(client.transport, "auth", None)):
            _hidden(repr(shown))
            _hidden(str(shown))
        with pytest.raises(expected) as caught:
            revoke(client)
    error = caught.value
    assert server.requests[0].headers["x-amz-security-token"] == TOKEN
    _hidden(str(error))
    _hidden(repr(error))
    _hidden("".join(traceback.format_exception(error)))  # with its chained causes
    assert _signature_of(server.requests[0]) not in "".join(traceback.format_exception(error))


@pytest.mark.parametrize(
    "reply",
    [Reply.reset(), Reply.hang(5), Reply.truncated(OK.body)],
    ids=["reset", "timeout", "truncated"],
)
def test_the_chained_cause_keeps_no_signed_request(
    server: FaultServer, sleeps: list[float], reply: Reply
) -> None:
    # requests attaches the signed request to its exception; the error's __cause__ is a
    # summary of that exception (type and message) instead, so an error reporter that
    # saves attributes finds no request at all (tests/test_failure_secrets.py walks more).
    credentials = StaticCredentials("AKIDEXAMPLE", SECRET, TOKEN)
    server.add(reply)
    with (
        client_for(
            server, sleeps, credentials=credentials, max_attempts=1, timeout=(5.0, 0.2)
        ) as client,
        pytest.raises(EC2Error) as caught,
    ):
        revoke(client)
    cause = caught.value.__cause__
    assert cause is not None
    assert getattr(cause, "request", None) is None
    assert cause.__traceback__ is None
    assert caught.value.__context__ is None
    assert str(cause).startswith("requests.exceptions.")
    assert server.requests[0].headers["x-amz-security-token"] == TOKEN

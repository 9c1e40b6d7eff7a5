"""What the client retries, end to end: each decision botocore's standard mode makes.

botocore (the installed 1.44) is the reference; where its answer depends on an accident
of its parser rather than on its retry rules, the decision and its reason are in
docs/configuration.md#retries, and the test below names it. Every test makes real HTTP
calls to a local server (tests/fault_server.py, or tests/tls_server.py for TLS) and
counts the attempts that reached it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ec2revoke import (
    ConnectionFailed,
    EC2Client,
    InvalidParameterValue,
    ResponseError,
    ServerError,
    StaticCredentials,
    codec,
    shapes,
)
from ec2revoke._http.retry import OTHER_SCALE, THROTTLING_SCALE, RetryPolicy, RetryQuota
from tests.fault_server import FaultServer, Reply
from tests.tls_server import TLSServer

OPERATION = "DescribeSecurityGroups"
RESULT = shapes.DescribeSecurityGroupsResult(security_groups=[])
OK = Reply.xml(codec.to_xml(RESULT, request_id="req-ok"))
UNAVAILABLE = Reply.error("Unavailable", "The server is overloaded.", 503, "req-503")
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "example-secret")

# Bodies of the kind a load balancer, proxy or API gateway sends instead of EC2's answer.
NOT_EC2 = {
    "text": Reply(status=0, headers={"Content-Type": "text/plain"}, body=b"Too Many Requests"),
    "html": Reply.html(0, b"<html><body><h1>429 Too Many Requests</h1><hr></body></html>"),
    "empty": Reply(status=0),
    "json": Reply(status=0, headers={"Content-Type": "application/json"}, body=b'{"x": 1}'),
}


def with_status(reply: Reply, status: int, **headers: str) -> Reply:
    return dataclasses.replace(reply, status=status, headers={**reply.headers, **headers})


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server
        assert fault_server.pending == 0, "the client sent fewer requests than scripted"
        assert not [r for r in fault_server.requests if r.unexpected], "more requests than scripted"
        assert not fault_server.errors, fault_server.errors


class Recorder:
    """The client's sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def client_for(url: str, sleep: Recorder, *, r: float = 1.0, **kwargs: Any) -> EC2Client:
    """A client whose backoff draws ``r`` (so waits are exact) and whose sleeps are recorded."""
    policy = RetryPolicy(max_attempts=kwargs.pop("max_attempts", 3), random=lambda: r)
    return EC2Client(
        region="us-east-1",
        endpoint_url=url,
        credentials=CREDENTIALS,
        retry_policy=policy,
        sleep=sleep,
        timeout=5.0,
        **kwargs,
    )


# --- 429 whatever the body: throttling --------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(NOT_EC2))
def test_a_429_that_is_not_an_ec2_answer_is_retried_as_throttling(
    server: FaultServer, kind: str
) -> None:
    # botocore's retry rules throttle on the status alone (ThrottlingStatusCodeChecker);
    # docs/configuration.md says 429 is retried. The body is only the messenger's.
    too_many = with_status(NOT_EC2[kind], 429)
    server.add(too_many, too_many, OK)
    sleep = Recorder()
    with client_for(server.url, sleep) as client:
        assert client.describe_security_groups() == RESULT
    assert len(server.requests) == 3
    # Throttling backoff (1 s, doubling), not the 50 ms of other failures.
    assert sleep.sleeps == [THROTTLING_SCALE, 2 * THROTTLING_SCALE]


def test_a_429_that_stays_unreadable_is_raised_after_every_attempt(server: FaultServer) -> None:
    server.add(with_status(NOT_EC2["text"], 429), times=3)
    sleep = Recorder()
    quota = RetryQuota()
    policy = RetryPolicy(max_attempts=3, random=lambda: 1.0, quota=quota)
    with (
        EC2Client(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=CREDENTIALS,
            retry_policy=policy,
            sleep=sleep,
        ) as client,
        pytest.raises(ResponseError) as caught,
    ):
        client.describe_security_groups()
    assert type(caught.value) is ResponseError
    assert (caught.value.status, caught.value.attempts) == (429, 3)
    assert len(server.requests) == 3
    # Each retry cost what a throttling retry costs.
    assert quota.available == RetryQuota.INITIAL - 2 * RetryQuota.THROTTLING_RETRY_COST


# --- unreadable 5xx: retried for 500, 502, 503 and 504 --------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("kind", ["html", "empty", "text"])
def test_an_unreadable_transient_5xx_is_retried(
    server: FaultServer, status: int, kind: str
) -> None:
    # botocore retries these statuses whatever the error code (TransientRetryableChecker).
    failed = with_status(NOT_EC2[kind], status)
    server.add(failed, OK)
    sleep = Recorder()
    with client_for(server.url, sleep) as client:
        assert client.describe_security_groups() == RESULT
    assert len(server.requests) == 2
    assert sleep.sleeps == [OTHER_SCALE]


@pytest.mark.parametrize("status", [501, 505, 400, 403, 404])
def test_an_unreadable_answer_with_another_status_is_not_retried(
    server: FaultServer, status: int
) -> None:
    server.add(with_status(NOT_EC2["html"], status))
    sleep = Recorder()
    with client_for(server.url, sleep) as client, pytest.raises(ResponseError) as caught:
        client.describe_security_groups()
    assert (caught.value.status, caught.value.attempts) == (status, 1)
    assert sleep.sleeps == []


# --- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "r", "header", "expected"),
    [
        # backoff 0.05 * 0.5 = 0.025 s; the server asks for 2 s: the client waits 2 s.
        (UNAVAILABLE, 0.5, "2", 2.0),
        # throttling backoff 0.5 s; asked for 3 s.
        (with_status(NOT_EC2["text"], 429), 0.5, "3", 3.0),
        # asked for less than the backoff: the backoff stands.
        (with_status(NOT_EC2["text"], 429), 1.0, "0", 1.0),
        # asked for an hour: at most 5 s over the backoff, as for x-amz-retry-after.
        (UNAVAILABLE, 1.0, "3600", OTHER_SCALE + 5.0),
    ],
    ids=["503-2s", "429-3s", "429-0s", "503-capped"],
)
def test_a_retry_after_header_in_seconds_raises_the_wait(
    server: FaultServer, reply: Reply, r: float, header: str, expected: float
) -> None:
    server.add(with_status(reply, reply.status, **{"Retry-After": header}), OK)
    sleep = Recorder()
    with client_for(server.url, sleep, r=r) as client:
        assert client.describe_security_groups() == RESULT
    assert sleep.sleeps == [pytest.approx(expected)]


def test_a_retry_after_http_date_raises_the_wait(server: FaultServer) -> None:
    # RFC 9110 allows an HTTP-date too; 4 s ahead, the wait is about 4 s (1 s of slack
    # for the time between the server's answer and the client's reading of it).
    when = email.utils.formatdate(time.time() + 4, usegmt=True)
    server.add(with_status(UNAVAILABLE, 503, **{"Retry-After": when}), OK)
    sleep = Recorder()
    with client_for(server.url, sleep, r=0.0) as client:
        assert client.describe_security_groups() == RESULT
    assert len(sleep.sleeps) == 1
    assert 2.0 <= sleep.sleeps[0] <= 4.0


@pytest.mark.parametrize(
    "header",
    ["soon", "-5", "1.5", "", "Wed, 21 Oct 2015 07:28:00 GMT", "9" * 400],
    ids=["word", "negative", "fraction", "empty", "past-date", "huge"],
)
def test_an_invalid_or_past_retry_after_leaves_the_backoff(
    server: FaultServer, header: str
) -> None:
    server.add(with_status(UNAVAILABLE, 503, **{"Retry-After": header}), OK)
    sleep = Recorder()
    with client_for(server.url, sleep, r=0.5) as client:
        assert client.describe_security_groups() == RESULT
    assert sleep.sleeps == [pytest.approx(OTHER_SCALE * 0.5)]


def test_x_amz_retry_after_wins_over_retry_after(server: FaultServer) -> None:
    # The AWS header is in milliseconds and meant for this client; botocore reads it.
    server.add(
        with_status(UNAVAILABLE, 503, **{"Retry-After": "4", "x-amz-retry-after": "1500"}), OK
    )
    sleep = Recorder()
    with client_for(server.url, sleep, r=0.5) as client:
        assert client.describe_security_groups() == RESULT
    assert sleep.sleeps == [pytest.approx(1.5)]


def test_retry_after_does_not_make_an_answer_retried(server: FaultServer) -> None:
    # The header sets how long to wait, never whether to retry.
    refused = Reply.error("InvalidParameterValue", "no", 400)
    server.add(with_status(refused, 400, **{"Retry-After": "1"}))
    sleep = Recorder()
    with client_for(server.url, sleep) as client, pytest.raises(InvalidParameterValue) as caught:
        client.describe_security_groups()
    assert caught.value.attempts == 1
    assert sleep.sleeps == []


# --- TLS certificate verification: not retried -----------------------------------------------


def test_a_certificate_that_fails_verification_is_tried_once(tmp_path: Path) -> None:
    # botocore retries its SSLError (a ConnectionError); a certificate that failed
    # verification fails the same way every time, so retrying only delays the answer.
    sleep = Recorder()
    with TLSServer(tmp_path, OK.body) as tls:
        with client_for(tls.url, sleep) as client, pytest.raises(ConnectionFailed) as caught:
            client.describe_security_groups()
        assert tls.connections == 1
        assert tls.handshakes == 0
    assert caught.value.attempts == 1
    assert sleep.sleeps == []
    assert "TLS certificate verification failed" in str(caught.value)


def test_the_same_server_is_reached_with_its_certificate_as_ca_bundle(tmp_path: Path) -> None:
    # The control: the failure above is the certificate, not the server.
    sleep = Recorder()
    with TLSServer(tmp_path, OK.body) as tls:
        with client_for(tls.url, sleep, verify=str(tls.cert_path)) as client:
            assert client.describe_security_groups() == RESULT
        assert (tls.connections, tls.handshakes) == (1, 1)


# --- redirects: the endpoint is wrong, not the connection -------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("kind", ["empty", "html"])
def test_a_redirect_says_the_endpoint_url_is_probably_wrong(
    server: FaultServer, status: int, kind: str
) -> None:
    server.add(with_status(NOT_EC2[kind], status, Location="https://example.com/login"))
    sleep = Recorder()
    with client_for(server.url, sleep) as client, pytest.raises(ResponseError) as caught:
        client.describe_security_groups()
    message = str(caught.value)
    assert (caught.value.status, caught.value.attempts) == (status, 1)
    assert f"HTTP {status}" in message
    assert "redirect" in message
    assert "EC2 does not redirect" in message
    assert "endpoint URL" in message
    assert "retry" not in message
    assert "connection may have been cut" not in message


def test_an_ec2_error_document_is_still_read_whatever_the_status(server: FaultServer) -> None:
    # Only bodies that are not EC2's get the redirect wording.
    server.add(Reply.error("InternalError", "boom", 302))
    sleep = Recorder()
    with client_for(server.url, sleep) as client, pytest.raises(ServerError) as caught:
        client.describe_security_groups()
    assert caught.value.code == "InternalError"

"""Deadlines per attempt and per call (attempt_timeout, call_timeout), against real sockets.

The server is tests/slow_server.py on 127.0.0.1 (or the fault server where a test needs
its headers): it trickles its status line, headers or body a byte at a time, or says
nothing; each test measures how long the call took against its deadline.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import ssl
import time
from typing import Any

import pytest
import requests

from ec2revoke import (
    ConfigurationError,
    EC2Client,
    RequestTimeout,
    StaticCredentials,
    ThrottlingError,
)
from tests.fault_server import FaultServer, Reply
from tests.slow_server import Answer, SlowServer, ok_body

OPERATION = "DescribeSecurityGroupRules"
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "secret")


def client_for(url: str, **options: Any) -> EC2Client:
    return EC2Client(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS, **options)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def timed_out(client: EC2Client) -> tuple[RequestTimeout, float]:
    started = time.monotonic()
    with pytest.raises(RequestTimeout) as caught:
        client.describe_security_group_rules()
    return caught.value, time.monotonic() - started


def assert_within_10_percent(elapsed: float, deadline: float) -> None:
    assert deadline * 0.9 <= elapsed <= deadline * 1.1, f"{elapsed:.2f}s for a {deadline}s deadline"


SLOW_HEADERS = Answer(head_interval=0.2)  # about 80 bytes of head: 16 s
SLOW_BODY = Answer(body_interval=0.05)  # about 300 bytes of body: 15 s
SILENT = Answer(delay=30)


@pytest.mark.parametrize(
    ("answer", "read_timeout"),
    [
        pytest.param(SLOW_HEADERS, 1.0, id="headers-read-1s"),
        pytest.param(SLOW_HEADERS, None, id="headers-no-read-timeout"),
        pytest.param(SLOW_BODY, 1.0, id="body-read-1s"),
        pytest.param(SLOW_BODY, None, id="body-no-read-timeout"),
        # Nothing at all: the read timeout, cut to what the attempt has left, says so.
        pytest.param(SILENT, 60.0, id="silent-read-60s"),
        pytest.param(SILENT, None, id="silent-no-read-timeout"),
    ],
)
def test_a_trickled_answer_is_cut_at_the_attempt_deadline(
    answer: Answer, read_timeout: float | None
) -> None:
    with SlowServer(answer) as server:
        client = client_for(server.url, timeout=read_timeout, attempt_timeout=2.0, max_attempts=1)
        with client:
            error, elapsed = timed_out(client)
        assert server.requests == 1
    assert_within_10_percent(elapsed, 2.0)
    assert type(error) is RequestTimeout
    assert error.operation == OPERATION
    assert error.attempts == 1
    message = str(error)
    assert "attempt_timeout=2" in message
    assert "EC2 may or may not have acted on it" in message


def test_a_trickled_body_on_a_session_of_your_own_is_cut_at_the_attempt_deadline() -> None:
    # Your session's adapter is not ours: the deadline reaches its connection once the
    # headers are in, which is what bounds a trickled body.
    session = requests.Session()
    with SlowServer(SLOW_BODY) as server:
        client = client_for(
            server.url, session=session, timeout=1.0, attempt_timeout=2.0, max_attempts=1
        )
        with client:
            error, elapsed = timed_out(client)
    session.close()
    assert_within_10_percent(elapsed, 2.0)
    assert "attempt_timeout=2s" in str(error)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 and the CA bundle that trusts it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


@pytest.mark.parametrize("answer", [SLOW_HEADERS, SLOW_BODY], ids=["headers", "body"])
def test_a_trickled_answer_over_tls_is_cut_at_the_attempt_deadline(
    tls: tuple[ssl.SSLContext, str], answer: Answer
) -> None:
    context, bundle = tls
    with SlowServer(Answer(), answer, tls=context) as server:
        client = client_for(
            server.url, verify=bundle, timeout=1.0, attempt_timeout=2.0, max_attempts=1
        )
        with client:
            # A first call that succeeds: the trickled answer comes on a kept connection.
            assert client.describe_security_group_rules().security_group_rules == ()
            error, elapsed = timed_out(client)
        assert server.requests == 2
    assert_within_10_percent(elapsed, 2.0)
    assert "attempt_timeout=2s" in str(error)


def test_the_call_deadline_ends_the_retries() -> None:
    with SlowServer(SLOW_HEADERS) as server:
        client = client_for(
            server.url, timeout=1.0, attempt_timeout=1.5, call_timeout=4.0, max_attempts=10
        )
        with client:
            error, elapsed = timed_out(client)
        # 0-1.5 s, 1.5-3 s (plus backoff waits of at most 0.15 s), then cut at 4 s.
        assert server.requests == 3
    assert_within_10_percent(elapsed, 4.0)
    assert error.attempts == 3
    assert "call_timeout=4" in str(error)


def test_no_backoff_wait_runs_past_the_call_deadline(sleeps: list[float]) -> None:
    # EC2 asks for 5 s; the call has 1 s: give up now rather than sleep past the deadline.
    throttled = Reply.error("RequestLimitExceeded", "Request limit exceeded.", 503)
    throttled = dataclasses.replace(
        throttled, headers={**throttled.headers, "x-amz-retry-after": "5000"}
    )
    with FaultServer() as server:
        server.add(throttled)
        client = client_for(server.url, call_timeout=1.0, max_attempts=5, sleep=sleeps.append)
        started = time.monotonic()
        with client, pytest.raises(ThrottlingError) as caught:
            client.describe_security_group_rules()
        elapsed = time.monotonic() - started
        assert len(server.requests) == 1
    assert sleeps == []
    assert elapsed < 1.0
    assert caught.value.code == "RequestLimitExceeded"
    assert caught.value.attempts == 1


def test_retries_that_fit_in_the_call_deadline_still_run() -> None:
    with FaultServer() as server:
        server.add(Reply.error("InternalError", "try again", 500), times=2)
        server.add(Reply.xml(ok_body()))
        with client_for(server.url, call_timeout=30.0, max_attempts=3) as client:
            assert client.describe_security_group_rules().security_group_rules == ()
        assert len(server.requests) == 3


@pytest.mark.parametrize("name", ["attempt_timeout", "call_timeout"])
@pytest.mark.parametrize("bad", [0, -1.0, True, "5", float("nan"), float("inf")])
def test_deadlines_must_be_positive_seconds(name: str, bad: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        client_for("http://127.0.0.1:1", **{name: bad})
    assert name in str(caught.value)

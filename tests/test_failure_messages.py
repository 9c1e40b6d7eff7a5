"""A request that could not be made says why, in full: refused, name, TLS, proxy.

Each test provokes the real failure (a closed port on 127.0.0.1, a name in the
``.invalid`` domain, a self-signed certificate, a proxy that is not there) and checks
the message names the endpoint, says what went wrong in plain words with the cause in
full, says what to do, and says whether anything was sent.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ec2revoke import (
    ConnectionFailed,
    EC2Client,
    RequestTimeout,
    StaticCredentials,
    TLSVerificationFailed,
    codec,
    shapes,
)
from ec2revoke._http.retry import RetryPolicy
from tests.fault_server import FaultServer, Reply
from tests.tls_server import TLSServer

OPERATION = "DescribeSecurityGroups"
OK = codec.to_xml(shapes.DescribeSecurityGroupsResult(security_groups=[]), request_id="r")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def client(url: str, *, attempts: int = 1, **kwargs: object) -> EC2Client:
    return EC2Client(
        region="us-east-1",
        endpoint_url=url,
        credentials=StaticCredentials("AKIDEXAMPLE", "example-secret"),
        retry_policy=RetryPolicy(max_attempts=attempts, random=lambda: 0.0),
        sleep=lambda _: None,
        **kwargs,  # type: ignore[arg-type]
    )


def test_connection_refused_is_said_in_full() -> None:
    port = closed_port()
    with (
        client(f"http://127.0.0.1:{port}", attempts=3) as ec2,
        pytest.raises(ConnectionFailed) as caught,
    ):
        ec2.describe_security_groups()
    error = caught.value
    assert type(error) is ConnectionFailed
    assert error.attempts == 3  # refused is retried, as botocore retries it
    message = str(error)
    assert message.startswith(
        f"{OPERATION}: could not connect to the endpoint URL http://127.0.0.1:{port}/: "
        f"connection refused (nothing accepts connections at 127.0.0.1 port {port})"
    )
    assert "nothing was sent" in message
    assert "Check endpoint_url" in message
    # The raw text urllib3 wraps it in is not what a person should have to read.
    assert "Max retries exceeded" not in message
    assert "HTTPConnectionPool" not in message


def test_a_name_that_does_not_resolve_is_named() -> None:
    with client("https://ec2.nowhere.invalid") as ec2, pytest.raises(ConnectionFailed) as caught:
        ec2.describe_security_groups()
    message = str(caught.value)
    assert message.startswith(
        f"{OPERATION}: could not connect to the endpoint URL https://ec2.nowhere.invalid/: "
        "the name 'ec2.nowhere.invalid' could not be resolved ("
    )
    # The resolver's own words, whole (glibc says "Name or service not known").
    resolver = message.split("could not be resolved (", 1)[1].split(")", 1)[0]
    assert resolver
    assert resolver in {
        "Name or service not known",
        "nodename nor servname provided, or not known",
        "Temporary failure in name resolution",
        "No address associated with hostname",
    }
    assert "DNS" in message
    assert "nothing was sent" in message


def test_a_certificate_that_fails_verification_says_why_and_what_to_do(tmp_path: Path) -> None:
    with TLSServer(tmp_path, OK) as tls:
        with client(tls.url, attempts=3) as ec2, pytest.raises(TLSVerificationFailed) as caught:
            ec2.describe_security_groups()
        assert tls.connections == 1
    error = caught.value
    assert isinstance(error, ConnectionFailed)
    assert error.code == "TLSVerificationFailed"
    message = str(error)
    assert message.startswith(
        f"{OPERATION}: could not connect to the endpoint URL {tls.url}/: "
        "TLS certificate verification failed: self-signed certificate"
    )
    assert "verify=" in message  # what to do
    assert "not retried" in message
    assert "nothing was sent" in message


def test_a_host_name_the_certificate_does_not_cover_is_named(tmp_path: Path) -> None:
    # The certificate is for 127.0.0.1 only; trusted, but not for "localhost".
    with TLSServer(tmp_path, OK) as tls:
        url = tls.url.replace("127.0.0.1", "localhost")
        with (
            client(url, verify=str(tls.cert_path)) as ec2,
            pytest.raises(TLSVerificationFailed) as caught,
        ):
            ec2.describe_security_groups()
    message = str(caught.value)
    assert "TLS certificate verification failed: " in message
    assert "mismatch" in message.lower()
    assert "'localhost'" in message


def test_a_proxy_that_refuses_is_named_without_its_password() -> None:
    proxy_port = closed_port()
    proxy = f"http://proxyuser:proxy-pass-0123@127.0.0.1:{proxy_port}"
    with (
        client("http://ec2.internal.example", proxies={"http": proxy}) as ec2,
        pytest.raises(ConnectionFailed) as caught,
    ):
        ec2.describe_security_groups()
    message = str(caught.value)
    assert message.startswith(
        f"{OPERATION}: could not connect to the endpoint URL http://ec2.internal.example/: "
        f"the proxy http://proxyuser:***@127.0.0.1:{proxy_port} could not be reached: "
        "connection refused"
    )
    assert "proxies=" in message
    assert "HTTPS_PROXY" in message
    assert "proxy-pass-0123" not in message
    assert "proxy-pass-0123" not in repr(caught.value)
    assert "proxy-pass-0123" not in str(caught.value.__cause__)


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A port whose listen queue is full: Linux drops further SYNs, so connecting hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            yield port
        finally:
            for filler in fillers:
                filler.close()


def test_a_connect_timeout_says_nothing_was_sent() -> None:
    with full_backlog() as port:
        started = time.monotonic()
        with (
            client(f"http://127.0.0.1:{port}", timeout=(0.3, 5.0)) as ec2,
            pytest.raises(RequestTimeout) as caught,
        ):
            ec2.describe_security_groups()
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 3.0  # the connect timeout, not the read timeout, ended it
    assert str(caught.value).startswith(
        f"{OPERATION}: could not connect to the endpoint URL http://127.0.0.1:{port}/ "
        "within 0.3 s (connect timeout); nothing was sent"
    )


def test_a_connection_cut_mid_request_keeps_the_whole_cause() -> None:
    with FaultServer() as server:
        server.add(Reply.reset())
        with client(server.url) as ec2, pytest.raises(ConnectionFailed) as caught:
            ec2.describe_security_groups()
        url = server.url
    message = str(caught.value)
    assert message.startswith(f"{OPERATION} to {url}/ failed: ")
    assert "Connection reset by peer" in message
    assert "EC2 may or may not have acted on it" in message

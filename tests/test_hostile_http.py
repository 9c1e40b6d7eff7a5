"""Answers that are too big, too slow or too many for the HTTP layer, against real sockets.

The server is tests/slow_server.py on 127.0.0.1 (or the fault server where a test needs
its headers): it trickles, stalls and streams without end, and records what it sent on
each connection, so each test sees both the typed error and what happened on the wire.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import json
import logging
import os
import ssl
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ec2revoke import (
    ConfigurationError,
    EC2Client,
    RequestTimeout,
    ResponseError,
    Rule,
    StaticCredentials,
    ThrottlingError,
    codec,
    shapes,
)
from ec2revoke._transport import DEFAULT_MAX_RESPONSE_BYTES
from ec2revoke.fleet import Account, FleetConfig, FleetRunner, RateLimits, RevokeMatching
from tests.fault_server import FaultServer, Reply
from tests.slow_server import Answer, SlowServer, ok_body
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

OPERATION = "DescribeSecurityGroupRules"
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "secret")
MiB = 1024 * 1024


def client_for(url: str, **options: Any) -> EC2Client:
    return EC2Client(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS, **options)


@pytest.fixture
def sleeps() -> list[float]:
    return []


# --- item 5: a size limit per answer ---------------------------------------------------------


def assert_too_large(error: ResponseError, *, status: int, limit: int) -> None:
    assert type(error) is ResponseError
    assert error.code == "ResponseTooLarge"
    assert error.status == status
    assert error.operation == OPERATION
    assert error.attempts == 1, "an answer over the limit is not retried"
    message = str(error)
    assert f"{limit:,} bytes" in message
    assert "max_response_bytes" in message


@pytest.mark.parametrize("status", [200, 503])
def test_an_answer_whose_content_length_is_over_the_limit_is_refused_unread(
    sleeps: list[float], status: int
) -> None:
    with SlowServer(Answer(status=status, stream_size=64 * MiB)) as server:
        client = client_for(server.url, max_response_bytes=MiB, sleep=sleeps.append)
        with client, pytest.raises(ResponseError) as caught:
            client.describe_security_group_rules()
    assert_too_large(caught.value, status=status, limit=MiB)
    assert "Content-Length" in str(caught.value)
    assert server.requests == 1
    assert sleeps == []
    # Refused on the header: the connection was closed long before 64 MiB went out.
    (connection,) = server.connections
    assert connection.client_left
    assert connection.sent < 16 * MiB


@pytest.mark.parametrize("status", [200, 503])
def test_an_endless_chunked_answer_is_refused_at_the_limit(
    sleeps: list[float], status: int
) -> None:
    endless = Answer(status=status, stream_size=1 << 40, content_length=False)
    with SlowServer(endless) as server:
        client = client_for(server.url, max_response_bytes=MiB, sleep=sleeps.append)
        with client, pytest.raises(ResponseError) as caught:
            client.describe_security_group_rules()
    assert_too_large(caught.value, status=status, limit=MiB)
    assert server.requests == 1
    assert sleeps == []
    (connection,) = server.connections
    assert connection.client_left, "the connection was not closed on refusal"
    assert MiB <= connection.sent < 16 * MiB


@pytest.mark.parametrize("chunked", [False, True])
def test_an_answer_of_exactly_the_limit_is_read(chunked: bool) -> None:
    body = ok_body()
    answer = Answer(body=body, content_length=not chunked)
    with SlowServer(answer) as server:
        with client_for(server.url, max_response_bytes=len(body)) as client:
            assert client.describe_security_group_rules().security_group_rules == ()
        with (
            client_for(server.url, max_response_bytes=len(body) - 1) as client,
            pytest.raises(ResponseError) as caught,
        ):
            client.describe_security_group_rules()
    assert_too_large(caught.value, status=200, limit=len(body) - 1)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "64MiB", None])
def test_max_response_bytes_must_be_a_positive_whole_number(bad: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        client_for("http://127.0.0.1:1", max_response_bytes=bad)
    assert "max_response_bytes" in str(caught.value)


def test_the_largest_real_pages_fit_well_under_the_default_limit() -> None:
    # The sizes docs/configuration.md quotes for choosing the default.
    rule = shapes.SecurityGroupRule(
        security_group_rule_id="sgr-0123456789abcdef0",
        group_id="sg-0123456789abcdef0",
        group_owner_id="123456789012",
        is_egress=False,
        ip_protocol="tcp",
        from_port=1024,
        to_port=65535,
        cidr_ipv4="203.0.113.0/24",
        description="d" * 255,
        tags=[shapes.Tag(key="Name", value="v" * 255)],
    )
    rules = shapes.DescribeSecurityGroupRulesResult(
        security_group_rules=[rule] * 1000, next_token="t" * 100
    )
    assert len(codec.to_xml(rules, request_id="r")) < 1_000_000
    permission = shapes.IpPermission(
        ip_protocol="tcp",
        from_port=1024,
        to_port=65535,
        ip_ranges=[shapes.IpRange(cidr_ip="203.0.113.0/24", description="d" * 255)],
    )
    group = shapes.SecurityGroup(
        group_id="sg-0123456789abcdef0",
        group_name="n" * 255,
        description="d" * 255,
        owner_id="123456789012",
        vpc_id="vpc-0123456789abcdef0",
        ip_permissions=[permission] * 60,
        ip_permissions_egress=[permission] * 60,
    )
    page = codec.to_xml(shapes.DescribeSecurityGroupsResult(security_groups=[group] * 1000))
    assert 50 * MiB < len(page) < 52 * MiB
    assert len(page) < DEFAULT_MAX_RESPONSE_BYTES / 2


# Runs in a process of its own, so its peak RSS is the client's alone.
_MEASURE = """
import json, resource, sys
from ec2revoke import EC2Client, EC2Error, StaticCredentials

client = EC2Client(region="us-east-1", endpoint_url=sys.argv[1], max_attempts=1,
                   credentials=StaticCredentials("AKIDEXAMPLE", "secret"))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    client.describe_security_group_rules()
    outcome = {"error": None}
except EC2Error as e:
    outcome = {"error": type(e).__name__, "code": e.code, "status": e.status, "message": str(e)}
outcome["before_kib"] = before
outcome["peak_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(outcome))
"""
# Linux carries a process's peak RSS across fork and exec into getrusage's figure, so a
# child of this (large) test process would report this process's peak; a small launcher
# in between starts the child from a small image.
_LAUNCH = (
    "import subprocess, sys\n"
    "sys.exit(subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]]).returncode)"
)
PEAK_BOUND_MIB = 128 + 48  # the default limit, plus room for one chunk, the parser, noise


@pytest.mark.parametrize("content_length", [False, True], ids=["chunked", "content-length"])
def test_a_200_mb_answer_is_refused_with_the_client_peak_rss_bounded(
    content_length: bool,
) -> None:
    env = dict(os.environ, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    huge = Answer(stream_size=200 * 1000 * 1000, content_length=content_length)
    with SlowServer(huge) as server:
        run = subprocess.run(
            [sys.executable, "-c", _LAUNCH, _MEASURE, server.url],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    assert (outcome["error"], outcome["code"], outcome["status"]) == (
        "ResponseError",
        "ResponseTooLarge",
        200,
    )
    assert "134,217,728 bytes" in outcome["message"]
    grown_mib = (outcome["peak_kib"] - outcome["before_kib"]) / 1024
    print(f"peak RSS {outcome['peak_kib'] / 1024:.0f} MiB, grown by the call {grown_mib:.0f} MiB")
    assert grown_mib < PEAK_BOUND_MIB, f"the call grew the client's RSS by {grown_mib:.0f} MiB"


# --- item 8: deadlines per attempt and per call ----------------------------------------------


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


def test_the_call_deadline_ends_the_retries(sleeps: list[float]) -> None:
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


SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRETzKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEzSESSIONzTOKENz0123456789"


def everything_said(error: BaseException) -> str:
    """The error's text, its chained causes, and every local of every frame they passed."""
    said = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        said += [repr(e), repr(vars(e))]
        todo += [e.__cause__, e.__context__]
        for frame, _ in traceback.walk_tb(e.__traceback__):
            for value in frame.f_locals.values():
                said.append(repr(value))
                headers = getattr(value, "headers", None)
                if headers is not None:
                    said.append(repr(dict(headers)))
    return "\n".join(said)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(Answer(stream_size=2 * MiB), ResponseError), (SLOW_BODY, RequestTimeout)],
    ids=["too-large", "deadline"],
)
def test_refusals_and_deadlines_show_no_secrets(answer: Answer, expected: type[Exception]) -> None:
    credentials = StaticCredentials("AKIDEXAMPLE", SECRET, TOKEN)
    with SlowServer(answer) as server:
        client = EC2Client(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=credentials,
            max_attempts=1,
            attempt_timeout=1.0,
            max_response_bytes=MiB,
        )
        with client, pytest.raises(expected) as caught:
            client.describe_security_group_rules()
    said = everything_said(caught.value)
    assert SECRET not in said
    assert TOKEN not in said
    assert "Signature=" not in said


# --- item 11: a connection pool fit for the threads --------------------------------------------

THREADS = 32


def hammer(client: EC2Client, calls_each: int) -> list[BaseException]:
    """THREADS threads, started together, each making ``calls_each`` calls."""
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        try:
            for _ in range(calls_each):
                client.describe_security_group_rules()
        except BaseException as e:  # reported below, not lost in the thread
            failures.append(e)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return failures


def pool_full_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Connection pool is full" in r.getMessage()]


@pytest.fixture
def busy_server() -> Iterator[SlowServer]:
    # Each answer takes 50 ms, so all the threads' requests are out at once.
    with SlowServer(Answer(delay=0.05)) as server:
        yield server


def test_32_threads_on_one_client_discard_no_connection(
    busy_server: SlowServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    with client_for(busy_server.url) as client:
        assert hammer(client, calls_each=5) == []
    assert busy_server.requests == THREADS * 5
    assert pool_full_warnings(caplog) == []
    assert len(busy_server.connections) <= THREADS


def test_max_pool_connections_sets_the_pool(
    busy_server: SlowServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    with client_for(busy_server.url, max_pool_connections=4) as client:
        assert hammer(client, calls_each=3) == []
    # More threads than pooled connections: the extra connections are not kept.
    assert pool_full_warnings(caplog)
    assert len(busy_server.connections) > 4


def test_a_session_of_your_own_keeps_its_adapters() -> None:
    session = requests.Session()
    adapters = dict(session.adapters)
    with client_for("http://127.0.0.1:1", session=session, max_pool_connections=64):
        assert session.adapters == adapters
    session.close()


@pytest.mark.parametrize("bad", [0, -3, True, 2.5, "32"])
def test_max_pool_connections_must_be_a_positive_whole_number(bad: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        client_for("http://127.0.0.1:1", max_pool_connections=bad)
    assert "max_pool_connections" in str(caught.value)


def test_a_fleet_run_keeps_a_connection_for_each_worker(caplog: pytest.LogCaptureFixture) -> None:
    # 48 workers on one lane: more than a client's default pool of 32.
    caplog.set_level(logging.WARNING, logger="urllib3")
    with ThrottlingServer(latency=0.05, throttle=False) as server:
        server.populate(["us-east-1"], 200)
        config = FleetConfig(
            action=RevokeMatching([Rule.tcp(22).from_any_ipv4()]),
            regions=["us-east-1"],
            accounts=[Account(credentials=CREDENTIALS, account_id=DEFAULT_ACCOUNT)],
            endpoint_url=server.endpoint_template,
            sts_endpoint_url=server.sts_url,
            limits=RateLimits(scale=1000),
            concurrency=48,
            dry_run=True,
        )
        summary = FleetRunner(config).run()
    assert summary.ok, summary
    assert summary.targets == 200
    assert pool_full_warnings(caplog) == []

"""The size limit on answers (max_response_bytes), against real sockets.

The server is tests/slow_server.py on 127.0.0.1: it streams answers of any size, with or
without a Content-Length, and records what it sent on each connection, so each test
sees both the typed refusal and that the connection was closed rather than read to
the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from typing import Any

import pytest

from ec2revoke import (
    ConfigurationError,
    EC2Client,
    RequestTimeout,
    ResponseError,
    StaticCredentials,
    codec,
    shapes,
)
from ec2revoke._http.transport import DEFAULT_MAX_RESPONSE_BYTES
from tests.slow_server import Answer, SlowServer, ok_body

OPERATION = "DescribeSecurityGroupRules"
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "secret")
MiB = 1024 * 1024


def client_for(url: str, **options: Any) -> EC2Client:
    return EC2Client(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS, **options)


@pytest.fixture
def sleeps() -> list[float]:
    return []


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
    [(Answer(stream_size=2 * MiB), ResponseError), (Answer(body_interval=0.05), RequestTimeout)],
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

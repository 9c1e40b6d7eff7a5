"""The HTTP connection pool (max_pool_connections): enough kept connections for the threads.

urllib3 logs, rather than warns, when it discards a connection from a full pool, so the
tests read its logger.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ec2revoke import (
    ConfigurationError,
    EC2Client,
    Rule,
    StaticCredentials,
)
from ec2revoke.fleet import Account, FleetConfig, FleetRunner, RateLimits, RevokeMatching
from tests.slow_server import Answer, SlowServer
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "secret")


def client_for(url: str, **options: Any) -> EC2Client:
    return EC2Client(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS, **options)


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

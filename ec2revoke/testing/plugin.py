"""pytest fixtures for testing code that uses ec2revoke.

Installed with ec2revoke and loaded by pytest through the ``pytest11`` entry point:

``ec2_stubber``
    A Stubber bound to a fresh EC2Client (``ec2_stubber.client``, region us-east-1),
    active for the test; at teardown of a passing test it asserts that every answer
    was used and no call was refused. The client does not sleep between retries.
``ec2_embedded``
    An embedded EC2 endpoint (moto's server on 127.0.0.1; needs ``ec2revoke[demo]``)
    with ``.client()`` and ``.url``. One server serves the whole session; its state
    is reset before each test, so tests never see each other's groups. moto keeps
    that state per process, so do not run another in-process moto beside it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ec2revoke.testing._embedded import EmbeddedEC2
    from ec2revoke.testing._fixtures import EmbeddedEndpoint
    from ec2revoke.testing._stubber import Stubber

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note a failed test, so teardown does not pile unused-answer errors on top."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


def _no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def ec2_stubber(request: pytest.FixtureRequest) -> Iterator[Stubber]:
    """A Stubber bound to a fresh client, active for the test."""
    # Imported here: the plugin loads in every pytest run where ec2revoke is installed,
    # with or without the testing extra.
    from ec2revoke import EC2Client, StaticCredentials
    from ec2revoke.testing._stubber import Stubber

    client = EC2Client(
        region="us-east-1",
        credentials=StaticCredentials("AKIDSTUBBEREXAMPLE", "stubber-example-secret"),
        sleep=_no_sleep,
    )
    stubber = Stubber(client)
    stubber.activate()
    yield stubber
    stubber.deactivate()
    client.close()
    if not request.node.stash.get(_FAILED, False):
        stubber.assert_no_pending_responses()


@pytest.fixture(scope="session")
def _ec2_embedded_server() -> Iterator[EmbeddedEC2]:
    from ec2revoke.testing._embedded import EmbeddedEC2

    with EmbeddedEC2() as server:
        yield server


@pytest.fixture
def ec2_embedded(_ec2_embedded_server: EmbeddedEC2) -> Iterator[EmbeddedEndpoint]:
    """The session's embedded EC2 endpoint, emptied for this test."""
    from ec2revoke.testing._fixtures import EmbeddedEndpoint

    endpoint = EmbeddedEndpoint(_ec2_embedded_server)
    endpoint.reset()
    yield endpoint
    endpoint.close()

"""moto's EC2 server wired for the safe-revoke tests: a client whose wire is recorded,
fresh groups in the default VPC, and the group as DescribeSecurityGroups shows it (a
different API from the DescribeSecurityGroupRules that the safe layer reads)."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from requests.adapters import HTTPAdapter

from ec2revoke import EC2Client, EC2Error, Rule, shapes
from ec2revoke._revoke.report import RevokeReport
from ec2revoke._rules.rule import merge
from tests.moto_server import MotoEC2

# (direction, protocol, from port, to port, peer): one rule as DescribeSecurityGroups
# shows it; peer is the CIDR block, the referenced group id or the prefix list id.
Key = tuple[str, str, int | None, int | None, str]

DEFAULT_EGRESS: Key = ("egress", "-1", None, None, "0.0.0.0/0")
"""The egress rule every new VPC security group starts with."""


# --- the wire ----------------------------------------------------------------------------


class Recorder(HTTPAdapter):
    """Keeps the form parameters of every request sent through it, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        body = request.body
        assert isinstance(body, bytes), body
        with self._lock:
            self.sent.append(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        return super().send(request, stream, timeout, verify, cert, proxies)

    def actions(self) -> list[str]:
        return [params["Action"] for params in self.sent]

    def of(self, action: str) -> list[dict[str, str]]:
        return [params for params in self.sent if params["Action"] == action]

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()


@dataclass
class Wired:
    client: EC2Client
    wire: Recorder
    sleeps: list[float]


@pytest.fixture
def wired(moto_ec2: MotoEC2) -> Iterator[Wired]:
    """A client signing as the allow-all IAM user, its wire recorded, its sleeps kept."""
    wire = Recorder()
    sleeps: list[float] = []
    with requests.Session() as session:
        session.mount("http://", wire)
        with EC2Client(
            region=moto_ec2.region,
            endpoint_url=moto_ec2.url,
            credentials=moto_ec2.admin,
            session=session,
            max_attempts=1,
            sleep=sleeps.append,
        ) as client:
            yield Wired(client, wire, sleeps)


@dataclass(frozen=True)
class Group:
    id: str
    name: str


@pytest.fixture
def new_group(wired: Wired) -> Iterator[Callable[[], Group]]:
    """Makes fresh security groups in the default VPC; deletes them afterwards."""
    client = wired.client
    made: list[Group] = []

    def make() -> Group:
        name = f"safe-e2e-{uuid.uuid4().hex[:12]}"
        created = client.create_security_group(group_name=name, description="safe revoke e2e")
        assert created.group_id is not None
        made.append(Group(created.group_id, name))
        return made[-1]

    yield make
    for group in reversed(made):
        with contextlib.suppress(EC2Error):
            client.delete_security_group(group_id=group.id)


@pytest.fixture(scope="module")
def prefix_list(moto_ec2: MotoEC2) -> str:
    """A managed prefix list (ec2revoke has no call for creating one: boto3 makes it)."""
    import boto3

    ec2 = boto3.client(
        "ec2",
        endpoint_url=moto_ec2.url,
        region_name=moto_ec2.region,
        aws_access_key_id=moto_ec2.admin.access_key,
        aws_secret_access_key=moto_ec2.admin.secret_key,
    )
    try:
        made = ec2.create_managed_prefix_list(
            PrefixListName=f"safe-e2e-{uuid.uuid4().hex[:8]}",
            MaxEntries=5,
            AddressFamily="IPv4",
            Entries=[{"Cidr": "192.0.2.0/24"}],
        )
    finally:
        ec2.close()
    prefix_list_id: str = made["PrefixList"]["PrefixListId"]
    assert prefix_list_id.startswith("pl-")
    return prefix_list_id


# --- the group as DescribeSecurityGroups shows it ------------------------------------------


def key(rule: Rule, direction: str = "ingress") -> Key:
    peer = rule.peer
    assert peer is not None
    where = peer.cidr or peer.group_id or peer.prefix_list_id
    assert where is not None
    port = rule.port
    return (direction, port.protocol, port.from_port, port.to_port, where)


def keys(*rules: Rule, direction: str = "ingress") -> set[Key]:
    return {key(r, direction) for r in rules}


def snapshot(client: EC2Client, group_id: str) -> set[Key]:
    """Every rule of the group, read with DescribeSecurityGroups (not the safe layer)."""
    (group,) = client.describe_security_groups(group_ids=[group_id]).security_groups or ()
    found: list[Key] = []
    for direction, permissions in (
        ("ingress", group.ip_permissions),
        ("egress", group.ip_permissions_egress),
    ):
        for p in permissions or ():
            assert p.ip_protocol is not None
            ports = (None, None) if p.ip_protocol == "-1" else (p.from_port, p.to_port)
            peers = [r.cidr_ip for r in p.ip_ranges or ()]
            peers += [r.cidr_ipv6 for r in p.ipv6_ranges or ()]
            peers += [g.group_id for g in p.user_id_group_pairs or ()]
            peers += [pl.prefix_list_id for pl in p.prefix_list_ids or ()]
            for peer in peers:
                assert peer is not None
                found.append((direction, p.ip_protocol, *ports, peer))
    assert len(found) == len(set(found)), found
    return set(found)


def rule_ids(client: EC2Client, group_id: str) -> dict[Key, str]:
    """The group's rule IDs by rule, read with the plain DescribeSecurityGroupRules call."""
    result = client.describe_security_group_rules(
        filters=[shapes.Filter(name="group-id", values=[group_id])]
    )
    found: dict[Key, str] = {}
    for r in result.security_group_rules or ():
        assert r.ip_protocol is not None
        assert r.security_group_rule_id is not None
        ref = r.referenced_group_info
        peer = r.cidr_ipv4 or r.cidr_ipv6 or r.prefix_list_id or (ref.group_id if ref else None)
        assert peer is not None
        ports = (None, None) if r.ip_protocol == "-1" else (r.from_port, r.to_port)
        direction = "egress" if r.is_egress else "ingress"
        found[(direction, r.ip_protocol, *ports, peer)] = r.security_group_rule_id
    return found


def authorize(client: EC2Client, group_id: str, *rules: Rule) -> None:
    client.authorize_security_group_ingress(group_id=group_id, ip_permissions=merge(rules))


def revoked_keys(report: RevokeReport, direction: str = "ingress") -> list[Key]:
    assert all(r.rule is not None for r in report.revoked), report
    return [key(r.rule, direction) for r in report.revoked if r.rule is not None]


SSH_ANY4 = Rule.tcp(22).from_any_ipv4()
SSH_ANY6 = Rule.tcp(22).from_any_ipv6()
ALL_TCP_ANY4 = Rule.all_tcp().from_any_ipv4()
ALL_ANY6 = Rule.all_traffic().from_any_ipv6()
HTTPS_10 = Rule.HTTPS.from_cidr("10.0.0.0/8")
ICMP_3_4 = Rule.icmp(3, 4).from_any_ipv4()

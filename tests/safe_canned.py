"""Canned EC2 for the safe-revoke tests: a client served by the testing kit's Stubber,
and EC2's shapes for rules as DescribeSecurityGroupRules lists them, as a revoke answer
names them, and as the safe layer's requests carry them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from ec2revoke import EC2Client, Rule, StaticCredentials, shapes
from ec2revoke.testing import Stubber

ENDPOINT = "https://ec2.example.test"
GROUP = "sg-0123456789abcdef0"
PEER = "sg-0fedcba9876543210"
ACCOUNT = "123456789012"
PREFIX_LIST = "pl-0123456789abcdef0"

SSH_ANY4 = Rule.tcp(22).from_any_ipv4()
SSH_ANY6 = Rule.tcp(22).from_any_ipv6()
OFFICE = Rule.tcp(22).from_cidr("203.0.113.0/24").describe("office & vpn")
HTTPS_ANY6 = Rule.HTTPS.from_any_ipv6()

REVOKE = "RevokeSecurityGroupIngress"
READ = "DescribeSecurityGroupRules"


# --- a canned EC2 ------------------------------------------------------------------------------


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[EC2Client]:
    with EC2Client(
        region="us-east-1",
        endpoint_url=ENDPOINT,
        credentials=StaticCredentials("AKIDEXAMPLE", "secret"),
        sleep=sleeps.append,
    ) as c:
        yield c


@pytest.fixture
def stubber(client: EC2Client) -> Iterator[Stubber]:
    """Active for the test; at the end, every answer must be used and no call refused."""
    with Stubber(client) as stub:
        yield stub


def operations(stubber: Stubber) -> list[str]:
    """The operations of the requests sent so far, in order."""
    return [type(r).__name__.removesuffix("Request") for r in stubber.sent]


def listed(
    rule_id: str, rule: Rule, *, egress: bool = False, group: str = GROUP
) -> shapes.SecurityGroupRule:
    """A rule as DescribeSecurityGroupRules lists it (all-traffic ports as -1, as EC2 does)."""
    peer, port = rule.peer, rule.port
    assert peer is not None
    cidr = peer.cidr
    return shapes.SecurityGroupRule(
        security_group_rule_id=rule_id,
        group_id=group,
        group_owner_id=ACCOUNT,
        is_egress=egress,
        ip_protocol=port.protocol,
        from_port=-1 if port.from_port is None else port.from_port,
        to_port=-1 if port.to_port is None else port.to_port,
        cidr_ipv4=cidr if cidr and ":" not in cidr else None,
        cidr_ipv6=cidr if cidr and ":" in cidr else None,
        prefix_list_id=peer.prefix_list_id,
        referenced_group_info=(
            shapes.ReferencedSecurityGroup(group_id=peer.group_id, user_id=ACCOUNT)
            if peer.group_id
            else None
        ),
        description=rule.description,
    )


def rules_page(
    *rules: shapes.SecurityGroupRule, next_token: str | None = None
) -> shapes.DescribeSecurityGroupRulesResult:
    return shapes.DescribeSecurityGroupRulesResult(
        security_group_rules=rules, next_token=next_token
    )


def revoked(rule_id: str, rule: Rule, *, egress: bool = False) -> shapes.RevokedSecurityGroupRule:
    """An entry of RevokedSecurityGroupRules, as EC2 sends it."""
    rule_listed = listed(rule_id, rule, egress=egress)
    ref = rule_listed.referenced_group_info
    return shapes.RevokedSecurityGroupRule(
        security_group_rule_id=rule_id,
        group_id=GROUP,
        is_egress=egress,
        ip_protocol=rule_listed.ip_protocol,
        from_port=rule_listed.from_port,
        to_port=rule_listed.to_port,
        cidr_ipv4=rule_listed.cidr_ipv4,
        cidr_ipv6=rule_listed.cidr_ipv6,
        prefix_list_id=rule_listed.prefix_list_id,
        referenced_group_id=ref.group_id if ref else None,
        description=rule.description,
    )


def ingress_answer(**fields: Any) -> shapes.RevokeSecurityGroupIngressResult:
    return shapes.RevokeSecurityGroupIngressResult(**fields)


# --- the requests the safe layer is expected to send -----------------------------------------


def tcp(
    port: int,
    *,
    cidrs: list[shapes.IpRange] | None = None,
    cidrs6: list[str] | None = None,
    groups: list[shapes.UserIdGroupPair] | None = None,
    prefix_lists: list[str] | None = None,
) -> shapes.IpPermission:
    """One TCP permission as the request carries it (nothing but what is given)."""
    return shapes.IpPermission(
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        ip_ranges=cidrs,
        ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6=c) for c in cidrs6] if cidrs6 else None,
        user_id_group_pairs=groups,
        prefix_list_ids=(
            [shapes.PrefixListId(prefix_list_id=p) for p in prefix_lists] if prefix_lists else None
        ),
    )


def cidr(block: str, description: str | None = None) -> shapes.IpRange:
    return shapes.IpRange(cidr_ip=block, description=description)


ANYWHERE = cidr("0.0.0.0/0")
OFFICE_RANGE = cidr("203.0.113.0/24", "office & vpn")
# As a revoke sends it: EC2 matches a rule without its description (F4).
OFFICE_SENT = cidr("203.0.113.0/24")


def revoke_by_rule(*permissions: shapes.IpPermission) -> shapes.RevokeSecurityGroupIngressRequest:
    return shapes.RevokeSecurityGroupIngressRequest(group_id=GROUP, ip_permissions=permissions)


def revoke_by_id(*rule_ids: str) -> shapes.RevokeSecurityGroupIngressRequest:
    return shapes.RevokeSecurityGroupIngressRequest(
        group_id=GROUP, security_group_rule_ids=rule_ids
    )


# Every read of the group's rules, whether to find them, for missing_ok or to verify.
READ_RULES = shapes.DescribeSecurityGroupRulesRequest(
    filters=[shapes.Filter(name="group-id", values=[GROUP])], max_results=1000
)


def read_page(next_token: str | None) -> shapes.DescribeSecurityGroupRulesRequest:
    return dataclasses.replace(READ_RULES, next_token=next_token)

"""The testing kit on the safe revoke: the canned answers moto never gives, via ec2_stubber.

tests/test_safe_revoke_canned.py covers these paths in full with a Stubber of its own
(its client records the safe layer's sleeps); here the ``ec2_stubber`` fixture of the
installed plugin shows the shortest form a user's test takes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ec2revoke import (
    InvalidPermissionNotFound,
    RevokeIncomplete,
    Rule,
    shapes,
)
from ec2revoke._revoke.report import RevokedRule
from ec2revoke.testing import ANY, Stubber

GROUP = "sg-0123456789abcdef0"
SSH_ANY4 = Rule.tcp(22).from_any_ipv4()
OFFICE = Rule.tcp(22).from_cidr("203.0.113.0/24").describe("office & vpn")
HTTPS_ANY6 = Rule.HTTPS.from_any_ipv6()
READ_RULES = {
    "Filters": [{"Name": "group-id", "Values": [GROUP]}],
    "MaxResults": 1000,
}


def ssh_from(*ranges: shapes.IpRange) -> shapes.IpPermission:
    return shapes.IpPermission(ip_protocol="tcp", from_port=22, to_port=22, ip_ranges=ranges)


ANYWHERE = shapes.IpRange(cidr_ip="0.0.0.0/0")
OFFICE_RANGE = shapes.IpRange(cidr_ip="203.0.113.0/24", description="office & vpn")
# A revoke leaves descriptions out: EC2 matches a rule without one.
OFFICE_SENT = shapes.IpRange(cidr_ip="203.0.113.0/24")


def revoke(
    *permissions: shapes.IpPermission, **fields: Any
) -> shapes.RevokeSecurityGroupIngressRequest:
    """The request the safe revoke is expected to send."""
    return shapes.RevokeSecurityGroupIngressRequest(
        group_id=GROUP, ip_permissions=permissions, **fields
    )


def listed(rule_id: str, cidr: str, description: str | None = None) -> dict[str, Any]:
    """A TCP 22 ingress rule as DescribeSecurityGroupRules lists it (boto3 form)."""
    return {
        "SecurityGroupRuleId": rule_id,
        "GroupId": GROUP,
        "IsEgress": False,
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "CidrIpv4": cidr,
        **({"Description": description} if description else {}),
    }


def test_unknown_ip_permissions_raise_revoke_incomplete(ec2_stubber: Stubber) -> None:
    https_any6 = shapes.IpPermission(
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6="::/0")],
    )
    ec2_stubber.add_response(
        "RevokeSecurityGroupIngress",
        shapes.RevokeSecurityGroupIngressResult(
            return_=True, unknown_ip_permissions=[ssh_from(OFFICE_RANGE), https_any6]
        ),
        # Three rules, merged into one permission per port.
        expected_params=revoke(ssh_from(ANYWHERE, OFFICE_SENT), https_any6),
        request_id="req-unknown",
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, HTTPS_ANY6)

    found = re.search(r"\(UnknownIpPermissions\): (.*)\. Check", str(incomplete.value))
    assert found is not None
    assert found[1].split("; ") == [str(OFFICE), str(HTTPS_ANY6)]
    report = incomplete.value.report
    assert report.unknown == (OFFICE, HTTPS_ANY6)
    assert report.revoked == (RevokedRule(SSH_ANY4),)
    assert report.request_ids == ("req-unknown",)


def test_allow_unknown_returns_the_incomplete_report(ec2_stubber: Stubber) -> None:
    ec2_stubber.add_response(
        "RevokeSecurityGroupIngress",
        shapes.RevokeSecurityGroupIngressResult(
            return_=True, unknown_ip_permissions=[HTTPS_ANY6.to_ip_permission()]
        ),
        expected_params={"group_id": GROUP, "ip_permissions": ANY},
    )

    report = ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4, HTTPS_ANY6, allow_unknown=True)

    assert not report.complete
    assert report.unknown == (HTTPS_ANY6,)


def test_missing_ok_reads_the_rules_first_and_revokes_only_those_present(
    ec2_stubber: Stubber,
) -> None:
    ec2_stubber.add_response(
        "DescribeSecurityGroupRules",
        {"SecurityGroupRules": [listed("sgr-0000000000000000b", "203.0.113.0/24", "office & vpn")]},
        expected_params=READ_RULES,
    )
    ec2_stubber.add_response(
        "RevokeSecurityGroupIngress",
        {"Return": True},
        expected_params=revoke(ssh_from(OFFICE_SENT)),
    )

    report = ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, missing_ok=True)

    assert report.not_found == (SSH_ANY4,)
    assert report.revoked == (RevokedRule(OFFICE, "sgr-0000000000000000b"),)


def test_missing_ok_reads_again_when_a_rule_vanishes_before_the_revoke(
    ec2_stubber: Stubber,
) -> None:
    both = [
        listed("sgr-0000000000000000a", "0.0.0.0/0"),
        listed("sgr-0000000000000000b", "203.0.113.0/24", "office & vpn"),
    ]
    ec2_stubber.add_response("DescribeSecurityGroupRules", {"SecurityGroupRules": both}, READ_RULES)
    ec2_stubber.add_client_error(
        "RevokeSecurityGroupIngress",
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
        expected_params=revoke(ssh_from(ANYWHERE, OFFICE_SENT)),
    )
    ec2_stubber.add_response(
        "DescribeSecurityGroupRules", {"SecurityGroupRules": both[1:]}, READ_RULES
    )
    ec2_stubber.add_response(
        "RevokeSecurityGroupIngress", {"Return": True}, revoke(ssh_from(OFFICE_SENT))
    )

    report = ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, missing_ok=True)

    assert report.not_found == (SSH_ANY4,)
    assert report.revoked == (RevokedRule(OFFICE, "sgr-0000000000000000b"),)


def test_without_missing_ok_a_missing_rule_is_an_error(ec2_stubber: Stubber) -> None:
    ec2_stubber.add_client_error(
        "RevokeSecurityGroupIngress", "InvalidPermission.NotFound", "No such rule."
    )
    # Read after the error, to name the absent rule.
    ec2_stubber.add_response(
        "DescribeSecurityGroupRules",
        {"SecurityGroupRules": [listed("sgr-0000000000000000b", "203.0.113.0/24")]},
        READ_RULES,
    )

    with pytest.raises(InvalidPermissionNotFound) as missing:
        ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4)
    assert missing.value.report.not_found == (SSH_ANY4,)


def test_a_dry_run_revoke_reports_what_would_go(ec2_stubber: Stubber) -> None:
    there = {"SecurityGroupRules": [listed("sgr-0000000000000000a", "0.0.0.0/0")]}
    ec2_stubber.add_response("DescribeSecurityGroupRules", there, READ_RULES)
    ec2_stubber.add_dry_run(
        "RevokeSecurityGroupIngress", expected_params=revoke(ssh_from(ANYWHERE), dry_run=True)
    )
    ec2_stubber.add_response("DescribeSecurityGroupRules", there, READ_RULES)
    ec2_stubber.add_dry_run("RevokeSecurityGroupIngress", permitted=False)

    report = ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4, dry_run=True)
    denied = ec2_stubber.client.revoke_ingress(GROUP, SSH_ANY4, dry_run=True)

    assert report.dry_run
    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0000000000000000a"),)
    assert report.prediction is not None
    assert report.prediction.succeeds
    assert denied.prediction is not None
    assert denied.prediction.permitted is False
    assert not denied.prediction.succeeds

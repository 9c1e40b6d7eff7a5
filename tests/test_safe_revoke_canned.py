"""The safe revoke against recorded-style EC2 answers, served at the HTTP edge.

moto never answers a revoke with UnknownIpPermissions or RevokedSecurityGroupRules,
ignores MaxResults (so DescribeSecurityGroupRules never pages) and is consistent at
once (so ``verify`` never waits): those paths are shown here. ``responses`` stands in
for EC2 at the ``requests`` layer; the client, codecs and safe layer are the real
ones. Each answer is scripted for one action, bodies are built with ``codec.to_xml``
and ``error_xml``, and every request's form parameters are kept so each test shows
what was asked, not only what came back.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from ec2revoke import (
    EC2Client,
    InvalidPermissionNotFound,
    Rule,
    StaticCredentials,
    codec,
    shapes,
)
from ec2revoke._errors import RevokeIncomplete, RevokeNotVerified
from ec2revoke._report import FoundRule, RevokedRule, RevokeReport
from ec2revoke._safe import VERIFY_DELAYS
from ec2revoke._xml_encode import error_xml

ENDPOINT = "https://ec2.example.test"
GROUP = "sg-0123456789abcdef0"
PEER = "sg-0fedcba9876543210"
ACCOUNT = "123456789012"
PREFIX_LIST = "pl-0123456789abcdef0"
VERSION = "2016-11-15"

SSH_ANY4 = Rule.tcp(22).from_any_ipv4()
SSH_ANY6 = Rule.tcp(22).from_any_ipv6()
OFFICE = Rule.tcp(22).from_cidr("203.0.113.0/24").describe("office & vpn")
HTTPS_ANY6 = Rule.HTTPS.from_any_ipv6()


# --- a scripted EC2 at the HTTP edge --------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    action: str
    status: int
    body: bytes


class Edge:
    """Answers each request with the next scripted reply, and keeps what was sent.

    A request for another action than the next reply is for gets an error answer
    (so the call fails) and is listed in ``problems`` (so the test fails).
    """

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.replies: deque[Reply] = deque()
        self.sent: list[dict[str, str]] = []
        self.problems: list[str] = []
        mock.add_callback(responses.POST, ENDPOINT + "/", callback=self._answer)

    def answer(self, result: Any, *, request_id: str = "req-0", times: int = 1) -> None:
        action = type(result).__name__.removesuffix("Result")
        body = codec.to_xml(result, request_id=request_id)
        self.replies.extend([Reply(action, 200, body)] * times)

    def error(self, action: str, code: str, message: str, *, status: int = 400) -> None:
        self.replies.append(Reply(action, status, error_xml(code, message, request_id="req-e")))

    def of(self, action: str) -> list[dict[str, str]]:
        return [p for p in self.sent if p["Action"] == action]

    def actions(self) -> list[str]:
        return [p["Action"] for p in self.sent]

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        body = request.body
        assert isinstance(body, bytes)
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        self.sent.append(params)
        action = params.get("Action", "?")
        if not self.replies or self.replies[0].action != action:
            expected = self.replies[0].action if self.replies else "nothing"
            self.problems.append(f"request {len(self.sent)}: {action} sent, {expected} scripted")
            return 400, {}, error_xml("TestScript", self.problems[-1], request_id="req-x")
        reply = self.replies.popleft()
        return reply.status, {"Content-Type": "text/xml;charset=UTF-8"}, reply.body


@pytest.fixture
def edge() -> Iterator[Edge]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        scripted = Edge(mock)
        yield scripted
    assert scripted.problems == []
    assert not scripted.replies, f"replies never asked for: {[r.action for r in scripted.replies]}"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(edge: Edge, sleeps: list[float]) -> Iterator[EC2Client]:
    with EC2Client(
        region="us-east-1",
        endpoint_url=ENDPOINT,
        credentials=StaticCredentials("AKIDEXAMPLE", "secret"),
        sleep=sleeps.append,
    ) as c:
        yield c


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


def asked(params: dict[str, str]) -> dict[str, str]:
    """The request's parameters after Action and Version (checked here)."""
    rest = dict(params)
    assert rest.pop("Version") == VERSION
    rest.pop("Action")
    return rest


# --- UnknownIpPermissions -------------------------------------------------------------------

UNKNOWN = [
    shapes.IpPermission(
        ip_protocol="tcp",
        from_port=22,
        to_port=22,
        ip_ranges=[shapes.IpRange(cidr_ip="203.0.113.0/24", description="office & vpn")],
    ),
    shapes.IpPermission(
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6="::/0")],
    ),
]
ASKED_FOR_THREE = {
    "GroupId": GROUP,
    "IpPermissions.1.IpProtocol": "tcp",
    "IpPermissions.1.FromPort": "22",
    "IpPermissions.1.ToPort": "22",
    "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0",
    "IpPermissions.1.IpRanges.2.CidrIp": "203.0.113.0/24",
    "IpPermissions.1.IpRanges.2.Description": "office & vpn",
    "IpPermissions.2.IpProtocol": "tcp",
    "IpPermissions.2.FromPort": "443",
    "IpPermissions.2.ToPort": "443",
    "IpPermissions.2.Ipv6Ranges.1.CidrIpv6": "::/0",
}


def test_unknown_ip_permissions_raise_listing_exactly_the_unrevoked_rules(
    client: EC2Client, edge: Edge
) -> None:
    edge.answer(
        ingress_answer(return_=True, unknown_ip_permissions=UNKNOWN), request_id="req-unknown"
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, HTTPS_ANY6)

    message = str(incomplete.value)
    found = re.search(r"\(UnknownIpPermissions\): (.*)\. Check", message)
    assert found is not None, message
    assert found[1].split("; ") == [str(OFFICE), str(HTTPS_ANY6)]
    assert "did not revoke 2 of the rules" in message
    assert GROUP in message
    assert "allow_unknown=True" in message
    assert str(SSH_ANY4) not in message
    assert incomplete.value.code == "RevokeIncomplete"

    report = incomplete.value.report
    assert isinstance(report, RevokeReport)
    assert report.unknown == (OFFICE, HTTPS_ANY6)
    assert report.revoked == (RevokedRule(SSH_ANY4),)
    assert not report.complete
    assert report.request_ids == ("req-unknown",)
    (sent,) = edge.sent
    assert sent["Action"] == "RevokeSecurityGroupIngress"
    assert asked(sent) == ASKED_FOR_THREE


def test_allow_unknown_returns_the_incomplete_report(client: EC2Client, edge: Edge) -> None:
    edge.answer(ingress_answer(return_=True, unknown_ip_permissions=UNKNOWN))

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, HTTPS_ANY6, allow_unknown=True)

    assert report.complete is False
    assert report.unknown == (OFFICE, HTTPS_ANY6)
    assert report.revoked == (RevokedRule(SSH_ANY4),)
    assert "2 NOT revoked (unknown to EC2)" in str(report)
    (sent,) = edge.sent
    assert asked(sent) == ASKED_FOR_THREE


def test_unknown_egress_permissions_raise_too(client: EC2Client, edge: Edge) -> None:
    http_out = Rule.HTTP.to_cidr("10.0.0.0/16")
    to_peer = Rule.all_traffic().to_group(PEER)
    edge.answer(
        shapes.RevokeSecurityGroupEgressResult(
            return_=True,
            unknown_ip_permissions=[
                shapes.IpPermission(
                    ip_protocol="-1", user_id_group_pairs=[shapes.UserIdGroupPair(group_id=PEER)]
                )
            ],
        )
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_egress(GROUP, http_out, to_peer)

    assert f"(UnknownIpPermissions): all traffic to {PEER}. Check" in str(incomplete.value)
    assert incomplete.value.report.unknown == (to_peer,)
    assert incomplete.value.report.revoked == (RevokedRule(http_out),)
    (sent,) = edge.sent
    assert sent["Action"] == "RevokeSecurityGroupEgress"
    assert asked(sent) == {
        "GroupId": GROUP,
        "IpPermissions.1.IpProtocol": "tcp",
        "IpPermissions.1.FromPort": "80",
        "IpPermissions.1.ToPort": "80",
        "IpPermissions.1.IpRanges.1.CidrIp": "10.0.0.0/16",
        "IpPermissions.2.IpProtocol": "-1",
        "IpPermissions.2.Groups.1.GroupId": PEER,
    }


def test_return_false_without_unknown_is_not_a_success(client: EC2Client, edge: Edge) -> None:
    edge.answer(ingress_answer(return_=False))

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_ingress(GROUP, SSH_ANY4, SSH_ANY6)

    assert "Return=False" in str(incomplete.value)
    assert "nothing is known to be revoked" in str(incomplete.value)
    report = incomplete.value.report
    # Nothing may be reported as revoked when EC2 did not say it revoked anything.
    assert report.revoked == ()
    assert report.unknown == ()
    (sent,) = edge.sent
    assert sent["IpPermissions.1.Ipv6Ranges.1.CidrIpv6"] == "::/0"


def test_return_false_to_a_revoke_by_rule_id_is_not_a_success(
    client: EC2Client, edge: Edge
) -> None:
    edge.answer(ingress_answer(return_=False))

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_rule_ids(GROUP, "sgr-0aaaaaaaaaaaaaaaa")

    assert incomplete.value.report.revoked == ()
    (sent,) = edge.sent
    assert asked(sent) == {"GroupId": GROUP, "SecurityGroupRuleId.1": "sgr-0aaaaaaaaaaaaaaaa"}


# --- rule IDs from RevokedSecurityGroupRules -----------------------------------------------


def test_revoked_rule_ids_come_from_revoked_security_group_rules(
    client: EC2Client, edge: Edge
) -> None:
    rules = [
        SSH_ANY4,
        SSH_ANY6,
        Rule.all_traffic().from_any_ipv6(),
        Rule.HTTPS.from_group(PEER),
        Rule.icmp(3, 4).from_any_ipv4(),
        Rule.POSTGRES.from_prefix_list(PREFIX_LIST),
    ]
    ids = [f"sgr-0{n:016x}" for n in range(1, len(rules) + 1)]
    # EC2 lists them in its own order, not the request's.
    edge.answer(
        ingress_answer(
            return_=True,
            revoked_security_group_rules=[
                revoked(i, r) for i, r in reversed(list(zip(ids, rules, strict=True)))
            ],
        )
    )

    report = client.revoke_ingress(GROUP, *rules)

    assert report.revoked == tuple(RevokedRule(r, i) for r, i in zip(rules, ids, strict=True))
    assert report.complete
    for rule_id in ids:
        assert rule_id in str(report)
    (sent,) = edge.sent
    assert sent["IpPermissions.2.IpProtocol"] == "-1"
    assert "IpPermissions.2.FromPort" not in sent
    assert sent["IpPermissions.3.Groups.1.GroupId"] == PEER


def test_rule_ids_revoked_by_id_take_their_rules_from_ec2s_answer(
    client: EC2Client, edge: Edge
) -> None:
    edge.answer(
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY6)]
        )
    )

    report = client.revoke_rule_ids(GROUP, "sgr-0bbbbbbbbbbbbbbbb")

    assert report.revoked == (RevokedRule(SSH_ANY6, "sgr-0bbbbbbbbbbbbbbbb"),)
    (sent,) = edge.sent
    assert asked(sent) == {"GroupId": GROUP, "SecurityGroupRuleId.1": "sgr-0bbbbbbbbbbbbbbbb"}


# --- verify ----------------------------------------------------------------------------------


def test_verify_delays_start_with_an_immediate_read() -> None:
    assert VERIFY_DELAYS[0] == 0
    assert all(d > 0 for d in VERIFY_DELAYS[1:])


@pytest.mark.parametrize("ids_sent_back", [True, False], ids=["by-rule-id", "by-rule"])
def test_verify_gives_up_after_the_bounded_polls(
    client: EC2Client, edge: Edge, sleeps: list[float], ids_sent_back: bool
) -> None:
    gone_ids = [revoked("sgr-0ccccccccccccccc1", SSH_ANY4)] if ids_sent_back else None
    edge.answer(ingress_answer(return_=True, revoked_security_group_rules=gone_ids))
    # Without IDs from EC2, verify matches the rule itself, whatever ID it is listed under.
    still = listed("sgr-0ccccccccccccccc1" if ids_sent_back else "sgr-0eeeeeeeeeeeeeee9", SSH_ANY4)
    edge.answer(
        rules_page(still, listed("sgr-0ddddddddddddddd2", OFFICE)), times=len(VERIFY_DELAYS)
    )

    with pytest.raises(RevokeNotVerified) as unverified:
        client.revoke_ingress(GROUP, SSH_ANY4, verify=True)

    assert sleeps == list(VERIFY_DELAYS[1:])
    expected_id = "sgr-0ccccccccccccccc1" if ids_sent_back else None
    assert unverified.value.still_present == (RevokedRule(SSH_ANY4, expected_id),)
    assert str(SSH_ANY4) in str(unverified.value)
    assert f"{sum(VERIFY_DELAYS):g} s" in str(unverified.value)
    assert edge.actions() == ["RevokeSecurityGroupIngress"] + ["DescribeSecurityGroupRules"] * len(
        VERIFY_DELAYS
    )
    for read in edge.of("DescribeSecurityGroupRules"):
        assert asked(read) == {
            "Filter.1.Name": "group-id",
            "Filter.1.Value.1": GROUP,
            "MaxResults": "1000",
        }


def test_verify_succeeds_once_the_rule_is_gone(
    client: EC2Client, edge: Edge, sleeps: list[float]
) -> None:
    edge.answer(
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0ccccccccccccccc1", SSH_ANY4)]
        )
    )
    edge.answer(
        rules_page(
            listed("sgr-0ccccccccccccccc1", SSH_ANY4), listed("sgr-0ddddddddddddddd2", OFFICE)
        )
    )
    edge.answer(rules_page(listed("sgr-0ddddddddddddddd2", OFFICE)))

    report = client.revoke_ingress(GROUP, SSH_ANY4, verify=True)

    assert report.verified
    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0ccccccccccccccc1"),)
    assert sleeps == [VERIFY_DELAYS[1]]
    assert edge.actions() == [
        "RevokeSecurityGroupIngress",
        "DescribeSecurityGroupRules",
        "DescribeSecurityGroupRules",
    ]


def test_verify_does_not_wait_when_the_first_read_shows_the_rule_gone(
    client: EC2Client, edge: Edge, sleeps: list[float]
) -> None:
    edge.answer(ingress_answer(return_=True))
    edge.answer(rules_page(listed("sgr-0ddddddddddddddd2", OFFICE)))

    assert client.revoke_ingress(GROUP, SSH_ANY4, verify=True).verified
    assert sleeps == []


# --- find_rules pages --------------------------------------------------------------------------


def test_find_rules_follows_next_token_across_pages(client: EC2Client, edge: Edge) -> None:
    pages = [
        [listed("sgr-0000000000000000a", SSH_ANY4), listed("sgr-0000000000000000b", OFFICE)],
        [listed("sgr-0000000000000000c", Rule.all_traffic().to_any_ipv4(), egress=True)],
        [listed("sgr-0000000000000000d", Rule.all_tcp().from_any_ipv6())],
    ]
    edge.answer(rules_page(*pages[0], next_token="token/page+2="))
    edge.answer(rules_page(*pages[1], next_token="token-page-3"))
    edge.answer(rules_page(*pages[2]))

    found = client.find_rules(GROUP)

    assert [f.rule_id for f in found] == [f"sgr-0000000000000000{c}" for c in "abcd"]
    assert found[0] == FoundRule("sgr-0000000000000000a", SSH_ANY4, "ingress", GROUP)
    assert found[2].direction == "egress"
    reads = edge.of("DescribeSecurityGroupRules")
    assert [r.get("NextToken") for r in reads] == [None, "token/page+2=", "token-page-3"]
    for read in reads:
        assert read["MaxResults"] == "1000"
        assert read["Filter.1.Name"] == "group-id"
        assert read["Filter.1.Value.1"] == GROUP


def test_revoke_matching_finds_rules_on_every_page(client: EC2Client, edge: Edge) -> None:
    # One read (every page) both finds the matches and serves as missing_ok's check.
    edge.answer(
        rules_page(
            listed("sgr-0000000000000000a", SSH_ANY4),
            listed("sgr-0000000000000000b", OFFICE),
            next_token="t2",
        )
    )
    edge.answer(
        rules_page(
            listed("sgr-0000000000000000c", Rule.all_traffic().to_any_ipv4(), egress=True),
            next_token="t3",
        )
    )
    edge.answer(rules_page(listed("sgr-0000000000000000d", Rule.tcp(0, 1024).from_any_ipv4())))
    edge.answer(ingress_answer(return_=True))

    report = client.revoke_matching(GROUP, Rule.tcp(22).from_any_ipv4())

    assert [r.rule_id for r in report.revoked] == ["sgr-0000000000000000a", "sgr-0000000000000000d"]
    assert [r.rule for r in report.revoked] == [SSH_ANY4, Rule.tcp(0, 1024).from_any_ipv4()]
    reads = edge.of("DescribeSecurityGroupRules")
    assert [r.get("NextToken") for r in reads] == [None, "t2", "t3"]
    (sent,) = edge.of("RevokeSecurityGroupIngress")
    assert asked(sent) == {
        "GroupId": GROUP,
        "SecurityGroupRuleId.1": "sgr-0000000000000000a",
        "SecurityGroupRuleId.2": "sgr-0000000000000000d",
    }


# --- merging -------------------------------------------------------------------------------------


def test_five_rules_on_two_ports_go_as_two_permissions_in_one_request(
    client: EC2Client, edge: Edge
) -> None:
    edge.answer(ingress_answer(return_=True))

    client.revoke_ingress(
        GROUP,
        SSH_ANY4,
        Rule.HTTPS.from_cidr("10.0.0.0/8"),
        SSH_ANY6,
        Rule.tcp(22).from_cidr("192.0.2.0/24"),
        Rule.HTTPS.from_prefix_list(PREFIX_LIST),
    )

    (sent,) = edge.sent
    assert sent["Action"] == "RevokeSecurityGroupIngress"
    assert asked(sent) == {
        "GroupId": GROUP,
        "IpPermissions.1.IpProtocol": "tcp",
        "IpPermissions.1.FromPort": "22",
        "IpPermissions.1.ToPort": "22",
        "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0",
        "IpPermissions.1.IpRanges.2.CidrIp": "192.0.2.0/24",
        "IpPermissions.1.Ipv6Ranges.1.CidrIpv6": "::/0",
        "IpPermissions.2.IpProtocol": "tcp",
        "IpPermissions.2.FromPort": "443",
        "IpPermissions.2.ToPort": "443",
        "IpPermissions.2.IpRanges.1.CidrIp": "10.0.0.0/8",
        "IpPermissions.2.PrefixListIds.1.PrefixListId": PREFIX_LIST,
    }


def test_a_group_peer_gets_a_permission_of_its_own(client: EC2Client, edge: Edge) -> None:
    edge.answer(ingress_answer(return_=True))

    client.revoke_ingress(
        GROUP,
        SSH_ANY4,
        Rule.SSH.from_group(PEER, user_id=ACCOUNT),
        SSH_ANY6,
        Rule.HTTPS.from_any_ipv4(),
        Rule.HTTPS.from_any_ipv6(),
    )

    (sent,) = edge.sent
    assert asked(sent) == {
        "GroupId": GROUP,
        "IpPermissions.1.IpProtocol": "tcp",
        "IpPermissions.1.FromPort": "22",
        "IpPermissions.1.ToPort": "22",
        "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0",
        "IpPermissions.1.Ipv6Ranges.1.CidrIpv6": "::/0",
        "IpPermissions.2.IpProtocol": "tcp",
        "IpPermissions.2.FromPort": "22",
        "IpPermissions.2.ToPort": "22",
        "IpPermissions.2.Groups.1.GroupId": PEER,
        "IpPermissions.2.Groups.1.UserId": ACCOUNT,
        "IpPermissions.3.IpProtocol": "tcp",
        "IpPermissions.3.FromPort": "443",
        "IpPermissions.3.ToPort": "443",
        "IpPermissions.3.IpRanges.1.CidrIp": "0.0.0.0/0",
        "IpPermissions.3.Ipv6Ranges.1.CidrIpv6": "::/0",
    }


# --- missing_ok when rules vanish mid-way ------------------------------------------------------


def test_missing_ok_reads_again_when_a_rule_vanishes_before_the_revoke(
    client: EC2Client, edge: Edge
) -> None:
    edge.answer(
        rules_page(
            listed("sgr-0000000000000000a", SSH_ANY4), listed("sgr-0000000000000000b", OFFICE)
        )
    )
    edge.error(
        "RevokeSecurityGroupIngress",
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
    )
    edge.answer(rules_page(listed("sgr-0000000000000000b", OFFICE)))
    edge.answer(ingress_answer(return_=True))

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, missing_ok=True)

    assert report.not_found == (SSH_ANY4,)
    assert report.revoked == (RevokedRule(OFFICE, "sgr-0000000000000000b"),)
    first, second = edge.of("RevokeSecurityGroupIngress")
    assert first["IpPermissions.1.IpRanges.1.CidrIp"] == "0.0.0.0/0"
    assert first["IpPermissions.1.IpRanges.2.CidrIp"] == "203.0.113.0/24"
    assert second["IpPermissions.1.IpRanges.1.CidrIp"] == "203.0.113.0/24"
    assert "IpPermissions.1.IpRanges.2.CidrIp" not in second


def test_without_missing_ok_a_missing_rule_is_an_error(client: EC2Client, edge: Edge) -> None:
    edge.error(
        "RevokeSecurityGroupIngress",
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
    )

    with pytest.raises(InvalidPermissionNotFound):
        client.revoke_ingress(GROUP, SSH_ANY4)
    assert edge.actions() == ["RevokeSecurityGroupIngress"]


# --- showing the report ----------------------------------------------------------------------


def test_report_text_and_html_show_every_rule_and_outcome(client: EC2Client, edge: Edge) -> None:
    absent = Rule.RDP.from_cidr("192.0.2.0/24")
    edge.answer(
        rules_page(
            listed("sgr-0000000000000000a", SSH_ANY4), listed("sgr-0000000000000000b", OFFICE)
        )
    )
    edge.answer(ingress_answer(return_=True, unknown_ip_permissions=UNKNOWN[:1]))

    report = client.revoke_ingress(
        GROUP, SSH_ANY4, OFFICE, absent, missing_ok=True, allow_unknown=True
    )

    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0000000000000000a"),)
    assert report.not_found == (absent,)
    assert report.unknown == (OFFICE,)
    assert str(report).splitlines() == [
        f"ingress rules of {GROUP}: 1 revoked, 1 not found, 1 NOT revoked (unknown to EC2)",
        "  revoked: TCP 22 from 0.0.0.0/0 [sgr-0000000000000000a]",
        "  not found: TCP 3389 from 192.0.2.0/24",
        "  NOT REVOKED (unknown to EC2): TCP 22 from 203.0.113.0/24 (office & vpn)",
    ]
    page = report._repr_html_()
    assert "<tr><td>revoked</td><td>TCP 22 from 0.0.0.0/0</td>" in page
    assert "<code>sgr-0000000000000000a</code>" in page
    assert "<tr><td>not found</td><td>TCP 3389 from 192.0.2.0/24</td>" in page
    assert (
        "<tr><td>NOT REVOKED (unknown to EC2)</td>"
        "<td>TCP 22 from 203.0.113.0/24 (office &amp; vpn)</td>"
    ) in page
    assert "office & vpn" not in page
    assert page.count("<tr>") == 4  # the header and three rules


def test_html_escapes_every_cell() -> None:
    report = RevokeReport(
        "web&db <prod>",
        "egress",
        revoked=(RevokedRule(None, "sgr-0000000000000000a"),),
        not_found=("sgr-0000000000000000b", Rule.HTTP.to_cidr("10.0.0.0/16").describe("a&b")),
        dry_run=True,
    )

    text = str(report)
    assert text.splitlines()[0] == "Dry run: egress rules of web&db <prod>: 1 would go, 2 not found"
    assert "  would revoke: sgr-0000000000000000a" in text
    assert "  not found: sgr-0000000000000000b" in text
    assert "  not found: TCP 80 to 10.0.0.0/16 (a&b)" in text
    page = report._repr_html_()
    assert "web&amp;db &lt;prod&gt;" in page
    assert "<prod>" not in page
    assert "TCP 80 to 10.0.0.0/16 (a&amp;b)" in page
    assert "<tr><td>not found</td><td></td><td><code>sgr-0000000000000000b</code></td></tr>" in page
    assert (
        "<tr><td>would revoke</td><td></td><td><code>sgr-0000000000000000a</code></td></tr>" in page
    )

"""The safe revoke against recorded-style EC2 answers, canned with the testing kit.

moto never answers a revoke with UnknownIpPermissions or RevokedSecurityGroupRules,
ignores MaxResults (so DescribeSecurityGroupRules never pages) and is consistent at
once (so ``verify`` never waits): those paths are shown here. ``ec2revoke.testing``'s
Stubber serves each answer as EC2's XML at the ``requests`` layer; the client, codecs
and safe layer are the real ones. Every answer names the request it expects
(``expected_params``, with ``ANY`` where a value is not the point), so each test shows
what was asked, not only what came back; ``stubber.sent`` gives the order and count.
"""

from __future__ import annotations

import re

import pytest

from ec2revoke import (
    EC2Client,
    InvalidPermissionNotFound,
    Rule,
    shapes,
)
from ec2revoke._errors import RevokeIncomplete, RevokeNotVerified
from ec2revoke._revoke.report import FoundRule, RevokedRule, RevokeReport
from ec2revoke.testing import ANY, Stubber
from tests.safe_canned import (
    ACCOUNT,
    ANYWHERE,
    GROUP,
    HTTPS_ANY6,
    OFFICE,
    OFFICE_RANGE,
    OFFICE_SENT,
    PEER,
    PREFIX_LIST,
    READ,
    READ_RULES,
    REVOKE,
    SSH_ANY4,
    SSH_ANY6,
    cidr,
    ingress_answer,
    listed,
    operations,
    read_page,
    revoke_by_id,
    revoke_by_rule,
    revoked,
    rules_page,
    tcp,
)

# --- UnknownIpPermissions -------------------------------------------------------------------

UNKNOWN = [
    tcp(22, cidrs=[OFFICE_RANGE]),
    tcp(443, cidrs6=["::/0"]),
]
# SSH_ANY4, OFFICE and HTTPS_ANY6: three rules, merged into one permission per port.
ASKED_FOR_THREE = revoke_by_rule(
    tcp(22, cidrs=[ANYWHERE, OFFICE_SENT]),
    tcp(443, cidrs6=["::/0"]),
)


def test_unknown_ip_permissions_raise_listing_exactly_the_unrevoked_rules(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True, unknown_ip_permissions=UNKNOWN),
        expected_params=ASKED_FOR_THREE,
        request_id="req-unknown",
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
    assert operations(stubber) == [REVOKE]


def test_allow_unknown_returns_the_incomplete_report(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True, unknown_ip_permissions=UNKNOWN),
        expected_params=ASKED_FOR_THREE,
    )

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, HTTPS_ANY6, allow_unknown=True)

    assert report.complete is False
    assert report.unknown == (OFFICE, HTTPS_ANY6)
    assert report.revoked == (RevokedRule(SSH_ANY4),)
    assert "2 NOT revoked (unknown to EC2)" in str(report)
    assert operations(stubber) == [REVOKE]


def test_unknown_egress_permissions_raise_too(client: EC2Client, stubber: Stubber) -> None:
    http_out = Rule.HTTP.to_cidr("10.0.0.0/16")
    to_peer = Rule.all_traffic().to_group(PEER)
    peer_permission = shapes.IpPermission(
        ip_protocol="-1", user_id_group_pairs=[shapes.UserIdGroupPair(group_id=PEER)]
    )
    stubber.add_response(
        "RevokeSecurityGroupEgress",
        shapes.RevokeSecurityGroupEgressResult(
            return_=True, unknown_ip_permissions=[peer_permission]
        ),
        expected_params=shapes.RevokeSecurityGroupEgressRequest(
            group_id=GROUP,
            ip_permissions=[tcp(80, cidrs=[cidr("10.0.0.0/16")]), peer_permission],
        ),
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_egress(GROUP, http_out, to_peer)

    assert f"(UnknownIpPermissions): all traffic to {PEER}. Check" in str(incomplete.value)
    assert incomplete.value.report.unknown == (to_peer,)
    assert incomplete.value.report.revoked == (RevokedRule(http_out),)
    assert operations(stubber) == ["RevokeSecurityGroupEgress"]


def test_return_false_without_unknown_is_not_a_success(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=False),
        # SSH_ANY6 goes along in the one TCP 22 permission. (A whole list is ANY in the
        # dict form; a shape dataclass takes lists only.)
        expected_params={
            "group_id": GROUP,
            "ip_permissions": [
                {
                    "ip_protocol": "tcp",
                    "from_port": 22,
                    "to_port": 22,
                    "ip_ranges": ANY,
                    "ipv6_ranges": [{"cidr_ipv6": "::/0"}],
                }
            ],
        },
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_ingress(GROUP, SSH_ANY4, SSH_ANY6)

    assert "Return=False" in str(incomplete.value)
    assert "nothing is known to be revoked" in str(incomplete.value)
    report = incomplete.value.report
    # Nothing may be reported as revoked when EC2 did not say it revoked anything.
    assert report.revoked == ()
    assert report.unknown == ()
    assert operations(stubber) == [REVOKE]


def test_return_false_to_a_revoke_by_rule_id_is_not_a_success(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE, ingress_answer(return_=False), revoke_by_id("sgr-0aaaaaaaaaaaaaaaa")
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_rule_ids(GROUP, "sgr-0aaaaaaaaaaaaaaaa")

    assert incomplete.value.report.revoked == ()
    assert operations(stubber) == [REVOKE]


# --- rule IDs from RevokedSecurityGroupRules -----------------------------------------------


def test_revoked_rule_ids_come_from_revoked_security_group_rules(
    client: EC2Client, stubber: Stubber
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
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True,
            revoked_security_group_rules=[
                revoked(i, r) for i, r in reversed(list(zip(ids, rules, strict=True)))
            ],
        ),
        expected_params=revoke_by_rule(
            ANY,  # TCP 22 from 0.0.0.0/0 and ::/0
            # All traffic: protocol -1 and no ports at all.
            shapes.IpPermission(ip_protocol="-1", ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6="::/0")]),
            tcp(443, groups=[shapes.UserIdGroupPair(group_id=PEER)]),
            ANY,  # ICMP
            ANY,  # PostgreSQL from the prefix list
        ),
    )

    report = client.revoke_ingress(GROUP, *rules)

    assert report.revoked == tuple(RevokedRule(r, i) for r, i in zip(rules, ids, strict=True))
    assert report.complete
    for rule_id in ids:
        assert rule_id in str(report)
    assert operations(stubber) == [REVOKE]


def test_rule_ids_revoked_by_id_take_their_rules_from_ec2s_answer(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY6)]
        ),
        expected_params=revoke_by_id("sgr-0bbbbbbbbbbbbbbbb"),
    )

    report = client.revoke_rule_ids(GROUP, "sgr-0bbbbbbbbbbbbbbbb")

    assert report.revoked == (RevokedRule(SSH_ANY6, "sgr-0bbbbbbbbbbbbbbbb"),)
    assert operations(stubber) == [REVOKE]


# --- verify ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ids_sent_back", [True, False], ids=["by-rule-id", "by-rule"])
def test_verify_gives_up_at_its_deadline(
    client: EC2Client, stubber: Stubber, sleeps: list[float], ids_sent_back: bool
) -> None:
    gone_ids = [revoked("sgr-0ccccccccccccccc1", SSH_ANY4)] if ids_sent_back else None
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True, revoked_security_group_rules=gone_ids),
        expected_params=revoke_by_rule(tcp(22, cidrs=[ANYWHERE])),
    )
    # Without IDs from EC2, verify matches the rule itself, whatever ID it is listed under.
    still = listed("sgr-0ccccccccccccccc1" if ids_sent_back else "sgr-0eeeeeeeeeeeeeee9", SSH_ANY4)
    # A deadline shorter than the first step: one read, one wait to the deadline, one read.
    for _ in range(2):
        stubber.add_response(
            READ, rules_page(still, listed("sgr-0ddddddddddddddd2", OFFICE)), READ_RULES
        )

    with pytest.raises(RevokeNotVerified) as unverified:
        client.revoke_ingress(GROUP, SSH_ANY4, verify=True, verify_timeout=0.5)

    assert sleeps == [0.5]
    expected_id = "sgr-0ccccccccccccccc1" if ids_sent_back else None
    assert unverified.value.still_present == (RevokedRule(SSH_ANY4, expected_id),)
    assert str(SSH_ANY4) in str(unverified.value)
    assert "after 0.5 s" in str(unverified.value)
    assert operations(stubber) == [REVOKE, READ, READ]


def test_verify_succeeds_once_the_rule_is_gone(
    client: EC2Client, stubber: Stubber, sleeps: list[float]
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0ccccccccccccccc1", SSH_ANY4)]
        ),
        expected_params=revoke_by_rule(tcp(22, cidrs=[ANYWHERE])),
    )
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0ccccccccccccccc1", SSH_ANY4), listed("sgr-0ddddddddddddddd2", OFFICE)
        ),
        READ_RULES,
    )
    stubber.add_response(READ, rules_page(listed("sgr-0ddddddddddddddd2", OFFICE)), READ_RULES)

    report = client.revoke_ingress(GROUP, SSH_ANY4, verify=True)

    assert report.verified
    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0ccccccccccccccc1"),)
    # The first wait is a couple of seconds, jittered (F13).
    assert len(sleeps) == 1
    assert 1.0 <= sleeps[0] <= 2.0
    assert report.waited == sleeps[0]
    assert operations(stubber) == [REVOKE, READ, READ]


def test_verify_does_not_wait_when_the_first_read_shows_the_rule_gone(
    client: EC2Client, stubber: Stubber, sleeps: list[float]
) -> None:
    stubber.add_response(
        REVOKE, ingress_answer(return_=True), revoke_by_rule(tcp(22, cidrs=[ANYWHERE]))
    )
    stubber.add_response(READ, rules_page(listed("sgr-0ddddddddddddddd2", OFFICE)), READ_RULES)

    assert client.revoke_ingress(GROUP, SSH_ANY4, verify=True).verified
    assert sleeps == []
    assert operations(stubber) == [REVOKE, READ]


# --- find_rules pages --------------------------------------------------------------------------


def test_find_rules_follows_next_token_across_pages(client: EC2Client, stubber: Stubber) -> None:
    pages = [
        [listed("sgr-0000000000000000a", SSH_ANY4), listed("sgr-0000000000000000b", OFFICE)],
        [listed("sgr-0000000000000000c", Rule.all_traffic().to_any_ipv4(), egress=True)],
        [listed("sgr-0000000000000000d", Rule.all_tcp().from_any_ipv6())],
    ]
    # The token goes back exactly as EC2 gave it, "/", "+" and "=" included.
    stubber.add_response(READ, rules_page(*pages[0], next_token="token/page+2="), read_page(None))
    stubber.add_response(
        READ, rules_page(*pages[1], next_token="token-page-3"), read_page("token/page+2=")
    )
    stubber.add_response(READ, rules_page(*pages[2]), read_page("token-page-3"))

    found = client.find_rules(GROUP)

    assert [f.rule_id for f in found] == [f"sgr-0000000000000000{c}" for c in "abcd"]
    assert found[0] == FoundRule("sgr-0000000000000000a", SSH_ANY4, "ingress", GROUP)
    assert found[2].direction == "egress"
    assert operations(stubber) == [READ] * 3


def test_revoke_matching_finds_rules_on_every_page(client: EC2Client, stubber: Stubber) -> None:
    # One read (every page) both finds the matches and serves as missing_ok's check.
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0000000000000000a", SSH_ANY4),
            listed("sgr-0000000000000000b", OFFICE),
            next_token="t2",
        ),
        read_page(None),
    )
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0000000000000000c", Rule.all_traffic().to_any_ipv4(), egress=True),
            next_token="t3",
        ),
        read_page("t2"),
    )
    stubber.add_response(
        READ,
        rules_page(listed("sgr-0000000000000000d", Rule.tcp(0, 1024).from_any_ipv4())),
        read_page("t3"),
    )
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True),
        revoke_by_id("sgr-0000000000000000a", "sgr-0000000000000000d"),
    )

    report = client.revoke_matching(GROUP, Rule.tcp(22).from_any_ipv4())

    assert [r.rule_id for r in report.revoked] == ["sgr-0000000000000000a", "sgr-0000000000000000d"]
    assert [r.rule for r in report.revoked] == [SSH_ANY4, Rule.tcp(0, 1024).from_any_ipv4()]
    assert operations(stubber) == [READ, READ, READ, REVOKE]


# --- merging -------------------------------------------------------------------------------------


def test_five_rules_on_two_ports_go_as_two_permissions_in_one_request(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True),
        expected_params=revoke_by_rule(
            tcp(22, cidrs=[ANYWHERE, cidr("192.0.2.0/24")], cidrs6=["::/0"]),
            tcp(443, cidrs=[cidr("10.0.0.0/8")], prefix_lists=[PREFIX_LIST]),
        ),
    )

    client.revoke_ingress(
        GROUP,
        SSH_ANY4,
        Rule.HTTPS.from_cidr("10.0.0.0/8"),
        SSH_ANY6,
        Rule.tcp(22).from_cidr("192.0.2.0/24"),
        Rule.HTTPS.from_prefix_list(PREFIX_LIST),
    )

    assert operations(stubber) == [REVOKE]


def test_a_group_peer_gets_a_permission_of_its_own(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True),
        expected_params=revoke_by_rule(
            tcp(22, cidrs=[ANYWHERE], cidrs6=["::/0"]),
            tcp(22, groups=[shapes.UserIdGroupPair(group_id=PEER, user_id=ACCOUNT)]),
            tcp(443, cidrs=[ANYWHERE], cidrs6=["::/0"]),
        ),
    )

    client.revoke_ingress(
        GROUP,
        SSH_ANY4,
        Rule.SSH.from_group(PEER, user_id=ACCOUNT),
        SSH_ANY6,
        Rule.HTTPS.from_any_ipv4(),
        Rule.HTTPS.from_any_ipv6(),
    )

    assert operations(stubber) == [REVOKE]


# --- missing_ok when rules vanish mid-way ------------------------------------------------------


def test_missing_ok_reads_again_when_a_rule_vanishes_before_the_revoke(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0000000000000000a", SSH_ANY4), listed("sgr-0000000000000000b", OFFICE)
        ),
        READ_RULES,
    )
    stubber.add_client_error(
        REVOKE,
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
        expected_params=revoke_by_rule(tcp(22, cidrs=[ANYWHERE, OFFICE_SENT])),
    )
    stubber.add_response(READ, rules_page(listed("sgr-0000000000000000b", OFFICE)), READ_RULES)
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True),
        # Only the rule still there.
        expected_params=revoke_by_rule(tcp(22, cidrs=[OFFICE_SENT])),
    )

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, missing_ok=True)

    assert report.not_found == (SSH_ANY4,)
    assert report.revoked == (RevokedRule(OFFICE, "sgr-0000000000000000b"),)
    assert operations(stubber) == [READ, REVOKE, READ, REVOKE]


def test_without_missing_ok_a_missing_rule_is_an_error(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_client_error(
        REVOKE,
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
        expected_params=revoke_by_rule(tcp(22, cidrs=[ANYWHERE])),
    )

    # Read after EC2's answer, to say which rule is absent; no read before, no retry after.
    stubber.add_response(READ, rules_page(listed("sgr-0ddddddddddddddd2", OFFICE)), READ_RULES)

    with pytest.raises(InvalidPermissionNotFound) as not_found:
        client.revoke_ingress(GROUP, SSH_ANY4)
    assert not_found.value.report.not_found == (SSH_ANY4,)
    assert operations(stubber) == [REVOKE, READ]


# --- showing the report ----------------------------------------------------------------------


def test_report_text_and_html_show_every_rule_and_outcome(
    client: EC2Client, stubber: Stubber
) -> None:
    absent = Rule.RDP.from_cidr("192.0.2.0/24")
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0000000000000000a", SSH_ANY4), listed("sgr-0000000000000000b", OFFICE)
        ),
        READ_RULES,
    )
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True, unknown_ip_permissions=UNKNOWN[:1]),
        # The absent rule is not asked for.
        expected_params=revoke_by_rule(tcp(22, cidrs=[ANYWHERE, OFFICE_SENT])),
    )

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

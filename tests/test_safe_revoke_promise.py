"""The safe layer's promise under scrutiny: it never removes what was not asked for and
never reports a failure as a success, in every case EC2 documents.

Each test is a case that once broke the promise. Where moto can show the case, it runs
on moto's server (the rules checked with DescribeSecurityGroups, an API the safe layer
does not read); where moto answers differently from EC2 (UnknownIpPermissions, the
all-or-nothing answer of a non-default VPC, RevokedSecurityGroupRules, delayed reads),
EC2's answer is canned with the testing kit. ``../shared/reference/ec2-behaviour.md``
numbers EC2's behaviours F1..F18; the tests name the ones they show.
"""

from __future__ import annotations

import io
import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ec2revoke import (
    EC2Client,
    InvalidGroupNotFound,
    InvalidPermissionNotFound,
    InvalidSecurityGroupRuleIdNotFound,
    ParamValidationError,
    Rule,
    shapes,
)
from ec2revoke._errors import RevokeIncomplete, RevokeNotVerified
from ec2revoke._revoke.report import RevokedRule
from ec2revoke.cli._main import run
from ec2revoke.fleet import RevokeMatching, RevokeRules
from ec2revoke.testing import ANY, Stubber
from tests.moto_server import MotoEC2
from tests.safe_canned import (
    ENDPOINT,
    GROUP,
    OFFICE,
    READ,
    READ_RULES,
    REVOKE,
    SSH_ANY4,
    SSH_ANY6,
    cidr,
    ingress_answer,
    listed,
    operations,
    revoke_by_id,
    revoke_by_rule,
    revoked,
    rules_page,
    tcp,
)
from tests.safe_wired import DEFAULT_EGRESS, Group, Wired, authorize, keys, snapshot

EGRESS_REVOKE = "RevokeSecurityGroupEgress"
GROUPS = "DescribeSecurityGroups"
ATTRIBUTES = "DescribeAccountAttributes"
NO_SUCH_GROUP = "sg-0000000000deadbee"
DEFAULT_VPC = "vpc-0default00000000"
OTHER_VPC = "vpc-0other000000000"

ALL_IN = Rule.all_traffic().from_any_ipv4()
ALL_OUT = Rule.all_traffic().to_any_ipv4()
# EC2 lists every ICMPv6 rule with ports -1/-1 (listed() writes the ports as they are).
ICMPV6_AS_LISTED = Rule.all_icmpv6().from_any_ipv6()


def group_answer(vpc_id: str | None) -> shapes.DescribeSecurityGroupsResult:
    return shapes.DescribeSecurityGroupsResult(
        security_groups=[shapes.SecurityGroup(group_id=GROUP, group_name="web", vpc_id=vpc_id)]
    )


def default_vpc_answer(vpc_id: str) -> shapes.DescribeAccountAttributesResult:
    """DescribeAccountAttributes' default-vpc: the region's default VPC ID, or "none"."""
    return shapes.DescribeAccountAttributesResult(
        account_attributes=[
            shapes.AccountAttribute(
                attribute_name="default-vpc",
                attribute_values=[shapes.AccountAttributeValue(attribute_value=vpc_id)],
            )
        ]
    )


ASK_GROUP = shapes.DescribeSecurityGroupsRequest(group_ids=[GROUP])
ASK_DEFAULT_VPC = shapes.DescribeAccountAttributesRequest(attribute_names=["default-vpc"])


# --- 1. one direction, decided one way everywhere ------------------------------------------


def test_revoke_matching_takes_the_direction_from_the_patterns_spelling(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, group = wired.client, new_group().id
    authorize(client, group, ALL_IN)
    assert snapshot(client, group) == keys(ALL_IN) | {DEFAULT_EGRESS}

    report = client.revoke_matching(group, ALL_OUT)

    # Only the outbound rule goes: the inbound twin was not asked for.
    assert report.direction == "egress"
    assert snapshot(client, group) == keys(ALL_IN)
    assert [f.direction for f in client.find_rules(group, ALL_IN)] == ["ingress"]


def test_a_pattern_spelled_against_the_direction_given_is_refused_before_anything_is_sent(
    client: EC2Client, stubber: Stubber
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: client.revoke_matching(GROUP, SSH_ANY4, direction="egress"),
        lambda: client.revoke_matching(GROUP, Rule.SSH.to_any_ipv4(), direction="ingress"),
        lambda: client.find_rules(GROUP, Rule.SSH.to_any_ipv4(), direction="ingress"),
        lambda: client.revoke_ingress(GROUP, Rule.SSH.to_any_ipv4()),
        lambda: client.revoke_egress(GROUP, SSH_ANY4),
        lambda: client.revoke_matching(GROUP, [SSH_ANY4, Rule.SSH.to_any_ipv6()]),
    ]
    for call in calls:
        with pytest.raises(ParamValidationError, match=r"spelled|spell") as refused:
            call()
        assert "from_" in str(refused.value)
        assert "to_" in str(refused.value)
    # A pattern with no peer has no spelling: a revoke must be told which rules.
    with pytest.raises(ParamValidationError, match=r"direction='ingress' or direction='egress'"):
        client.revoke_matching(GROUP, Rule.SSH)
    assert stubber.sent == []


def test_fleet_actions_take_the_direction_from_the_spelling_too() -> None:
    assert RevokeMatching([ALL_OUT]).direction == "egress"
    assert RevokeMatching([ALL_IN]).direction == "ingress"
    assert RevokeRules([Rule.HTTPS.to_cidr("10.0.0.0/8")]).direction == "egress"
    with pytest.raises(ParamValidationError, match="spelled"):
        RevokeMatching([ALL_IN], direction="egress")
    with pytest.raises(ParamValidationError, match="spelled"):
        RevokeRules([ALL_OUT], direction="ingress")


# --- 2. direction checked at run time ----------------------------------------------------------


@pytest.mark.parametrize("direction", ["inbound", "in", "out", "INGRESS", "", None])
def test_a_direction_other_than_ingress_or_egress_is_refused(
    client: EC2Client, stubber: Stubber, direction: Any
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: client.revoke_rule_ids(GROUP, "sgr-0aaaaaaaaaaaaaaaa", direction=direction)
    ]
    if direction is not None:  # None: find_rules lists both, revoke_matching asks for one
        calls.append(lambda: client.revoke_matching(GROUP, Rule.SSH, direction=direction))
        calls.append(lambda: client.find_rules(GROUP, direction=direction))
    for call in calls:
        with pytest.raises(ParamValidationError, match=r"'ingress' or 'egress'") as refused:
            call()
        assert repr(direction) in str(refused.value)
    assert stubber.sent == []


# --- 3. a group that does not exist (F8) --------------------------------------------------------


def test_a_group_that_does_not_exist_is_an_error_not_an_empty_group(wired: Wired) -> None:
    client = wired.client
    calls: list[Callable[[], object]] = [
        lambda: client.find_rules(NO_SUCH_GROUP),
        lambda: client.find_rules(NO_SUCH_GROUP, SSH_ANY4),
        lambda: client.revoke_matching(NO_SUCH_GROUP, SSH_ANY4),
        lambda: client.revoke_ingress(NO_SUCH_GROUP, SSH_ANY4, missing_ok=True),
        lambda: client.revoke_egress(NO_SUCH_GROUP, ALL_OUT, missing_ok=True),
        lambda: client.revoke_rule_ids(NO_SUCH_GROUP, "sgr-0aaaaaaaaaaaaaaaa", missing_ok=True),
        lambda: client.find_rules("no-such-group-name"),
    ]
    for call in calls:
        wired.wire.clear()
        with pytest.raises(InvalidGroupNotFound) as missing:
            call()
        assert missing.value.code == "InvalidGroup.NotFound"
        assert not [a for a in wired.wire.actions() if a.startswith("Revoke")]


def test_an_empty_group_that_exists_is_still_an_empty_group(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, group = wired.client, new_group().id
    client.revoke_egress(group, ALL_OUT)
    assert client.find_rules(group) == ()
    report = client.revoke_matching(group, SSH_ANY4)
    assert report.revoked == ()
    assert report.complete


def test_cli_revoke_matching_on_a_group_that_does_not_exist_exits_254(
    moto_ec2: MotoEC2, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out, err = cli(
        monkeypatch,
        tmp_path,
        moto_ec2.url,
        "revoke-matching",
        "--group-id",
        NO_SUCH_GROUP,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
        keys=(moto_ec2.admin.access_key, moto_ec2.admin.secret_key),
    )
    assert code == 254, (out, err)
    assert err.strip().startswith("An error occurred (InvalidGroup.NotFound) when calling the")
    assert NO_SUCH_GROUP in err


# --- 4 and 5. EC2's identity of a rule (F4, F15) -----------------------------------------------


def test_icmpv6_without_ports_is_every_icmpv6_type_as_ec2_stores_it() -> None:
    assert Rule.protocol("icmpv6") == Rule.all_icmpv6()
    assert Rule.protocol(58).from_any_ipv6() == Rule.all_icmpv6().from_any_ipv6()
    assert str(Rule.protocol("icmpv6")) == "all ICMPv6"


def test_verify_never_reads_a_listed_icmpv6_rule_as_gone(
    client: EC2Client, stubber: Stubber
) -> None:
    spelled_without_ports = Rule.protocol("icmpv6").from_any_ipv6()
    stubber.add_response(REVOKE, ingress_answer(return_=True))
    # EC2 lists every ICMPv6 rule with ports -1/-1.
    still = listed("sgr-0cccccccccccccccc", ICMPV6_AS_LISTED)
    stubber.add_response(READ, rules_page(still), READ_RULES)
    stubber.add_response(READ, rules_page(still), READ_RULES)

    with pytest.raises(RevokeNotVerified) as unverified:
        client.revoke_ingress(GROUP, spelled_without_ports, verify=True, verify_timeout=1)

    assert [r.rule for r in unverified.value.still_present] == [spelled_without_ports]


def test_verify_finds_a_rule_by_its_id_and_by_its_content(
    client: EC2Client, stubber: Stubber
) -> None:
    # EC2 named the revoked rule's ID; the group lists the same rule under another ID
    # (re-authorized since): it is still open, whatever its ID.
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)]
        ),
    )
    stubber.add_response(READ, rules_page(listed("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY4)), READ_RULES)

    with pytest.raises(RevokeNotVerified) as unverified:
        client.revoke_ingress(GROUP, SSH_ANY4, verify=True, verify_timeout=0)

    assert unverified.value.still_present == (RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),)


def test_missing_ok_finds_an_icmpv6_rule_however_it_is_spelled(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        READ, rules_page(listed("sgr-0dddddddddddddddd", ICMPV6_AS_LISTED)), READ_RULES
    )
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=True),
        revoke_by_rule(
            shapes.IpPermission(
                ip_protocol="icmpv6",
                from_port=-1,
                to_port=-1,
                ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6="::/0")],
            )
        ),
    )

    report = client.revoke_ingress(GROUP, Rule.protocol("icmpv6").from_any_ipv6(), missing_ok=True)

    assert report.not_found == ()
    assert report.revoked == (
        RevokedRule(Rule.all_icmpv6().from_any_ipv6(), "sgr-0dddddddddddddddd"),
    )


def test_the_same_rule_given_twice_is_one_rule_sent_and_reported_once(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE, ingress_answer(return_=True), revoke_by_rule(tcp(22, cidrs=[cidr("0.0.0.0/0")]))
    )

    report = client.revoke_ingress(
        GROUP,
        SSH_ANY4,
        Rule.protocol("6", 22).from_cidr("0.0.0.0/0"),
        Rule.SSH.from_cidr("0.0.0.0/0").describe("described"),
        Rule.tcp(22).from_cidr("0.1.2.3/0"),  # host bits: EC2 stores 0.0.0.0/0
    )

    assert report.revoked == (RevokedRule(SSH_ANY4),)
    assert operations(stubber) == [REVOKE]


# --- 6. a dry run predicts EC2's answer (F1, F2, F7, F10) ---------------------------------------


def test_dry_run_in_the_default_vpc_predicts_unknown_ip_permissions(
    client: EC2Client, stubber: Stubber
) -> None:
    from ec2revoke._revoke.report import Prediction

    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)
    stubber.add_response(GROUPS, group_answer(DEFAULT_VPC), ASK_GROUP)
    stubber.add_response(ATTRIBUTES, default_vpc_answer(DEFAULT_VPC), ASK_DEFAULT_VPC)
    # DryRun checks IAM only (F10): the request is the one the real call would send.
    stubber.add_dry_run(
        REVOKE,
        expected_params=revoke_by_rule(tcp(22, cidrs=[cidr("0.0.0.0/0"), cidr("203.0.113.0/24")])),
    )

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, dry_run=True)

    assert report.dry_run
    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),)
    assert report.unknown == (OFFICE,)
    assert report.prediction == Prediction(
        answer="UnknownIpPermissions", permitted=True, vpc_id=DEFAULT_VPC, default_vpc=True
    )
    assert "UnknownIpPermissions" in str(report)


def test_dry_run_in_a_non_default_vpc_predicts_that_nothing_goes(
    client: EC2Client, stubber: Stubber
) -> None:
    from ec2revoke._revoke.report import Prediction

    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)
    stubber.add_response(GROUPS, group_answer(OTHER_VPC), ASK_GROUP)
    stubber.add_response(ATTRIBUTES, default_vpc_answer(DEFAULT_VPC), ASK_DEFAULT_VPC)
    stubber.add_dry_run(REVOKE, permitted=False)

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, dry_run=True)

    assert report.revoked == ()
    assert report.not_found == (OFFICE,)
    assert report.prediction == Prediction(
        answer="InvalidPermission.NotFound", permitted=False, vpc_id=OTHER_VPC, default_vpc=False
    )
    text = str(report)
    assert "InvalidPermission.NotFound" in text
    assert "nothing" in text
    assert "UnauthorizedOperation" in text


def test_dry_run_with_missing_ok_revokes_what_is_there_and_skips_the_rest(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)
    stubber.add_dry_run(REVOKE, expected_params=revoke_by_rule(tcp(22, cidrs=[cidr("0.0.0.0/0")])))

    report = client.revoke_ingress(GROUP, SSH_ANY4, OFFICE, missing_ok=True, dry_run=True)

    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),)
    assert report.not_found == (OFFICE,)
    assert report.prediction is not None
    assert (report.prediction.answer, report.prediction.permitted) == ("Return=true", True)


def test_dry_run_by_rule_id_predicts_that_one_unknown_id_fails_the_call(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)
    stubber.add_dry_run(
        REVOKE, expected_params=revoke_by_id("sgr-0aaaaaaaaaaaaaaaa", "sgr-0ffffffffffffffff")
    )

    report = client.revoke_rule_ids(
        GROUP, "sgr-0aaaaaaaaaaaaaaaa", "sgr-0ffffffffffffffff", dry_run=True
    )

    assert report.revoked == ()
    assert report.not_found == ("sgr-0ffffffffffffffff",)
    assert report.prediction is not None
    assert report.prediction.answer == "InvalidSecurityGroupRuleId.NotFound"


def test_dry_run_of_revoke_matching_asks_iam_and_lists_what_would_go(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4), listed("sgr-0bbbbbbbbbbbbbbbb", OFFICE)
        ),
        READ_RULES,
    )
    stubber.add_dry_run(REVOKE, expected_params=revoke_by_id("sgr-0aaaaaaaaaaaaaaaa"))

    report = client.revoke_matching(GROUP, SSH_ANY4, dry_run=True)

    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),)
    assert report.prediction is not None
    assert (report.prediction.answer, report.prediction.permitted) == ("Return=true", True)


def test_dry_run_on_moto_predicts_what_the_real_revoke_then_does(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, group = wired.client, new_group().id
    authorize(client, group, SSH_ANY4, SSH_ANY6)
    before = snapshot(client, group)

    dry = client.revoke_matching(group, Rule.SSH.from_any_ipv6(), dry_run=True)
    assert snapshot(client, group) == before
    real = client.revoke_matching(group, Rule.SSH.from_any_ipv6())

    assert dry.revoked == real.revoked
    assert snapshot(client, group) == before - keys(SSH_ANY6)


# --- 7. the non-default VPC's all-or-nothing answer (F2) ---------------------------------------


def test_invalid_permission_not_found_names_the_absent_rules_and_says_nothing_went(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_client_error(
        REVOKE,
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
        expected_params=revoke_by_rule(ANY),
    )
    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)

    with pytest.raises(InvalidPermissionNotFound) as not_found:
        client.revoke_ingress(GROUP, SSH_ANY4, OFFICE)

    message = str(not_found.value)
    assert "Nothing was revoked" in message
    assert f"not in {GROUP}: {OFFICE}" in message
    assert "missing_ok=True" in message
    report = not_found.value.report
    assert report.revoked == ()
    assert report.not_found == (OFFICE,)
    assert operations(stubber) == [REVOKE, READ]


# --- 8. verify waits as AWS advises (F13) ------------------------------------------------------


def test_verify_backs_off_exponentially_with_jitter_up_to_its_deadline() -> None:
    from ec2revoke._revoke.verify import VERIFY_TIMEOUT, verify_delays

    for seed in range(50):
        delays = list(verify_delays(VERIFY_TIMEOUT, random.Random(seed).random))
        # A couple of seconds first, then doubling (each jittered to half..all of its step).
        assert 1.0 <= delays[0] <= 2.0
        steps = [min(2.0 * 2**i, 60.0) for i in range(len(delays))]
        for delay, step in zip(delays[:-1], steps, strict=False):
            assert step / 2 <= delay <= step
        # Waiting stops at the deadline, not before it and not after.
        assert sum(delays) == pytest.approx(VERIFY_TIMEOUT)
    # "Up to a few minutes": over two minutes have been seen.
    assert 120 <= VERIFY_TIMEOUT <= 600
    assert list(verify_delays(0, random.random)) == []


def test_verify_reports_how_long_it_waited(
    client: EC2Client, stubber: Stubber, sleeps: list[float]
) -> None:
    stubber.add_response(REVOKE, ingress_answer(return_=True))
    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)
    stubber.add_response(READ, rules_page(listed("sgr-0bbbbbbbbbbbbbbbb", OFFICE)), READ_RULES)

    report = client.revoke_ingress(GROUP, SSH_ANY4, verify=True, verify_timeout=0.75)

    assert report.verified
    assert sleeps == [0.75]
    assert report.waited == 0.75
    assert "0.75 s" in str(report)


def test_verify_gives_up_at_its_deadline_and_says_how_long_it_waited(
    client: EC2Client, stubber: Stubber, sleeps: list[float]
) -> None:
    stubber.add_response(REVOKE, ingress_answer(return_=True))
    for _ in range(2):
        stubber.add_response(
            READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES
        )

    with pytest.raises(RevokeNotVerified) as unverified:
        client.revoke_ingress(GROUP, SSH_ANY4, verify=True, verify_timeout=0.5)

    assert sleeps == [0.5]
    assert "after 0.5 s" in str(unverified.value)
    assert unverified.value.report.waited == 0.5


def test_a_negative_verify_timeout_is_refused(client: EC2Client, stubber: Stubber) -> None:
    with pytest.raises(ParamValidationError, match="verify_timeout"):
        client.revoke_ingress(GROUP, SSH_ANY4, verify=True, verify_timeout=-1)
    assert stubber.sent == []


# --- 9. what EC2 lists is data to read ---------------------------------------------------------


def test_rules_with_descriptions_ec2_no_longer_accepts_are_still_read_and_revoked(
    moto_ec2: MotoEC2, wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, group = wired.client, new_group().id
    # Authorized with boto3: ec2revoke refuses such a description in a request.
    ec2 = boto3.client(
        "ec2",
        endpoint_url=moto_ec2.url,
        region_name=moto_ec2.region,
        aws_access_key_id=moto_ec2.admin.access_key,
        aws_secret_access_key=moto_ec2.admin.secret_key,
    )
    old = 'café <☕> "old" rule'
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": old}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": old}],
            },
        ],
    )
    ec2.close()

    found = client.find_rules(group, direction="ingress")
    assert sorted(f.rule.description or "" for f in found) == [old, old]
    report = client.revoke_ingress(group, SSH_ANY4, missing_ok=True)
    assert [r.rule_id for r in report.revoked] != [None]
    assert client.revoke_matching(group, Rule.HTTPS.from_any_ipv4()).revoked[0].rule is not None
    assert snapshot(client, group) == {DEFAULT_EGRESS}


# --- 10. answers that do not add up are never a success ------------------------------------------


def test_a_rule_ec2s_answer_does_not_account_for_is_unconfirmed(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)]
        ),
    )

    report = client.revoke_ingress(GROUP, SSH_ANY4, SSH_ANY6)

    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),)
    assert report.unconfirmed == (RevokedRule(SSH_ANY6),)
    assert not report.complete
    assert "1 unconfirmed" in str(report)
    assert ("unconfirmed", str(SSH_ANY6), "") in report.lines()


def test_verify_resolves_an_unconfirmed_rule(
    client: EC2Client, stubber: Stubber, sleeps: list[float]
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True, revoked_security_group_rules=[revoked("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)]
        ),
    )
    stubber.add_response(READ, rules_page(listed("sgr-0cccccccccccccccc", OFFICE)), READ_RULES)

    report = client.revoke_ingress(GROUP, SSH_ANY4, SSH_ANY6, verify=True)

    assert report.verified
    assert report.complete
    assert report.unconfirmed == ()
    assert report.revoked == (
        RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),
        RevokedRule(SSH_ANY6),
    )


def test_return_false_with_unknown_permissions_reports_nothing_revoked(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(return_=False, unknown_ip_permissions=[tcp(22, cidrs6=["::/0"])]),
    )

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_ingress(GROUP, SSH_ANY4, SSH_ANY6, allow_unknown=True)

    report = incomplete.value.report
    assert report.revoked == ()
    assert report.unknown == (SSH_ANY6,)
    assert report.unconfirmed == (RevokedRule(SSH_ANY4),)
    assert "Return=False" in str(incomplete.value)


def test_fleet_revoke_rules_does_not_take_return_false_for_done(
    client: EC2Client, stubber: Stubber
) -> None:
    action = RevokeRules([SSH_ANY4, SSH_ANY6])
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4), listed("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY6)
        ),
        READ_RULES,
    )
    plan = action.plan(client, GROUP)
    stubber.add_response(
        READ,
        rules_page(
            listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4), listed("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY6)
        ),
        READ_RULES,
    )
    stubber.add_response(
        REVOKE, ingress_answer(return_=False, unknown_ip_permissions=[tcp(22, cidrs6=["::/0"])])
    )

    with pytest.raises(RevokeIncomplete):
        action.execute(client, GROUP, plan, resumed=False)


@pytest.mark.parametrize(
    "odd",
    [
        shapes.IpPermission(ip_protocol="tcp", ip_ranges=[shapes.IpRange(cidr_ip="0.0.0.0/0")]),
        shapes.IpPermission(
            ip_protocol="tcp", from_port=22, to_port=22, ip_ranges=[shapes.IpRange(cidr_ip="bogus")]
        ),
        shapes.IpPermission(
            ip_protocol="weird",
            from_port=70000,
            to_port=-5,
            ip_ranges=[shapes.IpRange(cidr_ip="1")],
        ),
        shapes.IpPermission(
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            user_id_group_pairs=[shapes.UserIdGroupPair(group_id="not-a-group")],
        ),
    ],
    ids=["tcp-without-ports", "odd-cidr", "odd-protocol", "odd-group"],
)
def test_odd_unknown_ip_permissions_are_reported_as_data(
    client: EC2Client, stubber: Stubber, odd: shapes.IpPermission
) -> None:
    stubber.add_response(REVOKE, ingress_answer(return_=True, unknown_ip_permissions=[odd]))

    with pytest.raises(RevokeIncomplete) as incomplete:
        client.revoke_ingress(GROUP, SSH_ANY4)

    report = incomplete.value.report
    assert len(report.unknown) == 1
    assert str(report.unknown[0])  # readable
    # An unknown entry that matches no rule asked for leaves every rule unconfirmed.
    assert report.revoked == ()
    assert report.unconfirmed == (RevokedRule(SSH_ANY4),)


def test_odd_revoked_security_group_rules_are_reported_as_data(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        REVOKE,
        ingress_answer(
            return_=True,
            revoked_security_group_rules=[
                shapes.RevokedSecurityGroupRule(
                    security_group_rule_id="sgr-0aaaaaaaaaaaaaaaa",
                    group_id=GROUP,
                    is_egress=False,
                    ip_protocol="tcp",
                    cidr_ipv4="10.0.0.1/33",
                )
            ],
        ),
    )

    report = client.revoke_ingress(GROUP, SSH_ANY4)

    assert report.revoked == ()
    assert report.unconfirmed == (RevokedRule(SSH_ANY4),)


# --- 11. the command line prints what went, even when something fails afterwards ----------------


def cli(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    endpoint: str,
    *argv: str,
    keys: tuple[str, str] = ("AKIDEXAMPLE", "secret"),
) -> tuple[int, str, str]:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys[1])
    out, err = io.StringIO(), io.StringIO()
    code = run([*argv, "--endpoint-url", endpoint, "--region", "us-east-1"], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def endpoint_stub() -> Iterator[Stubber]:
    with Stubber.for_endpoint(ENDPOINT) as stub:
        yield stub


MATCHING_TWO_CIDRS = (
    "revoke-matching",
    "--group-id",
    GROUP,
    "--protocol",
    "tcp",
    "--port",
    "22",
    "--cidr",
    "0.0.0.0/0",
    "--cidr",
    "::/0",
)


def test_cli_revoke_matching_prints_what_went_before_a_later_error(
    endpoint_stub: Stubber, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    both = rules_page(
        listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4), listed("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY6)
    )
    endpoint_stub.add_response(READ, both, READ_RULES)
    endpoint_stub.add_response(
        REVOKE,
        ingress_answer(return_=True),
        revoke_by_id("sgr-0aaaaaaaaaaaaaaaa", "sgr-0bbbbbbbbbbbbbbbb"),
    )
    # Someone deletes the group as verify reads it back.
    endpoint_stub.add_client_error(
        READ, "InvalidGroup.NotFound", f"The security group '{GROUP}' does not exist"
    )

    code, out, err = cli(monkeypatch, tmp_path, ENDPOINT, *MATCHING_TWO_CIDRS, "--verify")

    assert code == 254, (out, err)
    summary = json.loads(out)
    assert [(r["SecurityGroupRuleId"], r["Outcome"]) for r in summary["Rules"]] == [
        ("sgr-0aaaaaaaaaaaaaaaa", "revoked"),
        ("sgr-0bbbbbbbbbbbbbbbb", "revoked"),
    ]
    assert summary["Verified"] is False
    assert "InvalidGroup.NotFound" in err


def test_cli_revoke_matching_says_what_was_not_revoked_when_the_revoke_fails(
    endpoint_stub: Stubber, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    both = rules_page(
        listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4), listed("sgr-0bbbbbbbbbbbbbbbb", SSH_ANY6)
    )
    endpoint_stub.add_response(READ, both, READ_RULES)
    endpoint_stub.add_client_error(
        REVOKE, "UnauthorizedOperation", "You are not authorized to perform this operation.", 403
    )

    code, out, err = cli(monkeypatch, tmp_path, ENDPOINT, *MATCHING_TWO_CIDRS)

    assert code == 254, (out, err)
    summary = json.loads(out)
    assert {r["Outcome"] for r in summary["Rules"]} == {"NOT revoked"}
    assert len(summary["Rules"]) == 2
    assert "UnauthorizedOperation" in err


def test_cli_revoke_matching_dry_run_that_iam_denies_exits_254(
    endpoint_stub: Stubber, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint_stub.add_response(
        READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES
    )
    endpoint_stub.add_dry_run(REVOKE, permitted=False)

    code, out, err = cli(monkeypatch, tmp_path, ENDPOINT, *MATCHING_TWO_CIDRS, "--dry-run")

    assert code == 254, (out, err)
    summary = json.loads(out)
    assert [r["Outcome"] for r in summary["Rules"]] == ["would revoke"]
    assert summary["PermittedByIam"] is False
    assert "UnauthorizedOperation" in err


# --- F7: rule IDs EC2 does not know ------------------------------------------------------------


def test_one_unknown_rule_id_fails_the_call_unless_missing_ok(
    client: EC2Client, stubber: Stubber
) -> None:
    # moto answers InvalidPermission.NotFound here; EC2 names the rule ID.
    stubber.add_client_error(
        REVOKE,
        "InvalidSecurityGroupRuleId.NotFound",
        "The security group rule ID 'sgr-0ffffffffffffffff' does not exist",
        expected_params=revoke_by_id("sgr-0aaaaaaaaaaaaaaaa", "sgr-0ffffffffffffffff"),
    )
    with pytest.raises(InvalidSecurityGroupRuleIdNotFound):
        client.revoke_rule_ids(GROUP, "sgr-0aaaaaaaaaaaaaaaa", "sgr-0ffffffffffffffff")

    stubber.add_response(READ, rules_page(listed("sgr-0aaaaaaaaaaaaaaaa", SSH_ANY4)), READ_RULES)
    stubber.add_response(
        REVOKE, ingress_answer(return_=True), revoke_by_id("sgr-0aaaaaaaaaaaaaaaa")
    )
    report = client.revoke_rule_ids(
        GROUP, "sgr-0aaaaaaaaaaaaaaaa", "sgr-0ffffffffffffffff", missing_ok=True
    )
    assert report.revoked == (RevokedRule(SSH_ANY4, "sgr-0aaaaaaaaaaaaaaaa"),)
    assert report.not_found == ("sgr-0ffffffffffffffff",)
    assert operations(stubber) == [REVOKE, READ, REVOKE]

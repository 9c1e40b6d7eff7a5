"""The safe revoke end to end, against moto's EC2 server with signature checking on.

Each test makes fresh security groups in moto's default VPC, authorizes rules with
the builder, revokes some with ``revoke_ingress``/``revoke_egress``/
``revoke_rule_ids``/``revoke_matching``, and checks the outcome two ways: the report
the call returned, and the group as DescribeSecurityGroups shows it (a different
API from the DescribeSecurityGroupRules that the safe layer reads). A recording
``requests`` adapter shows what went on the wire.

What moto cannot show is covered at the HTTP edge in test_safe_revoke_canned.py:
moto never answers with UnknownIpPermissions or RevokedSecurityGroupRules, ignores
MaxResults (so it never pages DescribeSecurityGroupRules), and is consistent at once
(so verify never has to wait).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ec2revoke import (
    InvalidPermissionNotFound,
    NotFoundError,
    Rule,
)
from ec2revoke._revoke.report import RevokedRule
from ec2revoke._rules.rule import merge
from tests.safe_wired import (
    ALL_ANY6,
    ALL_TCP_ANY4,
    DEFAULT_EGRESS,
    HTTPS_10,
    ICMP_3_4,
    SSH_ANY4,
    SSH_ANY6,
    Group,
    Wired,
    authorize,
    key,
    keys,
    revoked_keys,
    rule_ids,
    snapshot,
)

# --- revoke_ingress -----------------------------------------------------------------------


def test_revoke_ingress_removes_exactly_the_rules_asked_for(
    wired: Wired, new_group: Callable[[], Group], prefix_list: str
) -> None:
    client, wire = wired.client, wired.wire
    group, peer = new_group(), new_group()
    from_peer = Rule.POSTGRES.from_group(peer.id)
    from_list = Rule.tcp(8443).from_prefix_list(prefix_list)
    mix = [SSH_ANY4, SSH_ANY6, ALL_TCP_ANY4, ALL_ANY6, HTTPS_10, ICMP_3_4, from_peer, from_list]
    authorize(client, group.id, *mix)
    before = snapshot(client, group.id)
    assert before == keys(*mix) | {DEFAULT_EGRESS}
    ids = rule_ids(client, group.id)

    subset = [SSH_ANY6, ICMP_3_4, from_peer, from_list]
    wire.clear()
    report = client.revoke_ingress(group.id, *subset)
    sent_actions = wire.actions()

    assert snapshot(client, group.id) == before - keys(*subset)
    assert revoked_keys(report) == [key(r) for r in subset]
    for revoked in report.revoked:
        assert revoked.rule is not None
        # moto sends no RevokedSecurityGroupRules; EC2 does (see the canned tests).
        assert revoked.rule_id in (None, ids[key(revoked.rule)])
    assert (report.group, report.direction) == (group.id, "ingress")
    assert report.not_found == ()
    assert report.unknown == ()
    assert report.complete
    assert not report.dry_run
    assert not report.verified
    (request_id,) = report.request_ids
    assert request_id
    # One request for the group and direction; a group peer in its own permission.
    (sent,) = wire.of("RevokeSecurityGroupIngress")
    assert sent_actions == ["RevokeSecurityGroupIngress"]
    assert sent["GroupId"] == group.id
    assert sorted(k for k in sent if k.endswith(".IpProtocol")) == [
        f"IpPermissions.{n}.IpProtocol" for n in range(1, 5)
    ]

    remaining = {key(f.rule) for f in client.find_rules(group.id, direction="ingress")}
    assert remaining == before - keys(*subset) - {DEFAULT_EGRESS}


def test_revoking_twice_with_missing_ok_is_idempotent(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    authorize(client, group.id, SSH_ANY4, HTTPS_10, ICMP_3_4)
    ids = rule_ids(client, group.id)

    first = client.revoke_ingress(group.id, SSH_ANY4, HTTPS_10, missing_ok=True)
    # missing_ok reads the rules first, so the IDs are known even though moto sends none.
    assert first.revoked == (
        RevokedRule(SSH_ANY4, ids[key(SSH_ANY4)]),
        RevokedRule(HTTPS_10, ids[key(HTTPS_10)]),
    )
    assert first.not_found == ()
    after_first = snapshot(client, group.id)
    assert after_first == keys(ICMP_3_4) | {DEFAULT_EGRESS}

    wire.clear()
    second = client.revoke_ingress(group.id, SSH_ANY4, HTTPS_10, missing_ok=True)
    assert second.revoked == ()
    assert second.not_found == (SSH_ANY4, HTTPS_10)
    assert second.complete
    assert "not found" in str(second)
    # Nothing left to revoke: nothing was sent to revoke.
    assert wire.of("RevokeSecurityGroupIngress") == []
    assert snapshot(client, group.id) == after_first

    with pytest.raises(InvalidPermissionNotFound) as refused:
        client.revoke_ingress(group.id, SSH_ANY4, HTTPS_10)
    assert refused.value.code == "InvalidPermission.NotFound"
    assert refused.value.operation == "RevokeSecurityGroupIngress"
    assert snapshot(client, group.id) == after_first


def test_missing_ok_revokes_the_present_rules_and_reports_the_absent(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    authorize(client, group.id, SSH_ANY4, HTTPS_10)
    absent_ssh = Rule.tcp(22).from_cidr("198.51.100.0/24")
    absent_udp = Rule.DNS_UDP.from_any_ipv4()

    wire.clear()
    report = client.revoke_ingress(
        group.id, SSH_ANY4, absent_ssh, HTTPS_10, absent_udp, missing_ok=True
    )

    assert [r.rule for r in report.revoked] == [SSH_ANY4, HTTPS_10]
    assert all(r.rule_id for r in report.revoked)
    assert report.not_found == (absent_ssh, absent_udp)
    assert snapshot(client, group.id) == {DEFAULT_EGRESS}
    # Only the present rules were asked for.
    (sent,) = wire.of("RevokeSecurityGroupIngress")
    cidrs = sorted(v for k, v in sent.items() if k.endswith(".CidrIp"))
    assert cidrs == ["0.0.0.0/0", "10.0.0.0/8"]
    assert not any(k.startswith("IpPermissions.3") for k in sent)


# --- revoke_matching ------------------------------------------------------------------------


def test_revoke_matching_removes_world_open_ssh_and_leaves_the_rest(
    wired: Wired, new_group: Callable[[], Group], prefix_list: str
) -> None:
    client, wire = wired.client, wired.wire
    group, peer = new_group(), new_group()
    open_to_the_world = [
        SSH_ANY4,
        SSH_ANY6,
        ALL_TCP_ANY4,
        Rule.tcp_range(20, 30).from_any_ipv6(),
        Rule.all_traffic().from_any_ipv4(),
        ALL_ANY6,
    ]
    kept = [
        HTTPS_10,
        Rule.tcp(22).from_cidr("10.0.0.0/8"),
        Rule.tcp(22).from_cidr("2001:db8::/32"),
        Rule.tcp(21).from_any_ipv4(),
        Rule.tcp_range(23, 65535).from_any_ipv6(),
        Rule.udp(22).from_any_ipv4(),
        ICMP_3_4,
        Rule.SSH.from_group(peer.id),
        Rule.SSH.from_prefix_list(prefix_list),
    ]
    authorize(client, group.id, *open_to_the_world, *kept)
    before = snapshot(client, group.id)
    assert before == keys(*open_to_the_world, *kept) | {DEFAULT_EGRESS}
    ids = rule_ids(client, group.id)
    want4 = {ids[key(r)] for r in open_to_the_world if r.peer and r.peer.ip_version == 4}
    want6 = {ids[key(r)] for r in open_to_the_world if r.peer and r.peer.ip_version == 6}

    wire.clear()
    dry4 = client.revoke_matching(group.id, Rule.tcp(22).from_any_ipv4(), dry_run=True)
    dry6 = client.revoke_matching(group.id, Rule.tcp(22).from_any_ipv6(), dry_run=True)
    assert dry4.dry_run
    assert dry6.dry_run
    assert {r.rule_id for r in dry4.revoked} == want4
    assert {r.rule_id for r in dry6.revoked} == want6
    assert "would revoke" in str(dry4)
    assert snapshot(client, group.id) == before
    # The only revokes sent are EC2's DryRun, which asks whether IAM allows the call.
    assert set(wire.actions()) <= {
        "DescribeSecurityGroupRules",
        "DescribeSecurityGroups",
        "RevokeSecurityGroupIngress",
    }
    assert [p.get("DryRun") for p in wire.of("RevokeSecurityGroupIngress")] == ["true", "true"]
    assert dry4.prediction is not None
    assert dry4.prediction.permitted is True

    wire.clear()
    gone4 = client.revoke_matching(group.id, Rule.tcp(22).from_any_ipv4())
    gone6 = client.revoke_matching(group.id, Rule.tcp(22).from_any_ipv6())

    assert snapshot(client, group.id) == keys(*kept) | {DEFAULT_EGRESS}
    assert {r.rule_id for r in gone4.revoked} == want4
    assert {r.rule_id for r in gone6.revoked} == want6
    assert set(revoked_keys(gone4)) | set(revoked_keys(gone6)) == keys(*open_to_the_world)
    assert not gone4.dry_run
    assert gone4.not_found == ()
    assert gone6.not_found == ()
    # By rule ID, one request per call.
    revokes = wire.of("RevokeSecurityGroupIngress")
    assert len(revokes) == 2
    sent_ids = [{v for k, v in p.items() if k.startswith("SecurityGroupRuleId.")} for p in revokes]
    assert sent_ids == [want4, want6]
    assert not any(k.startswith("IpPermissions") for p in revokes for k in p)

    # Nothing matches any more: nothing is sent.
    wire.clear()
    again = client.revoke_matching(group.id, Rule.tcp(22).from_any_ipv4())
    assert again.revoked == ()
    assert "RevokeSecurityGroupIngress" not in wire.actions()


# --- rule IDs, egress, group names ----------------------------------------------------------


def test_revoke_rule_ids_ingress_and_egress(wired: Wired, new_group: Callable[[], Group]) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    out = Rule.HTTP.to_cidr("10.0.0.0/16")
    authorize(client, group.id, SSH_ANY4, HTTPS_10, ICMP_3_4)
    client.authorize_security_group_egress(group_id=group.id, ip_permissions=merge([out]))
    ids = rule_ids(client, group.id)
    absent = "sgr-0000000000000000a"

    wire.clear()
    first = client.revoke_rule_ids(group.id, ids[key(SSH_ANY4)])
    assert [r.rule_id for r in first.revoked] == [ids[key(SSH_ANY4)]]
    (sent,) = wire.of("RevokeSecurityGroupIngress")
    assert sent["SecurityGroupRuleId.1"] == ids[key(SSH_ANY4)]
    assert "SecurityGroupRuleId.2" not in sent

    second = client.revoke_rule_ids(group.id, ids[key(HTTPS_10)], absent, missing_ok=True)
    assert second.revoked == (RevokedRule(HTTPS_10, ids[key(HTTPS_10)]),)
    assert second.not_found == (absent,)

    # moto answers an unknown ID with InvalidPermission.NotFound, EC2 with
    # InvalidSecurityGroupRuleId.NotFound: both are NotFoundErrors.
    with pytest.raises(NotFoundError):
        client.revoke_rule_ids(group.id, absent)

    egress = client.revoke_rule_ids(group.id, ids[key(out, "egress")], direction="egress")
    assert [r.rule_id for r in egress.revoked] == [ids[key(out, "egress")]]
    assert egress.direction == "egress"
    assert snapshot(client, group.id) == keys(ICMP_3_4) | {DEFAULT_EGRESS}
    assert len(wire.of("RevokeSecurityGroupEgress")) == 1


def test_revoke_egress_rules(wired: Wired, new_group: Callable[[], Group]) -> None:
    client, wire = wired.client, wired.wire
    group, other = new_group(), new_group()
    http_out = Rule.HTTP.to_cidr("10.0.0.0/16")
    to_other = Rule.all_traffic().to_group(other.id)
    client.authorize_security_group_egress(
        group_id=group.id, ip_permissions=merge([http_out, to_other])
    )
    assert snapshot(client, group.id) == keys(http_out, to_other, direction="egress") | {
        DEFAULT_EGRESS
    }

    wire.clear()
    report = client.revoke_egress(group.id, http_out, to_other)

    assert revoked_keys(report, "egress") == [key(http_out, "egress"), key(to_other, "egress")]
    assert report.direction == "egress"
    assert str(report).startswith(f"egress rules of {group.id}: 2 revoked")
    assert "all traffic to " + other.id in str(report)
    assert snapshot(client, group.id) == {DEFAULT_EGRESS}
    (sent,) = wire.of("RevokeSecurityGroupEgress")
    assert sent["GroupId"] == group.id


def test_revoke_egress_by_group_name_sends_the_group_id(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    http_out = Rule.HTTP.to_cidr("10.0.0.0/16")
    client.authorize_security_group_egress(group_id=group.id, ip_permissions=merge([http_out]))

    wire.clear()
    report = client.revoke_egress(group.name, http_out)
    assert wire.actions() == ["DescribeSecurityGroups", "RevokeSecurityGroupEgress"]

    assert report.group == group.name
    assert revoked_keys(report, "egress") == [key(http_out, "egress")]
    assert snapshot(client, group.id) == {DEFAULT_EGRESS}
    looked_up = wire.of("DescribeSecurityGroups")[0]
    assert looked_up["GroupName.1"] == group.name
    # RevokeSecurityGroupEgress takes only an ID (moto would accept a name there too).
    (sent,) = wire.of("RevokeSecurityGroupEgress")
    assert sent["GroupId"] == group.id
    assert "GroupName" not in sent


def test_revoke_ingress_by_group_name_in_the_default_vpc(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    authorize(client, group.id, SSH_ANY4, HTTPS_10)

    wire.clear()
    report = client.revoke_ingress(group.name, SSH_ANY4, verify=True)

    assert report.group == group.name
    assert report.verified
    assert revoked_keys(report) == [key(SSH_ANY4)]
    assert snapshot(client, group.id) == keys(HTTPS_10) | {DEFAULT_EGRESS}
    (sent,) = wire.of("RevokeSecurityGroupIngress")
    assert sent["GroupName"] == group.name
    assert "GroupId" not in sent
    # verify read the rules of the group the name stands for.
    (read,) = wire.of("DescribeSecurityGroupRules")
    assert read["Filter.1.Name"] == "group-id"
    assert read["Filter.1.Value.1"] == group.id


# --- verify and dry runs --------------------------------------------------------------------


def test_verify_reads_the_rules_back_and_marks_the_report(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    authorize(client, group.id, SSH_ANY4, SSH_ANY6, HTTPS_10, ICMP_3_4)
    ids = rule_ids(client, group.id)

    wire.clear()
    by_rule = client.revoke_ingress(group.id, SSH_ANY4, verify=True)
    assert by_rule.verified
    assert "verified gone" in str(by_rule)
    # The read comes after the revoke; moto is consistent at once, so no waiting.
    assert wire.actions() == ["RevokeSecurityGroupIngress", "DescribeSecurityGroupRules"]
    assert wired.sleeps == []

    by_id = client.revoke_rule_ids(group.id, ids[key(HTTPS_10)], verify=True)
    assert by_id.verified
    matched = client.revoke_matching(group.id, Rule.tcp(22).from_any_ipv6(), verify=True)
    assert matched.verified
    assert [r.rule_id for r in matched.revoked] == [ids[key(SSH_ANY6)]]
    unverified = client.revoke_ingress(group.id, ICMP_3_4)
    assert not unverified.verified
    assert snapshot(client, group.id) == {DEFAULT_EGRESS}
    assert wired.sleeps == []


def test_dry_runs_change_nothing(wired: Wired, new_group: Callable[[], Group]) -> None:
    client, wire = wired.client, wired.wire
    group = new_group()
    authorize(client, group.id, SSH_ANY4, HTTPS_10)
    before = snapshot(client, group.id)
    ids = rule_ids(client, group.id)

    wire.clear()
    report = client.revoke_ingress(group.id, SSH_ANY4, HTTPS_10, dry_run=True)

    assert report.dry_run
    assert [r.rule for r in report.revoked] == [SSH_ANY4, HTTPS_10]
    assert not report.verified
    assert str(report).startswith(f"Dry run: ingress rules of {group.id}: 2 would go")
    assert snapshot(client, group.id) == before
    (sent,) = wire.of("RevokeSecurityGroupIngress")
    assert sent["DryRun"] == "true"

    by_id = client.revoke_rule_ids(group.id, ids[key(HTTPS_10)], dry_run=True)
    assert by_id.dry_run
    assert by_id.revoked == (RevokedRule(HTTPS_10, ids[key(HTTPS_10)]),)
    egress = client.revoke_egress(group.id, Rule.all_traffic().to_any_ipv4(), dry_run=True)
    assert egress.dry_run
    assert snapshot(client, group.id) == before


def test_a_patterns_spelling_picks_the_direction(
    wired: Wired, new_group: Callable[[], Group]
) -> None:
    client, group = wired.client, new_group().id
    client.authorize_security_group_ingress(
        group_id=group, ip_permissions=[Rule.SSH.from_any_ipv4().to_ip_permission()]
    )
    # The default egress rule (all traffic to 0.0.0.0/0) also allows TCP 22 to anywhere.
    inbound = client.find_rules(group, Rule.SSH.from_any_ipv4())
    outbound = client.find_rules(group, Rule.SSH.to_any_ipv4())
    assert [f.direction for f in inbound] == ["ingress"]
    assert [f.direction for f in outbound] == ["egress"]
    # No peer, no spelling: both directions.
    assert {f.direction for f in client.find_rules(group, Rule.SSH)} == {"ingress", "egress"}

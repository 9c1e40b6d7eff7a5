"""revoke_matching removes exactly what find_rules lists, and its dry run predicts it.

For random groups (inbound and outbound rules over a few protocols, port ranges and
peers) and random patterns (spelled .from_* or .to_*, with or without a peer and an
explicit direction), on moto's server: the rule IDs a dry run says would go, the ones
``find_rules`` lists for the same pattern and direction, and the ones ``revoke_matching``
then revokes are one set, and the group afterwards (read with DescribeSecurityGroups,
which the safe layer does not use) lacks exactly those rules.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2revoke import EC2Error, ParamValidationError, Port, Rule
from ec2revoke._rules.rule import identity, merge
from tests.safe_wired import Wired, key, snapshot

PORTS = [
    Port.tcp(22),
    Port.tcp(20, 30),
    Port.tcp(0, 65535),
    Port.tcp(443),
    Port.udp(53),
    Port.udp(0, 65535),
    Port.icmp(3, 4),
    Port.icmp(3, -1),
    Port.icmp(-1, -1),
    Port.all_traffic(),
]
CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "::/0", "2001:db8::/32"]


@st.composite
def group_rules(draw: Any) -> list[tuple[Rule, str]]:
    """Distinct rules with their direction."""
    drawn = draw(
        st.lists(
            st.tuples(st.sampled_from(PORTS), st.sampled_from(CIDRS), st.booleans()),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    rules = []
    for port, cidr, egress in drawn:
        rule = Rule.port_(port)
        rules.append((rule.to_cidr(cidr) if egress else rule.from_cidr(cidr), egress))
    return [(r, "egress" if e else "ingress") for r, e in rules]


@st.composite
def patterns(draw: Any) -> tuple[Rule, str | None]:
    """A pattern, and the direction passed with it (None, or the one it is spelled)."""
    port = draw(st.one_of(st.sampled_from(PORTS), st.integers(0, 65535).map(Port.tcp)))
    pattern = Rule.port_(port)
    cidr = draw(st.none() | st.sampled_from(CIDRS))
    egress = draw(st.booleans())
    if cidr is not None:
        pattern = pattern.to_cidr(cidr) if egress else pattern.from_cidr(cidr)
    spelled = "egress" if egress else "ingress"
    direction = draw(st.sampled_from([None, spelled]))
    return pattern, direction


def _ids(report: Any) -> set[str]:
    assert all(r.rule_id for r in report.revoked), report
    return {r.rule_id for r in report.revoked}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rules=group_rules(), pattern=patterns())
def test_revoke_matching_revokes_exactly_what_find_rules_lists(
    wired: Wired, rules: list[tuple[Rule, str]], pattern: tuple[Rule, str | None]
) -> None:
    client = wired.client
    matching, direction = pattern
    group = client.create_security_group(
        group_name=f"prop-{uuid.uuid4().hex[:12]}", description="revoke_matching property"
    ).group_id
    assert group is not None
    try:
        client.revoke_egress(group, Rule.all_traffic().to_any_ipv4())  # the default rule
        inbound = [r for r, d in rules if d == "ingress"]
        outbound = [r for r, d in rules if d == "egress"]
        if inbound:
            client.authorize_security_group_ingress(group_id=group, ip_permissions=merge(inbound))
        if outbound:
            client.authorize_security_group_egress(group_id=group, ip_permissions=merge(outbound))
        before = snapshot(client, group)
        assert before == {key(r, d) for r, d in rules}

        if matching.peer is None and direction is None:
            # No spelling and no direction: a revoke must be told which rules.
            wired.wire.clear()
            try:
                client.revoke_matching(group, matching)
            except ParamValidationError:
                pass
            else:
                raise AssertionError("a pattern without peer or direction was accepted")
            assert wired.wire.sent == []
            return

        chosen = direction or ("egress" if matching.egress else "ingress")
        listed = client.find_rules(group, matching, direction=direction)
        assert {f.direction for f in listed} <= {chosen}
        # Independently of find_rules: every rule of that direction that allows the pattern.
        assert {identity(f.rule) for f in listed} == {
            identity(r) for r, d in rules if d == chosen and r.allows(matching)
        }

        dry = client.revoke_matching(group, matching, direction=direction, dry_run=True)
        assert snapshot(client, group) == before
        real = client.revoke_matching(group, matching, direction=direction)

        assert _ids(dry) == _ids(real) == {f.rule_id for f in listed}
        assert real.direction == chosen
        assert snapshot(client, group) == before - {key(f.rule, f.direction) for f in listed}
    finally:
        with contextlib.suppress(EC2Error):
            client.delete_security_group(group_id=group)

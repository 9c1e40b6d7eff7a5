"""The in-memory EC2 behind tests/throttling_server.py: security groups and their rules
per (account, region), and the security-group calls the fleet makes, answered as EC2
answers them (errors included), counting every rule removed."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ec2revoke import shapes

DEFAULT_ACCOUNT = "123456789012"
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1", "-1": "-1"}


class EC2Fault(Exception):
    """An EC2 error answer."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class SgRule:
    """One rule: protocol, ports, one peer (IPv4 or IPv6 CIDR)."""

    rule_id: str
    group_id: str
    egress: bool
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    ssh_world: bool = False
    """Allows TCP 22 from 0.0.0.0/0 (set by populate: the expected revokes)."""

    def key(self) -> tuple[Any, ...]:
        ports = (None, None) if self.protocol == "-1" else (self.from_port, self.to_port)
        return (self.egress, self.protocol, *ports, self.cidr)

    def shape(self, owner: str) -> shapes.SecurityGroupRule:
        v6 = ":" in self.cidr
        return shapes.SecurityGroupRule(
            security_group_rule_id=self.rule_id,
            group_id=self.group_id,
            group_owner_id=owner,
            is_egress=self.egress,
            ip_protocol=self.protocol,
            from_port=self.from_port,
            to_port=self.to_port,
            cidr_ipv4=None if v6 else self.cidr,
            cidr_ipv6=self.cidr if v6 else None,
        )

    def permission(self) -> shapes.IpPermission:
        v6 = ":" in self.cidr
        return shapes.IpPermission(
            ip_protocol=self.protocol,
            from_port=self.from_port,
            to_port=self.to_port,
            ip_ranges=None if v6 else [shapes.IpRange(cidr_ip=self.cidr)],
            ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6=self.cidr)] if v6 else None,
        )


@dataclass
class Group:
    """A security group and its rules; ``deny`` makes revokes UnauthorizedOperation,
    ``unknown`` makes EC2 report every revoked permission as unknown."""

    group_id: str
    name: str
    vpc_id: str
    rules: dict[str, SgRule] = field(default_factory=dict)
    deny: bool = False
    unknown: bool = False


class FakeEC2:
    """Groups per (account, region), and the calls on them. Callers hold ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.groups: dict[tuple[str, str], dict[str, Group]] = {}
        self.revokes: Counter[str] = Counter()
        """Rule ID -> times removed."""
        self._ids = 0

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:017x}"

    def populate(
        self, regions: list[str], groups: int, *, account: str = DEFAULT_ACCOUNT, seed: int = 7
    ) -> set[str]:
        """``groups`` groups per region, some with SSH open to the world; returns the IDs of
        the rules that allow TCP 22 from 0.0.0.0/0 (what a fleet run should revoke)."""
        rng, expected = random.Random(seed), set()
        with self.lock:
            for region in regions:
                here = self.groups.setdefault((account, region), {})
                for n in range(groups):
                    group = Group(self._id("sg"), f"app-{n}", f"vpc-{n % 7:08x}")
                    kind = rng.random()
                    specs = [(True, "-1", -1, -1, "0.0.0.0/0", False)]  # EC2's default egress
                    if kind < 0.45:
                        specs += [(False, "tcp", 22, 22, "0.0.0.0/0", True)]
                    elif kind < 0.65:
                        specs += [(False, "tcp", 0, 65535, "0.0.0.0/0", True)]
                        specs += [(False, "tcp", 22, 22, "10.0.0.0/8", False)]
                    elif kind < 0.75:
                        specs += [(False, "tcp", 22, 22, "0.0.0.0/0", True)]
                        specs += [(False, "-1", -1, -1, "0.0.0.0/0", True)]
                        specs += [(False, "tcp", 22, 22, "::/0", False)]
                    specs += [(False, "tcp", 443, 443, "0.0.0.0/0", False)]
                    for egress, proto, low, high, cidr, ssh in specs:
                        rule = SgRule(
                            self._id("sgr"), group.group_id, egress, proto, low, high, cidr, ssh
                        )
                        group.rules[rule.rule_id] = rule
                        if ssh:
                            expected.add(rule.rule_id)
                    here[group.group_id] = group
        return expected

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every group's rules now: group ID -> sorted (rule ID, *rule key)."""
        with self.lock:
            return {
                g.group_id: sorted((r.rule_id, *map(str, r.key())) for r in g.rules.values())
                for region in self.groups.values()
                for g in region.values()
            }

    def group(self, group_id: str) -> Group:
        """A group by ID, wherever it is."""
        return next(g[group_id] for g in self.groups.values() if group_id in g)

    def _ec2(self, action: str, request: Any, groups: dict[str, Group], account: str) -> Any:
        if action == "DescribeSecurityGroups":
            return _describe_groups(request, groups, account)
        if action == "DescribeSecurityGroupRules":
            found = [r for g in groups.values() for r in g.rules.values()]
            for f in request.filters or ():
                if f.name == "group-id":
                    found = [r for r in found if r.group_id in (f.values or ())]
            if request.security_group_rule_ids:
                _require(request.security_group_rule_ids, {r.rule_id for r in found})
                found = [r for r in found if r.rule_id in request.security_group_rule_ids]
            page, token = _page(sorted(found, key=lambda r: r.rule_id), request)
            return shapes.DescribeSecurityGroupRulesResult(
                security_group_rules=[r.shape(account) for r in page], next_token=token
            )
        if action in ("RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress"):
            return self._revoke(request, groups, egress=action.endswith("Egress"))
        raise EC2Fault("InvalidAction", f"The action {action} is not valid for this web service.")

    def _revoke(self, request: Any, groups: dict[str, Group], *, egress: bool) -> Any:
        by_name = {g.name: g for g in groups.values()}
        group = groups.get(request.group_id) or by_name.get(getattr(request, "group_name", None))
        if group is None:
            raise EC2Fault(
                "InvalidGroup.NotFound", f"The security group '{request.group_id}' does not exist"
            )
        if request.dry_run:
            raise EC2Fault(
                "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412
            )
        if group.deny:
            raise EC2Fault(
                "UnauthorizedOperation", "You are not authorized to perform this operation.", 403
            )
        mine = {i: r for i, r in group.rules.items() if r.egress == egress}
        unknown: list[shapes.IpPermission] = []
        if request.security_group_rule_ids:
            _require(request.security_group_rule_ids, set(mine))
            gone = [mine[i] for i in request.security_group_rule_ids]
        else:
            by_key = {r.key(): r for r in mine.values()}
            gone = []
            for p in request.ip_permissions or ():
                proto = PROTOCOLS.get(str(p.ip_protocol).lower(), str(p.ip_protocol).lower())
                cidrs = [r.cidr_ip for r in p.ip_ranges or ()] + [
                    r.cidr_ipv6 for r in p.ipv6_ranges or ()
                ]
                for cidr in cidrs:
                    ports = (None, None) if proto == "-1" else (p.from_port, p.to_port)
                    rule = by_key.get((egress, proto, *ports, cidr))
                    if rule is None or group.unknown:
                        unknown.append(
                            SgRule(
                                "", "", egress, proto, p.from_port, p.to_port, str(cidr)
                            ).permission()
                        )
                    elif rule not in gone:
                        gone.append(rule)
            if not gone and not group.unknown:
                raise EC2Fault(
                    "InvalidPermission.NotFound",
                    "The specified rule does not exist in this security group.",
                )
        for rule in gone:
            del group.rules[rule.rule_id]
            self.revokes[rule.rule_id] += 1
        result_type = (
            shapes.RevokeSecurityGroupEgressResult
            if egress
            else shapes.RevokeSecurityGroupIngressResult
        )
        return result_type(
            return_=True,
            unknown_ip_permissions=unknown or None,
            revoked_security_group_rules=[
                shapes.RevokedSecurityGroupRule(
                    security_group_rule_id=r.rule_id,
                    group_id=r.group_id,
                    is_egress=r.egress,
                    ip_protocol=r.protocol,
                    from_port=r.from_port,
                    to_port=r.to_port,
                    cidr_ipv4=None if ":" in r.cidr else r.cidr,
                    cidr_ipv6=r.cidr if ":" in r.cidr else None,
                )
                for r in gone
            ],
        )


def _require(wanted: Any, have: set[str]) -> None:
    for rule_id in wanted:
        if rule_id not in have:
            raise EC2Fault(
                "InvalidSecurityGroupRuleId.NotFound",
                f"The security group rule ID '{rule_id}' does not exist",
            )


def _page(items: list[Any], request: Any) -> tuple[list[Any], str | None]:
    start = int(request.next_token or 0)
    size = request.max_results or len(items) or 1
    if request.max_results is not None and not 5 <= size <= 1000:
        raise EC2Fault("InvalidParameterValue", f"MaxResults {size} is not between 5 and 1000")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _describe_groups(request: Any, groups: dict[str, Group], account: str) -> Any:
    found = list(groups.values())
    if request.group_ids:
        for gid in request.group_ids:
            if gid not in groups:
                raise EC2Fault(
                    "InvalidGroup.NotFound", f"The security group '{gid}' does not exist"
                )
        found = [g for g in found if g.group_id in request.group_ids]
    for f in request.filters or ():
        values = set(f.values or ())
        attr = {"group-id": "group_id", "group-name": "name", "vpc-id": "vpc_id"}.get(str(f.name))
        if attr is None:
            raise EC2Fault("InvalidParameterValue", f"The filter '{f.name}' is invalid")
        found = [g for g in found if getattr(g, attr) in values]
    page, token = _page(found, request)
    return shapes.DescribeSecurityGroupsResult(
        security_groups=[
            shapes.SecurityGroup(
                group_id=g.group_id,
                group_name=g.name,
                description=g.name,
                vpc_id=g.vpc_id,
                owner_id=account,
                ip_permissions=[r.permission() for r in g.rules.values() if not r.egress],
                ip_permissions_egress=[r.permission() for r in g.rules.values() if r.egress],
            )
            for g in page
        ],
        next_token=token,
    )

"""What a safe revoke is asked for, and the EC2 request it becomes.

The options of one call, the rules of a ``revoke_ingress``/``revoke_egress`` call checked
and each EC2 rule kept once, patterns read from one Rule or several, and the
RevokeSecurityGroupIngress/Egress request for rules or rule IDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ec2revoke._errors import ParamValidationError
from ec2revoke._generated import shapes
from ec2revoke._revoke.direction import spelled, spelling_hint
from ec2revoke._revoke.report import Direction, FoundRule
from ec2revoke._revoke.verify import VERIFY_TIMEOUT
from ec2revoke._rules.rule import Rule, RuleKey, identity, merge


@dataclass(frozen=True, slots=True)
class RevokeOptions:
    """How a revoke was asked for: its direction and the safe layer's options."""

    direction: Direction
    missing_ok: bool = False
    verify: bool = False
    verify_timeout: float = VERIFY_TIMEOUT
    allow_unknown: bool = False
    dry_run: bool = False

    def __post_init__(self) -> None:
        timeout = self.verify_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise ParamValidationError(
                f"verify_timeout is the longest wait in seconds (0 or more), got {timeout!r}"
            )


class Target(NamedTuple):
    """The group a revoke request names: by ID, or (ingress, default VPC) by name."""

    group_id: str | None
    group_name: str | None


def revoke_request(
    direction: Direction, target: Target, *, dry_run: bool = False, **what: Any
) -> tuple[str, Any]:
    """The operation name and request for a revoke of ``rules`` or ``rule_ids``."""
    fields: dict[str, Any] = {"dry_run": dry_run or None}
    if "rules" in what:
        # No descriptions: EC2 matches a rule without one (F4), and a description EC2
        # listed may hold characters a request may no longer carry.
        fields["ip_permissions"] = merge(what["rules"], descriptions=False)
    else:
        fields["security_group_rule_ids"] = what["rule_ids"]
    if direction == "ingress":
        request: Any = shapes.RevokeSecurityGroupIngressRequest(
            group_id=target.group_id, group_name=target.group_name, **fields
        )
        return "RevokeSecurityGroupIngress", request
    assert target.group_id is not None
    request = shapes.RevokeSecurityGroupEgressRequest(group_id=target.group_id, **fields)
    return "RevokeSecurityGroupEgress", request


def requested_rules(rules: Sequence[Rule], direction: Direction) -> list[Rule]:
    """The rules of a revoke_ingress/egress call, checked, each EC2 rule once."""
    where = f"revoke_{direction}"
    if not rules:
        raise ParamValidationError(f"{where}: give at least one Rule to revoke")
    for rule in rules:
        if not isinstance(rule, Rule):
            raise ParamValidationError(
                f"{where} takes Rule objects, got {type(rule).__name__}; "
                "build one with Rule.tcp(22).from_cidr(...)"
            )
        if rule.peer is None:
            raise ParamValidationError(
                f"{where}: {rule} has no peer: add one, e.g. .from_cidr('203.0.113.0/24') "
                "or .from_group('sg-...')"
            )
        if spelled(rule) != direction:
            other = "revoke_egress" if direction == "ingress" else "revoke_ingress"
            raise ParamValidationError(
                f"{where}: {spelling_hint(rule)}; use {other}, or spell it "
                f".{'from_' if direction == 'ingress' else 'to_'}*"
            )
    unique: dict[RuleKey, Rule] = {}
    for rule in rules:
        unique.setdefault(identity(rule), rule)
    return list(unique.values())


def as_patterns(matching: Rule | Iterable[Rule] | None, where: str) -> tuple[Rule, ...]:
    """One pattern or several, as a tuple of Rules (none for None)."""
    if matching is None:
        return ()
    patterns = (matching,) if isinstance(matching, Rule) else tuple(matching)
    for p in patterns:
        if not isinstance(p, Rule):
            raise ParamValidationError(
                f"{where}: a pattern is a Rule, e.g. Rule.SSH.from_any_ipv4(); "
                f"got {type(p).__name__}"
            )
    return patterns


def by_identity(found: Iterable[FoundRule]) -> dict[RuleKey, FoundRule]:
    """Listed rules by what EC2 tells a rule apart by."""
    return {identity(f.rule): f for f in found}


def request_ids(request_id: str | None) -> tuple[str, ...]:
    """A report's request IDs from one answer's."""
    return (request_id,) if request_id else ()

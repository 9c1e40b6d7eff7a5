"""What a fleet run does to each group: revoke given rules, revoke rule IDs, or revoke
every rule that allows a pattern's traffic.

Every action first reads the group (``plan``): which of its rules would go, and which
of the rules or IDs asked for are already absent. The plan is journaled before anything
is revoked, so a run interrupted mid-revoke knows, when resumed, what it had set out to
remove; ``execute`` then revokes the plan, tolerating rules that have gone since
(missing_ok), so running it twice is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ec2revoke import codec, shapes
from ec2revoke._client import EC2Client
from ec2revoke._errors import (
    ConfigurationError,
    InvalidSecurityGroupRuleIdNotFound,
)
from ec2revoke._revoke.direction import pattern_direction
from ec2revoke._revoke.report import Direction, FoundRule, RevokeReport
from ec2revoke._rules.rule import Rule


@dataclass(frozen=True, slots=True)
class PlannedRule:
    """A rule of the group that the plan revokes: its ID, text and EC2 shape (boto3 form)."""

    rule_id: str
    text: str
    permission: dict[str, Any]

    @classmethod
    def of(cls, found: FoundRule) -> PlannedRule:
        """From a rule as find_rules lists it."""
        return cls(found.rule_id, str(found.rule), codec.to_dict(found.rule.to_ip_permission()))

    def rule(self, direction: Direction) -> Rule:
        """The Rule again, from its IpPermission."""
        permission = codec.from_dict(shapes.IpPermission, self.permission)
        return Rule.from_ip_permission(permission, egress=direction == "egress")[0]

    def to_json(self) -> dict[str, Any]:
        """The journal's form."""
        return {"id": self.rule_id, "rule": self.text, "permission": self.permission}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedRule:
        """Read back from the journal."""
        return cls(str(data["id"]), str(data["rule"]), dict(data["permission"]))


@dataclass(frozen=True, slots=True)
class Plan:
    """What one group's revoke will remove (``present``) and what is not there (``absent``)."""

    present: tuple[PlannedRule, ...] = ()
    absent: tuple[str, ...] = ()


class Action(Protocol):
    """One remediation, applied to each group of the fleet."""

    @property
    def direction(self) -> Direction | None:
        """Which rules of a group it works on (settled when the action is made)."""
        ...

    def describe(self) -> dict[str, Any]:
        """The action as the journal's header records it (a resume must match it)."""
        ...

    def plan(self, client: EC2Client, group: str) -> Plan:
        """Read the group: what would be revoked, and what is already absent."""
        ...

    def execute(self, client: EC2Client, group: str, plan: Plan, *, resumed: bool) -> RevokeReport:
        """Revoke the plan's rules; rules gone in the meantime are not errors."""
        ...


def _check_direction(direction: str) -> None:
    if direction not in ("ingress", "egress"):
        raise ConfigurationError(f"direction must be 'ingress' or 'egress', got {direction!r}")


def _settle_direction(action: Any, rules: Sequence[Rule], name: str) -> None:
    """The action's direction: given, else its rules' spelling (inbound when they have none)."""
    if action.direction is not None:
        _check_direction(action.direction)
    chosen = pattern_direction(rules, action.direction, name, required=False)
    object.__setattr__(action, "direction", chosen or "ingress")


class _Settled:
    """An action whose direction was settled when it was made."""

    direction: Direction | None

    @property
    def way(self) -> Direction:
        """The settled direction."""
        assert self.direction is not None  # _settle_direction ran in __post_init__
        return self.direction


@dataclass(frozen=True)
class RevokeRules(_Settled):
    """Revoke these exact rules (protocol, ports and peer, as EC2 identifies a rule)."""

    rules: Sequence[Rule]
    direction: Direction | None = None
    """Inbound or outbound; by default the rules' spelling (.from_* or .to_*)."""

    def __post_init__(self) -> None:
        if not self.rules or not all(isinstance(r, Rule) for r in self.rules):
            raise ConfigurationError("RevokeRules needs at least one Rule")
        _settle_direction(self, self.rules, "RevokeRules")

    def describe(self) -> dict[str, Any]:
        """The action for the journal."""
        return {
            "action": "revoke-rules",
            "direction": self.way,
            "rules": sorted(str(r) for r in self.rules),
        }

    def plan(self, client: EC2Client, group: str) -> Plan:
        """The group's rules that are one of ours; ours that it lacks are absent."""
        found = client.find_rules(group, direction=self.way)
        present: dict[str, PlannedRule] = {}
        absent: list[str] = []
        for rule in self.rules:
            match = [f for f in found if f.rule.same_rule(rule)]
            if not match:
                absent.append(str(rule))
            for f in match:
                present.setdefault(f.rule_id, PlannedRule.of(f))
        return Plan(tuple(present.values()), tuple(absent))

    def execute(self, client: EC2Client, group: str, plan: Plan, *, resumed: bool) -> RevokeReport:
        """Revoke by IpPermissions: what EC2 does not recognise comes back as unknown."""
        rules = [p.rule(self.way) for p in plan.present]
        revoke = client.revoke_ingress if self.way == "ingress" else client.revoke_egress
        # missing_ok reads the group first, so a rule gone since the plan is "not found"
        # rather than lumped in with what EC2 reports as unknown.
        return revoke(group, *rules, missing_ok=True, allow_unknown=True)


@dataclass(frozen=True)
class RevokeRuleIds:
    """Revoke rules by their IDs (sgr-...)."""

    rule_ids: Sequence[str]
    direction: Direction = "ingress"

    def __post_init__(self) -> None:
        _check_direction(self.direction)
        bad = [r for r in self.rule_ids if not isinstance(r, str) or not r.startswith("sgr-")]
        if not self.rule_ids or bad:
            raise ConfigurationError(f"RevokeRuleIds needs rule IDs (sgr-...), got {bad or '[]'}")

    def describe(self) -> dict[str, Any]:
        """The action for the journal."""
        return {
            "action": "revoke-rule-ids",
            "direction": self.direction,
            "rule_ids": sorted(self.rule_ids),
        }

    def plan(self, client: EC2Client, group: str) -> Plan:
        """The IDs that are rules of this group; the others are absent."""
        found = {f.rule_id: f for f in client.find_rules(group, direction=self.direction)}
        present = tuple(
            PlannedRule.of(found[r]) for r in dict.fromkeys(self.rule_ids) if r in found
        )
        return Plan(present, tuple(r for r in dict.fromkeys(self.rule_ids) if r not in found))

    def execute(self, client: EC2Client, group: str, plan: Plan, *, resumed: bool) -> RevokeReport:
        """Revoke the plan's IDs."""
        return _revoke_ids(client, group, plan, self.direction, resumed)


@dataclass(frozen=True)
class RevokeMatching(_Settled):
    """Revoke every rule that allows at least one pattern's traffic (wider rules too)."""

    patterns: Sequence[Rule]
    direction: Direction | None = None
    """Inbound or outbound; by default the patterns' spelling (.from_* or .to_*)."""

    def __post_init__(self) -> None:
        if not self.patterns or not all(isinstance(r, Rule) for r in self.patterns):
            raise ConfigurationError("RevokeMatching needs at least one pattern Rule")
        _settle_direction(self, self.patterns, "RevokeMatching")

    def describe(self) -> dict[str, Any]:
        """The action for the journal."""
        return {
            "action": "revoke-matching",
            "direction": self.way,
            "patterns": sorted(str(r) for r in self.patterns),
        }

    def plan(self, client: EC2Client, group: str) -> Plan:
        """The group's rules that allow any pattern."""
        found = client.find_rules(group, self.patterns, direction=self.way)
        return Plan(tuple(PlannedRule.of(f) for f in found))

    def execute(self, client: EC2Client, group: str, plan: Plan, *, resumed: bool) -> RevokeReport:
        """Revoke the matching rules by ID."""
        return _revoke_ids(client, group, plan, self.way, resumed)


def _revoke_ids(
    client: EC2Client, group: str, plan: Plan, direction: Direction, resumed: bool
) -> RevokeReport:
    ids = [p.rule_id for p in plan.present]
    try:
        # Fresh from the plan's read, one call; EC2 refuses the whole call if an ID has
        # gone since, and then (or on a resume) the read-first path sorts them out.
        return client.revoke_rule_ids(group, *ids, direction=direction, missing_ok=resumed)
    except InvalidSecurityGroupRuleIdNotFound:
        if resumed:
            raise
        return client.revoke_rule_ids(group, *ids, direction=direction, missing_ok=True)

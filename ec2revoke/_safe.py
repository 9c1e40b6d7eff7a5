"""The safe revoke: revokes that never look like success when they were not.

``revoke_ingress``/``revoke_egress`` merge Rules into as few IpPermissions as they
fit, send one request, and read the answer strictly: anything EC2 lists as
UnknownIpPermissions raises RevokeIncomplete (unless ``allow_unknown``). With
``missing_ok``, rules that are not in the group are reported as not found instead
of failing the call; with ``verify``, the group's rules are read back (with a
bounded wait for EC2's eventual consistency) and any revoked rule still listed
raises RevokeNotVerified. ``find_rules``/``revoke_matching`` find rules that allow
at least a pattern's traffic, and revoke them by rule ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from ec2revoke import shapes
from ec2revoke._errors import (
    InvalidPermissionNotFound,
    InvalidSecurityGroupRuleIdNotFound,
    ParamValidationError,
    RevokeIncomplete,
    RevokeNotVerified,
)
from ec2revoke._generated.operations import Operations
from ec2revoke._ports_peers import Peer, Port
from ec2revoke._report import Direction, FoundRule, RevokedRule, RevokeReport
from ec2revoke._results import DryRunResult
from ec2revoke._rule import Rule, merge

# Seconds between reads while waiting for a revoke to show (EC2 is eventually consistent).
VERIFY_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0)
# Rules that vanish between the read and the revoke are looked for again this often.
MISSING_OK_ROUNDS = 3
_PAGE = 1000


def _rule_of_revoked(r: shapes.RevokedSecurityGroupRule) -> Rule:
    port = Port(r.ip_protocol or "-1", r.from_port, r.to_port)
    if r.cidr_ipv4 is not None:
        peer: Peer | None = Peer(cidr=r.cidr_ipv4)
    elif r.cidr_ipv6 is not None:
        peer = Peer(cidr=r.cidr_ipv6)
    elif r.prefix_list_id is not None:
        peer = Peer(prefix_list_id=r.prefix_list_id)
    elif r.referenced_group_id is not None:
        peer = Peer(group_id=r.referenced_group_id)
    else:
        peer = None
    return Rule(port, peer, r.description, bool(r.is_egress))


def _same(a: Rule, b: Rule) -> bool:
    """Whether two rules are the same EC2 rule (protocol, ports, peer)."""
    if a.port != b.port:
        return False
    if a.peer is None or b.peer is None:
        return a.peer is None and b.peer is None
    if a.peer.group_id is not None and b.peer.group_id is not None:
        # EC2 may leave the owner account out of what it reports back.
        owners = (a.peer.user_id, b.peer.user_id)
        return a.peer.group_id == b.peer.group_id and (None in owners or owners[0] == owners[1])
    return a.same_rule(b)


class SafeRevokes(Operations):
    """High-level calls on top of the generated operations (mixed into EC2Client)."""

    __slots__ = ()

    def _pause(self, seconds: float) -> None:
        raise NotImplementedError

    # -- by rule -------------------------------------------------------------------

    def revoke_ingress(
        self,
        group: str,
        *rules: Rule,
        missing_ok: bool = False,
        verify: bool = False,
        allow_unknown: bool = False,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke inbound rules from a group (an ID, or a name in the default VPC)."""
        return self._revoke_rules(
            "ingress", group, rules, missing_ok, verify, allow_unknown, dry_run
        )

    def revoke_egress(
        self,
        group: str,
        *rules: Rule,
        missing_ok: bool = False,
        verify: bool = False,
        allow_unknown: bool = False,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke outbound rules from a group."""
        return self._revoke_rules(
            "egress", group, rules, missing_ok, verify, allow_unknown, dry_run
        )

    def _revoke_rules(
        self,
        direction: Direction,
        group: str,
        rules: Sequence[Rule],
        missing_ok: bool,
        verify: bool,
        allow_unknown: bool,
        dry_run: bool,
    ) -> RevokeReport:
        if not rules:
            raise ParamValidationError(f"revoke_{direction}: give at least one Rule to revoke")
        for rule in rules:
            if not isinstance(rule, Rule):
                raise ParamValidationError(
                    f"revoke_{direction} takes Rule objects, got {type(rule).__name__}; "
                    "build one with Rule.tcp(22).from_cidr(...)"
                )
        target = self._target(group, direction)
        pending, not_found = list(rules), []
        present: tuple[FoundRule, ...] = ()
        for _ in range(MISSING_OK_ROUNDS):
            if missing_ok:
                # Read first: revoke only what is there, so the report can say exactly
                # what went, on any backend (some revoke part of a request, then fail).
                present = self.find_rules(group, direction=direction)
                absent = [r for r in pending if not any(_same(f.rule, r) for f in present)]
                not_found += absent
                pending = [r for r in pending if r not in absent]
                if not pending:
                    return RevokeReport(
                        group, direction, not_found=tuple(not_found), dry_run=dry_run
                    )
            try:
                outcome = self._call(
                    *_request(direction, target, dry_run, ip_permissions=merge(pending))
                )
                break
            except InvalidPermissionNotFound:
                if not missing_ok:
                    raise
        else:
            raise InvalidPermissionNotFound(
                f"rules kept disappearing while revoking from {group}; run again",
                code="InvalidPermission.NotFound",
            )
        if isinstance(outcome, DryRunResult):
            would = tuple(RevokedRule(r) for r in pending)
            return RevokeReport(
                group,
                direction,
                would,
                tuple(not_found),
                dry_run=True,
                request_ids=_ids(outcome.request_id),
            )
        result, request_id = outcome
        unknown = tuple(
            rule
            for permission in result.unknown_ip_permissions or ()
            for rule in Rule.from_ip_permission(permission, egress=direction == "egress")
        )
        # Rule IDs from EC2's answer; else from the read that missing_ok made.
        revoked_ids = [
            (_rule_of_revoked(r), r.security_group_rule_id)
            for r in result.revoked_security_group_rules or ()
        ] + [(f.rule, f.rule_id) for f in present]
        revoked = tuple(
            RevokedRule(r, next((rid for rr, rid in revoked_ids if _same(rr, r)), None))
            for r in pending
            if not any(_same(u, r) for u in unknown)
        )
        report = RevokeReport(
            group, direction, revoked, tuple(not_found), unknown, request_ids=_ids(request_id)
        )
        if result.return_ is not True and not unknown:
            raise RevokeIncomplete(
                f"EC2 answered Return={result.return_} to the revoke on {group}: nothing is known to be revoked",
                # Not a single rule is known to have gone: the report must not say otherwise.
                report=replace(report, revoked=()),
            )
        if unknown and not allow_unknown:
            listed = "; ".join(str(r) for r in unknown)
            raise RevokeIncomplete(
                f"EC2 did not revoke {len(unknown)} of the rules asked for on {group} "
                f"(UnknownIpPermissions): {listed}. Check that they match the group's rules exactly "
                "(find_rules lists them), or pass allow_unknown=True to get a report instead",
                report=report,
            )
        if verify:
            report = self._verify(report)
        return report

    def _call(self, operation: str, request: Any) -> Any:
        """(result, request id), or a DryRunResult."""
        raise NotImplementedError

    # -- by rule ID ----------------------------------------------------------------

    def revoke_rule_ids(
        self,
        group: str,
        *rule_ids: str,
        direction: Direction = "ingress",
        missing_ok: bool = False,
        verify: bool = False,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke rules by their IDs (sgr-...) from a group."""
        return self._revoke_ids(group, rule_ids, direction, missing_ok, verify, dry_run, None)

    def _revoke_ids(
        self,
        group: str,
        rule_ids: Sequence[str],
        direction: Direction,
        missing_ok: bool,
        verify: bool,
        dry_run: bool,
        known: dict[str, Rule] | None,
    ) -> RevokeReport:
        if not rule_ids:
            raise ParamValidationError("revoke_rule_ids: give at least one rule ID (sgr-...)")
        bad = [r for r in rule_ids if not isinstance(r, str) or not r.startswith("sgr-")]
        if bad:
            raise ParamValidationError(
                f"revoke_rule_ids: {bad!r} are not security group rule IDs (sgr-...)"
            )
        target = self._target(group, direction)
        pending, not_found = list(dict.fromkeys(rule_ids)), []
        # A caller that has just read the rules (revoke_matching) saves the first read.
        fresh = known is not None
        known = dict(known or {})
        for _ in range(MISSING_OK_ROUNDS):
            if missing_ok:
                if fresh:
                    present, fresh = dict(known), False
                else:
                    present = {
                        f.rule_id: f.rule for f in self.find_rules(group, direction=direction)
                    }
                known.update(present)
                not_found += [r for r in pending if r not in present]
                pending = [r for r in pending if r in present]
                if not pending:
                    return RevokeReport(
                        group, direction, not_found=tuple(not_found), dry_run=dry_run
                    )
            try:
                outcome = self._call(
                    *_request(direction, target, dry_run, security_group_rule_ids=pending)
                )
                break
            except InvalidSecurityGroupRuleIdNotFound:
                if not missing_ok:
                    raise
        else:
            raise InvalidSecurityGroupRuleIdNotFound(
                f"rules kept disappearing while revoking from {group}; run again",
                code="InvalidSecurityGroupRuleId.NotFound",
            )
        if isinstance(outcome, DryRunResult):
            if not known:
                known = {f.rule_id: f.rule for f in self.find_rules(group, direction=direction)}
            would = tuple(RevokedRule(known.get(r), r) for r in pending)
            return RevokeReport(
                group,
                direction,
                would,
                tuple(not_found),
                dry_run=True,
                request_ids=_ids(outcome.request_id),
            )
        result, request_id = outcome
        by_id = {
            r.security_group_rule_id: _rule_of_revoked(r)
            for r in result.revoked_security_group_rules or ()
        }
        revoked = tuple(RevokedRule(by_id.get(r) or known.get(r), r) for r in pending)
        if result.return_ is not True:
            raise RevokeIncomplete(
                f"EC2 answered Return={result.return_} to revoking {pending} from {group}",
                report=RevokeReport(group, direction, not_found=tuple(not_found)),
            )
        report = RevokeReport(
            group, direction, revoked, tuple(not_found), request_ids=_ids(request_id)
        )
        return self._verify(report) if verify else report

    # -- finding -------------------------------------------------------------------

    def find_rules(
        self, group: str, matching: Rule | None = None, *, direction: Direction | None = None
    ) -> tuple[FoundRule, ...]:
        """The group's rules (every page), optionally only those that allow ``matching``'s traffic.

        With a pattern that has a peer and no ``direction``, the pattern's spelling picks
        the direction: ``.from_*`` looks at inbound rules, ``.to_*`` at outbound ones.
        """
        if direction is None and matching is not None and matching.peer is not None:
            direction = "egress" if matching.egress else "ingress"
        group_id = self._group_id(group)
        found: list[FoundRule] = []
        token: str | None = None
        while True:
            page = self.describe_security_group_rules(
                filters=[shapes.Filter(name="group-id", values=[group_id])],
                max_results=_PAGE,
                next_token=token,
            )
            for r in page.security_group_rules or ():
                if r.security_group_rule_id is None:
                    continue
                d: Direction = "egress" if r.is_egress else "ingress"
                found.append(
                    FoundRule(
                        r.security_group_rule_id, Rule.from_security_group_rule(r), d, group_id
                    )
                )
            token = page.next_token
            if not token:
                break
        return tuple(
            f
            for f in found
            if (direction is None or f.direction == direction)
            and (matching is None or f.rule.allows(matching))
        )

    def revoke_matching(
        self,
        group: str,
        matching: Rule,
        *,
        direction: Direction = "ingress",
        verify: bool = False,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke every rule that allows at least ``matching``'s traffic, by rule ID.

        ``Rule.tcp(22).from_any_ipv4()`` catches TCP 22 from 0.0.0.0/0 and wider rules
        (a 0-65535 range, all traffic). A dry run lists what would go and changes nothing.
        """
        found = self.find_rules(group, matching, direction=direction)
        if not found:
            return RevokeReport(group, direction, dry_run=dry_run)
        if dry_run:
            return RevokeReport(
                group, direction, tuple(RevokedRule(f.rule, f.rule_id) for f in found), dry_run=True
            )
        # Rules may go between the read and the revoke; those are not found, not errors.
        return self._revoke_ids(
            found[0].group_id,
            [f.rule_id for f in found],
            direction,
            True,
            verify,
            False,
            {f.rule_id: f.rule for f in found},
        )

    # -- helpers -------------------------------------------------------------------

    def _target(self, group: str, direction: Direction) -> _Target:
        if not isinstance(group, str) or not group:
            raise ParamValidationError(
                "group must be a security group ID (sg-...) or, in the default VPC, a name"
            )
        if group.startswith("sg-"):
            return _Target(group, None)
        if direction == "egress":
            # RevokeSecurityGroupEgress takes only an ID.
            return _Target(self._group_id(group), None)
        return _Target(None, group)

    def _group_id(self, group: str) -> str:
        if group.startswith("sg-"):
            return group
        found = self.describe_security_groups(group_names=[group]).security_groups or ()
        if not found or found[0].group_id is None:
            raise ParamValidationError(
                f"no security group named {group!r} in the default VPC; pass its ID (sg-...)"
            )
        return found[0].group_id

    def _verify(self, report: RevokeReport) -> RevokeReport:
        wanted = list(report.revoked)
        still: list[RevokedRule] = []
        for delay in VERIFY_DELAYS:
            if delay:
                self._pause(delay)
            current = self.find_rules(report.group, direction=report.direction)
            ids = {f.rule_id for f in current}
            still = [r for r in wanted if _still_listed(r, ids, current)]
            if not still:
                return replace(report, verified=True)
        raise RevokeNotVerified(
            f"{len(still)} revoked rule(s) of {report.group} were still listed after "
            f"{sum(VERIFY_DELAYS):g} s: " + "; ".join(str(r) for r in still),
            still_present=tuple(still),
        )


class _Target(NamedTuple):
    group_id: str | None
    group_name: str | None


def _request(
    direction: Direction, target: _Target, dry_run: bool, **fields: Any
) -> tuple[str, Any]:
    """The operation name and request dataclass for a revoke in ``direction``."""
    if direction == "ingress":
        request: Any = shapes.RevokeSecurityGroupIngressRequest(
            group_id=target.group_id,
            group_name=target.group_name,
            dry_run=dry_run or None,
            **fields,
        )
        return "RevokeSecurityGroupIngress", request
    assert target.group_id is not None
    request = shapes.RevokeSecurityGroupEgressRequest(
        group_id=target.group_id, dry_run=dry_run or None, **fields
    )
    return "RevokeSecurityGroupEgress", request


def _still_listed(revoked: RevokedRule, ids: set[str], current: Sequence[FoundRule]) -> bool:
    if revoked.rule_id is not None:
        return revoked.rule_id in ids
    return revoked.rule is not None and any(_same(f.rule, revoked.rule) for f in current)


def _ids(request_id: str | None) -> tuple[str, ...]:
    return (request_id,) if request_id else ()

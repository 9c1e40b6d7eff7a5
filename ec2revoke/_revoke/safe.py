"""The safe revoke: revokes that never look like success when they were not.

``revoke_ingress``/``revoke_egress`` revoke exactly the Rules given (as EC2 identifies
a rule: protocol, ports, peer), merged into one request; ``revoke_rule_ids`` revokes by
ID; ``find_rules``/``revoke_matching`` find every rule that allows at least a pattern's
traffic and revoke those by ID. EC2's answer is read strictly (see ``_accounting``):
UnknownIpPermissions raise RevokeIncomplete unless ``allow_unknown``, and a rule the
answer does not account for is reported unconfirmed, never revoked. ``missing_ok``
reads the group first and reports absent rules instead of failing; ``verify`` reads
the group back, backing off as AWS advises, until the rules are gone; ``dry_run`` reads
the group and predicts EC2's answer per rule, and asks EC2 whether IAM allows the call.

A direction is decided one way everywhere: given, or taken from how a pattern is
spelled (``.from_*`` inbound, ``.to_*`` outbound); both given and disagreeing is refused.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ec2revoke._errors import (
    AuthError,
    EC2Error,
    InvalidGroupNotFound,
    InvalidPermissionNotFound,
    InvalidSecurityGroupRuleIdNotFound,
    ParamValidationError,
    ResponseError,
    RevokeIncomplete,
    RevokeNotVerified,
    UnauthorizedOperation,
)
from ec2revoke._generated import shapes
from ec2revoke._generated.operations import Operations
from ec2revoke._results import DryRunResult
from ec2revoke._revoke.accounting import ids_outcome, rules_outcome
from ec2revoke._revoke.direction import checked_direction, pattern_direction
from ec2revoke._revoke.pages import pages
from ec2revoke._revoke.report import (
    DEPENDS_ON_VPC,
    NOTHING_TO_SEND,
    PERMISSION_NOT_FOUND,
    RETURN_TRUE,
    RULE_ID_NOT_FOUND,
    UNKNOWN_PERMISSIONS,
    Direction,
    FoundRule,
    Prediction,
    RevokedRule,
    RevokeReport,
)
from ec2revoke._revoke.request import (
    RevokeOptions,
    Target,
    as_patterns,
    by_identity,
    request_ids,
    requested_rules,
    revoke_request,
)
from ec2revoke._revoke.verify import VERIFY_TIMEOUT, verify_delays
from ec2revoke._rules.rule import Rule, RuleKey, identity

# Rules that vanish between the read and the revoke are looked for again this often.
MISSING_OK_ROUNDS = 3
_PAGE = 1000


class SafeRevokes(Operations):
    """High-level calls on top of the generated operations (mixed into EC2Client)."""

    __slots__ = ()

    def _pause(self, seconds: float) -> None:
        raise NotImplementedError

    def _call(self, operation: str, request: Any) -> Any:
        """(result, request id), or a DryRunResult."""
        raise NotImplementedError

    # -- by rule -------------------------------------------------------------------

    def revoke_ingress(
        self,
        group: str,
        *rules: Rule,
        missing_ok: bool = False,
        verify: bool = False,
        verify_timeout: float = VERIFY_TIMEOUT,
        allow_unknown: bool = False,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke inbound rules from a group (an ID, or a name in the default VPC)."""
        ask = RevokeOptions("ingress", missing_ok, verify, verify_timeout, allow_unknown, dry_run)
        return self._revoke_rules(group, rules, ask)

    def revoke_egress(
        self,
        group: str,
        *rules: Rule,
        missing_ok: bool = False,
        verify: bool = False,
        verify_timeout: float = VERIFY_TIMEOUT,
        allow_unknown: bool = False,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke outbound rules from a group."""
        ask = RevokeOptions("egress", missing_ok, verify, verify_timeout, allow_unknown, dry_run)
        return self._revoke_rules(group, rules, ask)

    def _revoke_rules(self, group: str, rules: Sequence[Rule], ask: RevokeOptions) -> RevokeReport:
        direction = ask.direction
        wanted = requested_rules(rules, direction)
        target = self._target(group, direction)
        if ask.dry_run:
            return self._predict_rules(group, target, wanted, ask)
        pending, not_found = wanted, []
        present: dict[RuleKey, FoundRule] = {}
        for _ in range(MISSING_OK_ROUNDS):
            if ask.missing_ok:
                # Read first: revoke only what is there, so the report can say exactly
                # what went, on any backend (some revoke part of a request, then fail).
                present = by_identity(self.find_rules(group, direction=direction))
                not_found += [r for r in pending if identity(r) not in present]
                pending = [r for r in pending if identity(r) in present]
                if not pending:
                    return RevokeReport(group, direction, not_found=tuple(not_found))
            try:
                result, request_id = self._call(*revoke_request(direction, target, rules=pending))
                break
            except InvalidPermissionNotFound as error:
                if not ask.missing_ok:
                    raise self._nothing_revoked(error, group, direction, pending) from None
        else:
            raise InvalidPermissionNotFound(
                f"rules kept disappearing while revoking from {group}; run again",
                code="InvalidPermission.NotFound",
            )
        ids = {key: found.rule_id for key, found in present.items()}
        revoked, unconfirmed, unknown = rules_outcome(
            result, pending, ids, egress=direction == "egress"
        )
        report = RevokeReport(
            group,
            direction,
            revoked,
            tuple(not_found),
            unknown,
            request_ids=request_ids(request_id),
            unconfirmed=unconfirmed,
        )
        if result.return_ is not True:
            raise _nothing_known(result, f"the revoke on {group}", report)
        if unknown and not ask.allow_unknown:
            listed = "; ".join(str(r) for r in unknown)
            raise RevokeIncomplete(
                f"EC2 did not revoke {len(unknown)} of the rules asked for on {group} "
                f"(UnknownIpPermissions): {listed}. Check that they match the group's rules exactly "
                "(find_rules lists them), or pass allow_unknown=True to get a report instead",
                report=report,
            )
        return self._verify(report, ask.verify_timeout) if ask.verify else report

    def _nothing_revoked(
        self,
        error: InvalidPermissionNotFound,
        group: str,
        direction: Direction,
        sent: Sequence[Rule],
    ) -> InvalidPermissionNotFound:
        """EC2's all-or-nothing answer (F2), saying which rules asked for are absent."""
        present = by_identity(self.find_rules(group, direction=direction))
        absent = [r for r in sent if identity(r) not in present]
        missing = (
            f"{len(absent)} of the {len(sent)} rule(s) asked for are not in {group}: "
            + "; ".join(str(r) for r in absent)
            if absent
            else f"every rule asked for is listed in {group} now (it may have been added since)"
        )
        explained = InvalidPermissionNotFound(
            f"{error.message.rstrip('.')}. Nothing was revoked: EC2 revokes none of a request "
            f"that names an absent rule. {missing}. Pass missing_ok=True to revoke the rules "
            "that are there and report the others",
            code=error.code,
            request_id=error.request_id,
            status=error.status,
            operation=error.operation,
        )
        explained.attempts = error.attempts
        explained.report = RevokeReport(
            group, direction, not_found=tuple(absent), request_ids=request_ids(error.request_id)
        )
        return explained

    def _predict_rules(
        self, group: str, target: Target, wanted: Sequence[Rule], ask: RevokeOptions
    ) -> RevokeReport:
        present = by_identity(self.find_rules(group, direction=ask.direction))
        here = tuple(
            RevokedRule(r, present[identity(r)].rule_id) for r in wanted if identity(r) in present
        )
        absent = tuple(r for r in wanted if identity(r) not in present)
        to_send = [r for r in wanted if identity(r) in present] if ask.missing_ok else wanted
        vpc_id, default = None, None
        if absent and not ask.missing_ok:
            vpc_id, default = self._vpc_of(group)
            answer = (
                DEPENDS_ON_VPC
                if default is None
                else UNKNOWN_PERMISSIONS
                if default
                else PERMISSION_NOT_FOUND
            )
        else:
            answer = RETURN_TRUE if to_send else NOTHING_TO_SEND
        permitted = (
            self._permitted(*revoke_request(ask.direction, target, rules=to_send, dry_run=True))
            if to_send
            else None
        )
        prediction = Prediction(answer, permitted, vpc_id, default)
        if answer == UNKNOWN_PERMISSIONS:
            return RevokeReport(
                group, ask.direction, here, unknown=absent, dry_run=True, prediction=prediction
            )
        goes = here if answer in (RETURN_TRUE, NOTHING_TO_SEND) else ()
        return RevokeReport(group, ask.direction, goes, absent, dry_run=True, prediction=prediction)

    # -- by rule ID ----------------------------------------------------------------

    def revoke_rule_ids(
        self,
        group: str,
        *rule_ids: str,
        direction: Direction = "ingress",
        missing_ok: bool = False,
        verify: bool = False,
        verify_timeout: float = VERIFY_TIMEOUT,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke rules by their IDs (sgr-...) from a group."""
        ask = RevokeOptions(
            checked_direction(direction), missing_ok, verify, verify_timeout, dry_run=dry_run
        )
        return self._revoke_ids(group, rule_ids, ask, None)

    def revoke_found(
        self,
        found: Iterable[FoundRule],
        *,
        verify: bool = False,
        verify_timeout: float = VERIFY_TIMEOUT,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke exactly the rules ``find_rules`` listed (of one group and direction), by ID.

        A rule gone since it was listed is reported as not found, not as an error.
        """
        rules = tuple(found)
        if not rules or not all(isinstance(f, FoundRule) for f in rules):
            raise ParamValidationError(
                "revoke_found takes the FoundRules that find_rules lists (at least one)"
            )
        where = {(f.group_id, f.direction) for f in rules}
        if len(where) > 1:
            raise ParamValidationError(
                "revoke_found revokes from one group and direction per call; "
                f"these rules are of {sorted(where)}"
            )
        ((group_id, direction),) = where
        ask = RevokeOptions(direction, True, verify, verify_timeout, dry_run=dry_run)
        return self._revoke_ids(group_id, [f.rule_id for f in rules], ask, rules)

    def _revoke_ids(
        self,
        group: str,
        rule_ids: Sequence[str],
        ask: RevokeOptions,
        listed: Sequence[FoundRule] | None,
    ) -> RevokeReport:
        if not rule_ids:
            raise ParamValidationError("revoke_rule_ids: give at least one rule ID (sgr-...)")
        bad = [r for r in rule_ids if not isinstance(r, str) or not r.startswith("sgr-")]
        if bad:
            raise ParamValidationError(
                f"revoke_rule_ids: {bad!r} are not security group rule IDs (sgr-...)"
            )
        direction = ask.direction
        target = self._target(group, direction)
        pending, not_found = list(dict.fromkeys(rule_ids)), []
        # A caller that has just read the rules (revoke_matching) saves the first read.
        fresh = listed is not None
        known = {f.rule_id: f.rule for f in listed or ()}
        if ask.dry_run:
            return self._predict_ids(group, target, pending, ask, known if fresh else None)
        for _ in range(MISSING_OK_ROUNDS):
            if ask.missing_ok:
                if not fresh:
                    listed = self.find_rules(group, direction=direction)
                    known = {f.rule_id: f.rule for f in listed}
                fresh = False
                not_found += [r for r in pending if r not in known]
                pending = [r for r in pending if r in known]
                if not pending:
                    return RevokeReport(group, direction, not_found=tuple(not_found))
            try:
                result, request_id = self._call(
                    *revoke_request(direction, target, rule_ids=pending)
                )
                break
            except InvalidSecurityGroupRuleIdNotFound:
                if not ask.missing_ok:
                    raise
        else:
            raise InvalidSecurityGroupRuleIdNotFound(
                f"rules kept disappearing while revoking from {group}; run again",
                code="InvalidSecurityGroupRuleId.NotFound",
            )
        revoked, unconfirmed = ids_outcome(result, pending, known)
        report = RevokeReport(
            group,
            direction,
            revoked,
            tuple(not_found),
            request_ids=request_ids(request_id),
            unconfirmed=unconfirmed,
        )
        if result.return_ is not True:
            raise _nothing_known(result, f"revoking {pending} from {group}", report)
        return self._verify(report, ask.verify_timeout) if ask.verify else report

    def _predict_ids(
        self,
        group: str,
        target: Target,
        rule_ids: Sequence[str],
        ask: RevokeOptions,
        known: dict[str, Rule] | None,
    ) -> RevokeReport:
        if known is None:
            known = {f.rule_id: f.rule for f in self.find_rules(group, direction=ask.direction)}
        here = tuple(RevokedRule(known[r], r) for r in rule_ids if r in known)
        absent = tuple(r for r in rule_ids if r not in known)
        to_send = [r for r in rule_ids if r in known] if ask.missing_ok else list(rule_ids)
        if absent and not ask.missing_ok:
            answer = RULE_ID_NOT_FOUND  # one unknown ID fails the whole call (F7)
        else:
            answer = RETURN_TRUE if to_send else NOTHING_TO_SEND
        permitted = (
            self._permitted(*revoke_request(ask.direction, target, rule_ids=to_send, dry_run=True))
            if to_send
            else None
        )
        return RevokeReport(
            group,
            ask.direction,
            here if answer != RULE_ID_NOT_FOUND else (),
            absent,
            dry_run=True,
            prediction=Prediction(answer, permitted),
        )

    # -- finding -------------------------------------------------------------------

    def find_rules(
        self,
        group: str,
        matching: Rule | Iterable[Rule] | None = None,
        *,
        direction: Direction | None = None,
    ) -> tuple[FoundRule, ...]:
        """The group's rules (every page), optionally only those that allow ``matching``'s
        traffic (a Rule, or several: rules that allow any of them).

        Without ``direction``, a pattern's spelling picks it (``.from_*`` inbound rules,
        ``.to_*`` outbound ones); with neither, both directions are listed. A group that
        does not exist raises InvalidGroupNotFound.
        """
        patterns = as_patterns(matching, "find_rules")
        direction = pattern_direction(patterns, direction, "find_rules", required=False)
        group_id = self._group_id(group)
        found: list[FoundRule] = []
        filters = [shapes.Filter(name="group-id", values=[group_id])]
        for page in pages(
            lambda token: self.describe_security_group_rules(
                filters=filters, max_results=_PAGE, next_token=token
            ),
            "DescribeSecurityGroupRules",
        ):
            for r in page.security_group_rules or ():
                if r.security_group_rule_id is None:
                    continue
                d: Direction = "egress" if r.is_egress else "ingress"
                found.append(
                    FoundRule(
                        r.security_group_rule_id, Rule.from_security_group_rule(r), d, group_id
                    )
                )
        if not found and group_id == group:
            # A filter that matches nothing is no error to EC2: ask for the group itself,
            # so a group that does not exist is never read as one without rules (F8).
            self._security_group(group_ids=[group_id])
        return tuple(
            f
            for f in found
            if (direction is None or f.direction == direction)
            and (not patterns or any(f.rule.allows(p) for p in patterns))
        )

    def revoke_matching(
        self,
        group: str,
        matching: Rule | Iterable[Rule],
        *,
        direction: Direction | None = None,
        verify: bool = False,
        verify_timeout: float = VERIFY_TIMEOUT,
        dry_run: bool = False,
    ) -> RevokeReport:
        """Revoke every rule that allows at least ``matching``'s traffic, by rule ID.

        ``Rule.tcp(22).from_any_ipv4()`` catches TCP 22 from 0.0.0.0/0 and wider rules
        (a 0-65535 range, all traffic); several patterns catch what allows any of them.
        The direction is the pattern's spelling, or ``direction``. A dry run lists what
        would go and asks EC2 whether IAM allows it; it changes nothing.
        """
        patterns = as_patterns(matching, "revoke_matching")
        if not patterns:
            raise ParamValidationError(
                "revoke_matching: give a pattern, e.g. Rule.SSH.from_any_ipv4()"
            )
        chosen = pattern_direction(patterns, direction, "revoke_matching", required=True)
        assert chosen is not None
        RevokeOptions(chosen, verify_timeout=verify_timeout)  # checked before anything is read
        found = self.find_rules(group, patterns, direction=chosen)
        if not found:
            prediction = Prediction(NOTHING_TO_SEND, None) if dry_run else None
            return RevokeReport(group, chosen, dry_run=dry_run, prediction=prediction)
        return self.revoke_found(
            found, verify=verify, verify_timeout=verify_timeout, dry_run=dry_run
        )

    # -- helpers -------------------------------------------------------------------

    def _target(self, group: str, direction: Direction) -> Target:
        if not isinstance(group, str) or not group:
            raise ParamValidationError(
                "group must be a security group ID (sg-...) or, in the default VPC, a name"
            )
        if group.startswith("sg-"):
            return Target(group, None)
        if direction == "egress":
            # RevokeSecurityGroupEgress takes only an ID.
            return Target(self._group_id(group), None)
        return Target(None, group)

    def _group_id(self, group: str) -> str:
        if not isinstance(group, str) or not group:
            raise ParamValidationError(
                "group must be a security group ID (sg-...) or, in the default VPC, a name"
            )
        if group.startswith("sg-"):
            return group
        found = self._security_group(group_names=[group])
        assert found.group_id is not None
        return found.group_id

    def _security_group(self, **which: Any) -> shapes.SecurityGroup:
        """The one group named; InvalidGroupNotFound when EC2 lists none (F8)."""
        groups = self.describe_security_groups(**which).security_groups or ()
        if not groups or groups[0].group_id is None:
            (named,) = [v[0] for v in which.values()]
            raise InvalidGroupNotFound(
                f"The security group '{named}' does not exist",
                code="InvalidGroup.NotFound",
                operation="DescribeSecurityGroups",
            )
        group: shapes.SecurityGroup = groups[0]
        return group

    def _vpc_of(self, group: str) -> tuple[str | None, bool | None]:
        """The group's VPC, and whether it is the region's default VPC (None: unknown)."""
        which = {"group_ids": [group]} if group.startswith("sg-") else {"group_names": [group]}
        vpc_id = self._security_group(**which).vpc_id
        if vpc_id is None:
            return None, True  # EC2-Classic answers as a default VPC does (F1)
        try:
            attributes = self.describe_account_attributes(attribute_names=["default-vpc"])
        except AuthError:
            return vpc_id, None
        for attribute in attributes.account_attributes or ():
            if attribute.attribute_name == "default-vpc":
                values = [v.attribute_value for v in attribute.attribute_values or ()]
                return vpc_id, vpc_id in values
        return vpc_id, None

    def _permitted(self, operation: str, request: Any) -> bool:
        """Whether IAM allows the call, by EC2's DryRun answer (F10)."""
        try:
            outcome = self._call(operation, request)
        except UnauthorizedOperation:
            return False
        if not isinstance(outcome, DryRunResult):
            raise ResponseError(
                f"EC2 answered a DryRun {operation} as if it had run it; read the group "
                "(find_rules) to see what is there",
                operation=operation,
            )
        return True

    def _verify(self, report: RevokeReport, timeout: float) -> RevokeReport:
        wanted = report.revoked + report.unconfirmed
        delays = verify_delays(timeout, random.random)
        waited = 0.0
        while True:
            try:
                current = self.find_rules(report.group, direction=report.direction)
            except EC2Error as error:
                # The revoke went; whoever handles the error must still learn what went.
                error.report = error.report or replace(report, waited=waited)
                raise
            ids = {f.rule_id for f in current}
            keys = {identity(f.rule) for f in current}
            # Listed by its ID, or the same rule under another ID: either way still open.
            still = [
                r
                for r in wanted
                if r.rule_id in ids or (r.rule is not None and identity(r.rule) in keys)
            ]
            if not still:
                return replace(report, revoked=wanted, unconfirmed=(), verified=True, waited=waited)
            delay = next(delays, None)
            if delay is None:
                break
            self._pause(delay)
            waited += delay
        raise RevokeNotVerified(
            f"{len(still)} rule(s) of {report.group} were still listed after {waited:g} s: "
            + "; ".join(str(r) for r in still)
            + ". EC2 can take minutes to show a change: read again later (find_rules), "
            "or pass a longer verify_timeout",
            still_present=tuple(still),
            report=replace(report, waited=waited),
        )


def _nothing_known(result: Any, what: str, report: RevokeReport) -> RevokeIncomplete:
    """EC2's Return=false (or none): not a single rule is known to have gone."""
    return RevokeIncomplete(
        f"EC2 answered Return={result.return_} to {what}: nothing is known to be revoked; "
        "read the group (find_rules) to see what is there",
        report=report,
    )

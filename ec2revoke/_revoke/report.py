"""What a safe revoke reports: which rules went, which were not there, which EC2 did not
know, which its answer leaves unconfirmed, and what a dry run predicts."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

from ec2revoke._rules.rule import Rule

Direction = Literal["ingress", "egress"]

# What EC2 will answer the real call, as a dry run predicts it.
RETURN_TRUE = "Return=true"
UNKNOWN_PERMISSIONS = "UnknownIpPermissions"
PERMISSION_NOT_FOUND = "InvalidPermission.NotFound"
RULE_ID_NOT_FOUND = "InvalidSecurityGroupRuleId.NotFound"
DEPENDS_ON_VPC = "UnknownIpPermissions or InvalidPermission.NotFound"
NOTHING_TO_SEND = "nothing to revoke"

_MEANINGS = {
    RETURN_TRUE: "every rule it is sent would be revoked",
    UNKNOWN_PERMISSIONS: "the rules not in the group would come back as UnknownIpPermissions "
    "and the others would be revoked (the group is in its region's default VPC)",
    PERMISSION_NOT_FOUND: "nothing would be revoked, because a rule asked for is not in the "
    "group (the group is not in the default VPC)",
    RULE_ID_NOT_FOUND: "nothing would be revoked, because a rule ID asked for is not in the group",
    DEPENDS_ON_VPC: "which of the two depends on whether the group's VPC is the region's "
    "default one, and that could not be read (DescribeAccountAttributes)",
    NOTHING_TO_SEND: "no request would be sent",
}


@dataclass(frozen=True, slots=True)
class Prediction:
    """A dry run's forecast of the real call.

    ``answer``: what EC2 will answer (``"Return=true"``, ``"UnknownIpPermissions"``,
    ``"InvalidPermission.NotFound"``, ``"InvalidSecurityGroupRuleId.NotFound"``...).
    ``permitted``: whether IAM allows the call (EC2's DryRun checks only that); None when
    there was nothing to send. ``vpc_id``/``default_vpc``: the group's VPC and whether it
    is the region's default one, when that decides the answer (else None).
    """

    answer: str
    permitted: bool | None
    vpc_id: str | None = None
    default_vpc: bool | None = None

    @property
    def succeeds(self) -> bool:
        """Whether the real call would revoke every rule it sends, with nothing unknown."""
        return self.answer in (RETURN_TRUE, NOTHING_TO_SEND) and self.permitted is not False

    def __str__(self) -> str:
        vpc = f" ({self.vpc_id})" if self.vpc_id else ""
        text = f"EC2 would answer {self.answer}: {_MEANINGS.get(self.answer, '')}{vpc}"
        if self.permitted is True:
            return text + "; IAM allows the call"
        if self.permitted is False:
            return text + "; but IAM does NOT allow the call (UnauthorizedOperation)"
        return text


@dataclass(frozen=True, slots=True)
class FoundRule:
    """A rule of a security group as EC2 lists it, with its rule ID."""

    rule_id: str
    rule: Rule
    direction: Direction
    group_id: str

    def __str__(self) -> str:
        return f"{self.rule_id} {self.direction}: {self.rule}"


@dataclass(frozen=True, slots=True)
class RevokedRule:
    """A rule EC2 revoked (or, in a dry run, would revoke), with its rule ID when known."""

    rule: Rule | None
    """None when only the rule ID is known (EC2 sent no details back)."""
    rule_id: str | None = None

    def __str__(self) -> str:
        return f"{self.rule_id or '(no id)'}: {self.rule or 'rule'}"


@dataclass(frozen=True, slots=True)
class RevokeReport:
    """The outcome of one safe revoke on one group and direction.

    ``revoked``: what EC2's answer says it removed (in a dry run: what it would remove).
    ``unconfirmed``: rules sent that EC2's answer neither names as revoked nor as unknown
    (a partial RevokedSecurityGroupRules, or ``Return=false``); ``verify`` resolves them.
    ``not_found``: rules or rule IDs that were not in the group.
    ``unknown``: rules EC2 reported back as UnknownIpPermissions, i.e. NOT revoked.
    ``prediction``: a dry run's forecast of EC2's answer to the real call.
    ``waited``: seconds ``verify`` waited for EC2 to show the revoke.
    """

    group: str
    direction: Direction
    revoked: tuple[RevokedRule, ...] = ()
    not_found: tuple[Rule | str, ...] = ()
    unknown: tuple[Rule, ...] = ()
    dry_run: bool = False
    verified: bool = False
    request_ids: tuple[str, ...] = ()
    unconfirmed: tuple[RevokedRule, ...] = ()
    prediction: Prediction | None = None
    waited: float = 0.0

    @property
    def complete(self) -> bool:
        """True when EC2 accounted for every rule asked for: none unknown, none unconfirmed."""
        return not self.unknown and not self.unconfirmed

    def lines(self) -> list[tuple[str, str, str]]:
        """(outcome, rule, rule id) for every rule the report covers."""
        went = "would revoke" if self.dry_run else "revoked"
        rows = [(went, str(r.rule or ""), r.rule_id or "") for r in self.revoked]
        rows += [("unconfirmed", str(r.rule or ""), r.rule_id or "") for r in self.unconfirmed]
        rows += [
            ("not found", str(r), "") if isinstance(r, Rule) else ("not found", "", r)
            for r in self.not_found
        ]
        rows += [("NOT REVOKED (unknown to EC2)", str(r), "") for r in self.unknown]
        return rows

    def __str__(self) -> str:
        head = f"{'Dry run: ' if self.dry_run else ''}{self.direction} rules of {self.group}"
        counts = f"{len(self.revoked)} {'would go' if self.dry_run else 'revoked'}"
        if self.unconfirmed:
            counts += f", {len(self.unconfirmed)} unconfirmed (EC2's answer does not name them)"
        if self.not_found:
            counts += f", {len(self.not_found)} not found"
        if self.unknown:
            counts += f", {len(self.unknown)} NOT revoked (unknown to EC2)"
        if self.verified:
            counts += ", verified gone" + (f" after {self.waited:g} s" if self.waited else "")
        body = "".join(
            f"\n  {outcome}: {rule or rid}" + (f" [{rid}]" if rule and rid else "")
            for outcome, rule, rid in self.lines()
        )
        forecast = f"\n  {self.prediction}" if self.prediction is not None else ""
        return f"{head}: {counts}{body}{forecast}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(o)}</td><td>{html.escape(r)}</td><td><code>{html.escape(i)}</code></td></tr>"
            for o, r, i in self.lines()
        )
        title = html.escape(str(self).splitlines()[0])
        forecast = (
            f"<p>{html.escape(str(self.prediction))}</p>" if self.prediction is not None else ""
        )
        return (
            f"<div><strong>{title}</strong><table><thead><tr><th>outcome</th><th>rule</th>"
            f"<th>rule id</th></tr></thead><tbody>{rows}</tbody></table>{forecast}</div>"
        )

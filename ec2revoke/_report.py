"""What a safe revoke reports: which rules went, which were not there, which EC2 did not know."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

from ec2revoke._rule import Rule

Direction = Literal["ingress", "egress"]


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

    ``revoked``: what EC2 removed (in a dry run: what it would remove).
    ``not_found``: rules or rule IDs that were not in the group (with missing_ok).
    ``unknown``: rules EC2 reported back as UnknownIpPermissions, i.e. NOT revoked.
    """

    group: str
    direction: Direction
    revoked: tuple[RevokedRule, ...] = ()
    not_found: tuple[Rule | str, ...] = ()
    unknown: tuple[Rule, ...] = ()
    dry_run: bool = False
    verified: bool = False
    request_ids: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when EC2 recognised every rule asked for (nothing in ``unknown``)."""
        return not self.unknown

    def lines(self) -> list[tuple[str, str, str]]:
        """(outcome, rule, rule id) for every rule the report covers."""
        went = "would revoke" if self.dry_run else "revoked"
        rows = [(went, str(r.rule or ""), r.rule_id or "") for r in self.revoked]
        rows += [
            ("not found", str(r), "") if isinstance(r, Rule) else ("not found", "", r)
            for r in self.not_found
        ]
        rows += [("NOT REVOKED (unknown to EC2)", str(r), "") for r in self.unknown]
        return rows

    def __str__(self) -> str:
        head = f"{'Dry run: ' if self.dry_run else ''}{self.direction} rules of {self.group}"
        counts = f"{len(self.revoked)} {'would go' if self.dry_run else 'revoked'}"
        if self.not_found:
            counts += f", {len(self.not_found)} not found"
        if self.unknown:
            counts += f", {len(self.unknown)} NOT revoked (unknown to EC2)"
        if self.verified:
            counts += ", verified gone"
        body = "".join(
            f"\n  {outcome}: {rule or rid}" + (f" [{rid}]" if rule and rid else "")
            for outcome, rule, rid in self.lines()
        )
        return f"{head}: {counts}{body}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(o)}</td><td>{html.escape(r)}</td><td><code>{html.escape(i)}</code></td></tr>"
            for o, r, i in self.lines()
        )
        title = html.escape(str(self).splitlines()[0])
        return (
            f"<div><strong>{title}</strong><table><thead><tr><th>outcome</th><th>rule</th>"
            f"<th>rule id</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )

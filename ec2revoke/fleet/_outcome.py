"""What happened to each target, and the run's summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ec2revoke._revoke.report import RevokedRule, RevokeReport
from ec2revoke._rules.rule import Rule
from ec2revoke.fleet._actions import Plan
from ec2revoke.fleet._targets import Target

Status = Literal["done", "failed", "dry-run"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One target's outcome.

    ``revoked``: (rule ID, rule) pairs EC2 removed (in a dry run: would remove); on a
    resumed target, rules of the journaled plan found gone count here too (the
    interrupted attempt sent their revoke). ``already_absent``: rules or IDs asked for
    that the group did not have. ``unknown``: rules EC2 reported as UnknownIpPermissions,
    i.e. NOT revoked. ``error``: code and message of a failed target.
    """

    target: Target
    status: Status
    revoked: tuple[tuple[str, str], ...] = ()
    already_absent: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    error: dict[str, str] | None = None
    resumed: bool = False

    @property
    def ok(self) -> bool:
        """Finished without error and with nothing left unknown to EC2."""
        return self.status != "failed" and not self.unknown

    def to_record(self) -> dict[str, Any]:
        """The journal's (and --json's) form."""
        record: dict[str, Any] = {
            "target": self.target.key,
            "account": self.target.account,
            "region": self.target.region,
            "group": self.target.group,
            "status": self.status,
            "revoked": [{"id": i, "rule": r} for i, r in self.revoked],
            "already_absent": list(self.already_absent),
            "unknown": list(self.unknown),
        }
        if self.error is not None:
            record["error"] = dict(self.error)
        if self.resumed:
            record["resumed"] = True
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Outcome:
        """Read back from a journal record."""
        return cls(
            Target(str(record["account"]), str(record["region"]), str(record["group"])),
            record["status"],
            tuple((str(r["id"]), str(r["rule"])) for r in record.get("revoked", ())),
            tuple(str(a) for a in record.get("already_absent", ())),
            tuple(str(u) for u in record.get("unknown", ())),
            dict(record["error"]) if record.get("error") else None,
            bool(record.get("resumed", False)),
        )


def from_report(target: Target, plan: Plan, report: RevokeReport, *, resumed: bool) -> Outcome:
    """A target's outcome from its plan and the safe revoke's report."""
    revoked = [_pair(r) for r in report.revoked]
    absent = list(plan.absent)
    planned_ids = {p.rule_id: p for p in plan.present}
    planned_text = {p.text: p for p in plan.present}
    for missing in report.not_found:
        key = missing if isinstance(missing, str) else str(missing)
        found = planned_ids.get(key) or planned_text.get(key)
        if resumed and found is not None:
            revoked.append((found.rule_id, found.text))  # gone as the plan intended
        else:
            absent.append(found.text if found is not None else key)
    return Outcome(
        target,
        "done",
        tuple(revoked),
        tuple(absent),
        tuple(str(u) for u in report.unknown),
        resumed=resumed,
    )


def _pair(revoked: RevokedRule) -> tuple[str, str]:
    rule = revoked.rule
    return (revoked.rule_id or "", str(rule) if isinstance(rule, Rule) else "")


@dataclass
class Summary:
    """Counts over every target of the fleet (earlier runs of the journal included)."""

    targets: int = 0
    done: int = 0
    failed: int = 0
    dry_run: int = 0
    skipped: int = 0
    """Targets done in an earlier run of the same journal (not run again)."""
    revoked: int = 0
    already_absent: int = 0
    unknown: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    """(target or account/region, error code, message) of every failure."""
    unknown_rules: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0
    throttled: int = 0
    elapsed: float = 0.0
    interrupted: bool = False

    @classmethod
    def of(
        cls, outcomes: Iterable[Outcome], *, skipped: int = 0, lane_failures: Iterable[Any] = ()
    ) -> Summary:
        """Add up outcomes (and failures of whole accounts or regions)."""
        summary = cls(skipped=skipped)
        for o in outcomes:
            summary.targets += 1
            if o.status == "failed":
                summary.failed += 1
                error = o.error or {}
                summary.failures.append(
                    (o.target.key, error.get("code", "?"), error.get("message", ""))
                )
            elif o.status == "dry-run":
                summary.dry_run += 1
            else:
                summary.done += 1
            summary.revoked += len(o.revoked)
            summary.already_absent += len(o.already_absent)
            summary.unknown += len(o.unknown)
            summary.unknown_rules += [(o.target.key, u) for u in o.unknown]
        for where, code, message in lane_failures:
            summary.failures.append((where, code, message))
        summary.failures.sort()
        return summary

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left unknown to EC2."""
        return not self.failures and not self.unknown and not self.interrupted

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {
            "targets": self.targets,
            "done": self.done,
            "failed": self.failed,
            "dry_run": self.dry_run,
            "skipped_done_earlier": self.skipped,
            "revoked": self.revoked,
            "already_absent": self.already_absent,
            "unknown_to_ec2": self.unknown,
            "failures": [{"where": w, "code": c, "message": m} for w, c, m in self.failures],
            "unknown_rules": [{"target": t, "rule": r} for t, r in self.unknown_rules],
            "requests": self.requests,
            "throttled": self.throttled,
            "elapsed_seconds": round(self.elapsed, 3),
            "interrupted": self.interrupted,
        }

    def __str__(self) -> str:
        went = "would be revoked" if self.dry_run and not self.done else "revoked"
        lines = [
            f"{self.targets} group(s): {self.done} done, {self.failed} failed"
            + (f", {self.dry_run} planned (dry run)" if self.dry_run else "")
            + (f" ({self.skipped} done in an earlier run)" if self.skipped else ""),
            f"rules {went}: {self.revoked}; already absent: {self.already_absent}; "
            f"unknown to EC2 (NOT revoked): {self.unknown}",
            f"{self.requests} request(s), {self.throttled} throttled, {self.elapsed:.1f} s",
        ]
        if self.interrupted:
            lines.append("INTERRUPTED: run again with the same --journal to finish")
        lines += [f"  unknown to EC2: {t}: {r}" for t, r in self.unknown_rules]
        lines += [f"  failed: {w}: {c}: {m}" for w, c, m in self.failures]
        return "\n".join(lines)

"""Fleet remediation: one revoke over many accounts, regions and security groups.

    from ec2revoke import Rule
    from ec2revoke.fleet import Account, FleetConfig, FleetRunner, RevokeMatching

    summary = FleetRunner(FleetConfig(
        action=RevokeMatching([Rule.tcp(22).from_any_ipv4()]),
        regions=["all"],
        accounts=[Account(role_arn="arn:aws:iam::123456789012:role/Remediation")],
        journal="close-ssh.jsonl",
    )).run()
    print(summary)

Requests are paced per (account, region, action) with token buckets sized like EC2's
(``RateLimits``); a journal makes an interrupted run resumable; ``dry_run`` plans only.
"""

from ec2revoke.fleet._actions import (
    Action,
    Plan,
    PlannedRule,
    RevokeMatching,
    RevokeRuleIds,
    RevokeRules,
)
from ec2revoke.fleet._bucket import BucketSet, Limit, RateLimits, TokenBucket
from ec2revoke.fleet._journal import Journal, JournalError, JournalState, read_journal
from ec2revoke.fleet._outcome import Outcome, Summary
from ec2revoke.fleet._pacing import CallStats, PacedTransport
from ec2revoke.fleet._progress import (
    NoProgress,
    PlainProgress,
    Progress,
    RichProgress,
    TqdmProgress,
    make_progress,
)
from ec2revoke.fleet._runner import FleetConfig, FleetInterrupted, FleetRunner
from ec2revoke.fleet._targets import (
    Account,
    ResolvedAccount,
    Target,
    discover_groups,
    expand_regions,
    partition_regions,
    resolve_account,
)

__all__ = [
    "Account",
    "Action",
    "BucketSet",
    "CallStats",
    "FleetConfig",
    "FleetInterrupted",
    "FleetRunner",
    "Journal",
    "JournalError",
    "JournalState",
    "Limit",
    "NoProgress",
    "Outcome",
    "PacedTransport",
    "PlainProgress",
    "Plan",
    "PlannedRule",
    "Progress",
    "RateLimits",
    "ResolvedAccount",
    "RevokeMatching",
    "RevokeRuleIds",
    "RevokeRules",
    "RichProgress",
    "Summary",
    "Target",
    "TokenBucket",
    "TqdmProgress",
    "discover_groups",
    "expand_regions",
    "make_progress",
    "partition_regions",
    "read_journal",
    "resolve_account",
]

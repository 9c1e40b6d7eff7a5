"""The fleet runner: every group of every region of every account, at the pace EC2 allows.

    runner = FleetRunner(FleetConfig(
        action=RevokeMatching([Rule.tcp(22).from_any_ipv4()]),
        regions=["all"], accounts=[Account(profile="prod")], journal="ssh.jsonl"))
    summary = runner.run()

Work goes to a bounded thread pool lane by lane, a lane being one (account, region):
each lane first lists its groups, then runs them, with no lane holding more than its
share of the pool, so a throttled region cannot starve the others. Every request is
paced by its (account, region, action) token bucket (``PacedTransport``). With a
journal, targets done in an earlier run are skipped and a target started but not
finished is run again idempotently from its journaled plan; a journal made for another
scope (accounts, regions, groups, filters, partition, endpoints) is refused. Whatever
one target's calls raise is that target's failed outcome: the run goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ec2revoke import shapes
from ec2revoke._client import EC2Client
from ec2revoke._errors import ConfigurationError, EC2Error
from ec2revoke._http.retry import RetryPolicy
from ec2revoke.fleet._actions import Action, Plan
from ec2revoke.fleet._bucket import BucketSet, RateLimits
from ec2revoke.fleet._journal import VERSION, Journal, JournalError, JournalState
from ec2revoke.fleet._lanes import Lane, Lanes
from ec2revoke.fleet._outcome import Outcome, Summary, from_report
from ec2revoke.fleet._pacing import CallStats, PacedTransport
from ec2revoke.fleet._progress import NoProgress, Progress
from ec2revoke.fleet._scope import (
    Scope,
    account_label,
    account_spec,
    check_account_ids,
    check_header,
    scope_of,
)
from ec2revoke.fleet._targets import (
    Account,
    ResolvedAccount,
    Target,
    describe_error,
    endpoint_for,
    expand_regions,
    group_pages,
    resolve_account,
)


@dataclass(frozen=True)
class FleetConfig:
    """What to run: an action over accounts x regions x groups, and how.

    ``group_ids`` empty: every group DescribeSecurityGroups lists (narrowed by
    ``filters``). ``endpoint_url`` may hold ``{region}``, or be a function of the region.
    ``concurrency``: worker threads; by default 16 per (account, region), 32 to 256.
    """

    action: Action
    regions: Sequence[str]
    accounts: Sequence[Account] = (Account(),)
    group_ids: Sequence[str] = ()
    filters: Sequence[shapes.Filter] = ()
    dry_run: bool = False
    journal: str | os.PathLike[str] | None = None
    concurrency: int | None = None
    limits: RateLimits = field(default_factory=RateLimits)
    partition: str = "aws"
    endpoint_url: str | Callable[[str], str | None] | None = None
    sts_endpoint_url: str | None = None
    max_attempts: int = 5
    timeout: float | None = 60.0
    verify: bool | str = True

    def __post_init__(self) -> None:
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        if not self.accounts:
            raise ConfigurationError("give at least one Account (Account() is the default chain)")


_STS_REGIONS = ("us-east-1", "cn-north-1", "us-gov-west-1")
log = logging.getLogger("ec2revoke.fleet")


class FleetInterrupted(KeyboardInterrupt):
    """The run was interrupted; work under way was finished and journaled first."""

    def __init__(self, summary: Summary) -> None:
        super().__init__("fleet run interrupted; run again with the same journal to finish")
        self.summary = summary


class FleetRunner:
    """Runs a FleetConfig; ``on_outcome`` sees each target's outcome as it finishes."""

    def __init__(
        self,
        config: FleetConfig,
        *,
        on_outcome: Callable[[Outcome], None] | None = None,
        progress: Progress | None = None,
        buckets: BucketSet | None = None,
    ) -> None:
        self.config = config
        self.on_outcome = on_outcome
        self.progress = progress or NoProgress()
        self.buckets = buckets or BucketSet(config.limits)
        self.stats = CallStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._outcomes: dict[str, Outcome] = {}
        self._lane_failures: list[tuple[str, str, str]] = []
        self._found: set[str] = set()
        self._skipped = 0
        self._clients: list[EC2Client] = []
        self._journal: Journal | None = None
        self._state = JournalState()
        self._size = 1

    def stop(self) -> None:
        """Ask the run to stop: work under way finishes and is journaled."""
        self._stop.set()

    def run(self) -> Summary:
        """Run every target; returns the summary (raises FleetInterrupted on Ctrl-C)."""
        started = time.monotonic()
        cfg = self.config
        if cfg.journal is not None:
            self._journal = Journal.open(cfg.journal)
            self._state = self._journal.state
        try:
            regions = expand_regions(cfg.regions, cfg.partition)
            scope = self._check_header(regions)
            interrupted = False
            resolved: dict[str, list[str]] = {}
            try:
                # STS in a region that is always enabled, when the run includes one.
                home = [r for r in _STS_REGIONS if r in regions] or regions
                accounts = self._accounts(home[0], regions, resolved)
            except KeyboardInterrupt:
                accounts, interrupted = [], True
                self._stop.set()
            self._check_account_ids(resolved)
            if scope is not None:
                self._write(
                    {
                        "event": "run",
                        "version": VERSION,
                        "action": cfg.action.describe(),
                        "dry_run": cfg.dry_run,
                        "scope": scope,
                        "account_ids": resolved,
                        "resumed": self._state.header is not None,
                    }
                )
            # Enough workers for each lane to keep its buckets busy while answers travel.
            self._size = cfg.concurrency or min(256, max(32, 16 * len(accounts) * len(regions)))
            with ThreadPoolExecutor(self._size, thread_name_prefix="fleet") as pool:
                lanes = Lanes(pool, self._size, self._stop)
                try:
                    for account in accounts:
                        for region in regions:
                            lanes.add(
                                (account.account_id, region),
                                partial(self._discover, lanes, account, region),
                            )
                    lanes.run()
                except KeyboardInterrupt:
                    interrupted = True
                    self._stop.set()
                lanes.drain()
            if lanes.crashes:
                raise lanes.crashes[0]
            summary = self._summary(started, interrupted or self._stop.is_set())
            if interrupted:
                raise FleetInterrupted(summary)
            return summary
        finally:
            for client in self._clients:
                client.close()
            if self._journal is not None:
                self._journal.close()

    # -- set-up ----------------------------------------------------------------------

    def _check_header(self, regions: list[str]) -> Scope | None:
        """This run's scope (None without a journal), refused if the journal's differs."""
        cfg = self.config
        if self._journal is None:
            return None
        scope = scope_of(
            accounts=cfg.accounts,
            regions=regions,
            group_ids=cfg.group_ids,
            filters=cfg.filters,
            partition=cfg.partition,
            endpoint_url=cfg.endpoint_url,
        )
        if self._state.header is not None:
            check_header(
                self._state.header,
                journal=str(cfg.journal),
                action=cfg.action.describe(),
                dry_run=cfg.dry_run,
                scope=scope,
            )
        return scope

    def _check_account_ids(self, resolved: dict[str, list[str]]) -> None:
        check_account_ids(self._state.account_ids, resolved, journal=str(self.config.journal))

    def _accounts(
        self, region: str, regions: list[str], ids: dict[str, list[str]]
    ) -> list[ResolvedAccount]:
        """Resolve the accounts; ``ids`` gets each one's account ID, by how it was given."""
        resolved: dict[str, ResolvedAccount] = {}
        for account in self.config.accounts:
            try:
                found = resolve_account(
                    account, region=region, sts_endpoint_url=self.config.sts_endpoint_url
                )
            except EC2Error as e:
                error = describe_error(e)
                for r in regions:
                    self._lane_failed(account.label, r, error, journal=False)
                continue
            label = account_label(account_spec(account))
            ids[label] = sorted({*ids.get(label, ()), found.account_id})
            resolved.setdefault(found.account_id, found)  # one account, one set of lanes
        return list(resolved.values())

    def _client(self, account: ResolvedAccount, region: str) -> EC2Client:
        cfg = self.config
        client = EC2Client(
            region,
            endpoint_for(cfg.endpoint_url, region),
            credentials=account.credentials,
            # Every worker may be in this lane: one kept connection each.
            max_pool_connections=self._size,
            timeout=cfg.timeout,
            verify=cfg.verify,
            retry_policy=RetryPolicy(max_attempts=cfg.max_attempts),
        )
        client.transport = PacedTransport(
            client.transport,
            self.buckets,
            account=account.account_id,
            region=region,
            stats=self.stats,
        )
        with self._lock:
            self._clients.append(client)
        return client

    # -- the jobs --------------------------------------------------------------------

    def _discover(self, lanes: Lanes, account: ResolvedAccount, region: str) -> None:
        cfg, lane = self.config, (account.account_id, region)
        try:
            client = self._client(account, region)
            if lane in self._state.complete:
                self._enqueue(lanes, client, lane, self._state.lanes[lane])
                return
            # Page by page, so the first revokes start while the region is still listed.
            pages = group_pages(client, group_ids=cfg.group_ids, filters=cfg.filters)
            for groups, last in pages:
                record: dict[str, Any] = {"event": "planned", "account": lane[0]}
                record.update(region=region, groups=groups, complete=last)
                if last:
                    seen = set(self._state.lanes.get(lane, ())) | set(groups)
                    record["missing"] = [g for g in cfg.group_ids if g not in seen]
                self._write(record)
                self._enqueue(lanes, client, lane, groups)
        except JournalError:
            raise  # the journal cannot record: stop the run (Lanes reports it)
        except Exception as e:  # typed or not, it fails this lane only
            self._lane_failed(account.account_id, region, _failure(e), journal=True)

    def _enqueue(self, lanes: Lanes, client: EC2Client, lane: Lane, groups: list[str]) -> None:
        todo = []
        with self._lock:
            for group in groups:
                target = Target(lane[0], lane[1], group)
                if target.key in self._found:
                    continue
                self._found.add(target.key)
                earlier = self._state.done.get(target.key)
                if earlier is not None and earlier.status != "failed":
                    self._skipped += 1
                    self._outcomes[target.key] = earlier
                else:
                    todo.append(target)
            self.progress.add_total(len(todo))
        for target in todo:
            lanes.add(lane, partial(self._run_target, client, target))

    def _run_target(self, client: EC2Client, target: Target) -> None:
        if self._stop.is_set():
            return  # left for the next run
        cfg, action = self.config, self.config.action
        plan = self._state.unfinished(target)
        resumed = plan is not None
        try:
            if plan is None:
                plan = action.plan(client, target.group)
            if cfg.dry_run:
                outcome = Outcome(target, "dry-run", _pairs(plan), plan.absent)
            elif not plan.present:
                outcome = Outcome(target, "done", (), plan.absent, resumed=resumed)
            else:
                if not resumed:
                    self._write({"event": "started", "target": target.key, "plan": _plan(plan)})
                report = action.execute(client, target.group, plan, resumed=resumed)
                outcome = from_report(target, plan, report, resumed=resumed)
        except JournalError:
            raise  # the journal cannot record: stop the run (Lanes reports it)
        except Exception as e:  # typed or not, it fails this target only
            outcome = Outcome(target, "failed", error=_failure(e), resumed=resumed)
        self._write({"event": "done", **outcome.to_record()})
        with self._lock:
            self._outcomes[target.key] = outcome
            self.progress.advance(outcome)
            if self.on_outcome is not None:
                self.on_outcome(outcome)

    # -- records ---------------------------------------------------------------------

    def _write(self, record: dict[str, Any]) -> None:
        if self._journal is not None:
            self._journal.write(record)

    def _lane_failed(
        self, account: str, region: str, error: dict[str, str], *, journal: bool
    ) -> None:
        if journal:
            self._write(
                {"event": "lane-failed", "account": account, "region": region, "error": error}
            )
        with self._lock:
            self._lane_failures.append((f"{account}/{region}", error["code"], error["message"]))

    def _summary(self, started: float, interrupted: bool) -> Summary:
        with self._lock:
            failures = list(self._lane_failures)
            if not self._lane_failures and not interrupted:
                found = {key.rsplit("/", 1)[1] for key in self._found}
                for group in dict.fromkeys(self.config.group_ids):
                    if group not in found:
                        failures.append(
                            (
                                group,
                                "InvalidGroup.NotFound",
                                "not found in any account and region of this run",
                            )
                        )
            summary = Summary.of(
                self._outcomes.values(), skipped=self._skipped, lane_failures=failures
            )
        summary.requests = sum(self.stats.sent.values())
        summary.throttled = sum(self.stats.throttled.values())
        summary.elapsed = time.monotonic() - started
        summary.interrupted = interrupted
        return summary


def _failure(error: Exception) -> dict[str, str]:
    """An error of one target or lane as the journal keeps it."""
    if isinstance(error, EC2Error):
        return describe_error(error)
    # Not an EC2 answer we know: a body we could not read, or a bug. The traceback goes to
    # the debug log; the target is failed, so the next run with the journal retries it.
    log.debug("unexpected error", exc_info=error)
    return {"code": type(error).__name__, "message": f"unexpected error: {error}"}


def _pairs(plan: Plan) -> tuple[tuple[str, str], ...]:
    return tuple((p.rule_id, p.text) for p in plan.present)


def _plan(plan: Plan) -> dict[str, Any]:
    return {"present": [p.to_json() for p in plan.present], "absent": list(plan.absent)}

"""Client-side pacing: token buckets sized like EC2's, one per (account, region, action).

EC2 throttles each account per region with token buckets (its "request throttling"
documentation): each API has its own bucket, sized by its category. Non-mutating
``Describe*`` calls: 100 tokens, 20 per second; the same calls without pagination or a
filter (DescribeSecurityGroups among them): 50, 10; mutating calls: 50, 5;
"resource-intensive" calls, which include AuthorizeSecurityGroupIngress and
RevokeSecurityGroupIngress: 50, 5, throttled apart from the other mutating calls.

A ``TokenBucket`` hands out send times: a caller takes a token at once, going into
debt when the bucket is empty, and sleeps until its turn, so waiting callers are served
in order without racing. When EC2 still answers RequestLimitExceeded, ``throttled()``
drains the bucket and pushes every pending turn back (doubling while throttles repeat).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ec2revoke._errors import ConfigurationError

Clock = Callable[[], float]
Sleep = Callable[[float], None]

RESOURCE_INTENSIVE = frozenset(
    {
        "AcceptVpcPeeringConnection",
        "AuthorizeSecurityGroupIngress",
        "CancelSpotInstanceRequests",
        "CreateKeyPair",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "RequestSpotInstances",
        "RevokeSecurityGroupIngress",
    }
)
"""Mutating actions with a smaller budget of their own in EC2's documentation."""

UNFILTERED_SUBSET = frozenset(
    {
        "DescribeInstances",
        "DescribeInstanceStatus",
        "DescribeNetworkInterfaces",
        "DescribeSecurityGroups",
        "DescribeSnapshots",
        "DescribeSpotInstanceRequests",
        "DescribeVolumes",
    }
)
"""Non-mutating actions that use a smaller bucket when called without pagination or filters."""

_NON_MUTATING_PREFIXES = ("Describe", "List", "Search", "Get")


@dataclass(frozen=True, slots=True)
class Limit:
    """A bucket's size (burst) and refill rate (tokens per second)."""

    capacity: float
    refill: float

    def __post_init__(self) -> None:
        if not self.capacity >= 1 or not self.refill > 0:
            raise ConfigurationError(
                f"a rate limit needs capacity >= 1 and refill > 0, got {self.capacity}/{self.refill}"
            )


@dataclass(frozen=True)
class RateLimits:
    """EC2's default request-rate budgets; ``per_action`` overrides (raised quotas).

    ``scale`` multiplies every refill rate (an account with raised limits, or a test
    endpoint running faster than real time). ``shared_categories`` makes the actions of
    a category share one bucket (the older documented model) instead of one per API;
    resource-intensive actions keep a bucket each either way.
    """

    non_mutating: Limit = Limit(100, 20)
    unfiltered_non_mutating: Limit = Limit(50, 10)
    mutating: Limit = Limit(50, 5)
    resource_intensive: Limit = Limit(50, 5)
    per_action: Mapping[str, Limit] = field(default_factory=dict)
    scale: float = 1.0
    shared_categories: bool = False

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ConfigurationError(f"rate scale must be positive, got {self.scale}")

    def bucket(self, action: str, *, unfiltered: bool = False) -> tuple[str, Limit]:
        """The bucket name and (scaled) limit that a call of ``action`` draws from."""
        if action in self.per_action:
            name, limit = action, self.per_action[action]
        elif unfiltered and action in UNFILTERED_SUBSET:
            name, limit = f"{action}:unfiltered", self.unfiltered_non_mutating
            if self.shared_categories:
                name = "unfiltered-non-mutating"
        elif action.startswith(_NON_MUTATING_PREFIXES):
            name, limit = action, self.non_mutating
            if self.shared_categories:
                name = "non-mutating"
        elif action in RESOURCE_INTENSIVE:
            name, limit = action, self.resource_intensive
        else:
            name, limit = action, self.mutating
            if self.shared_categories:
                name = "mutating"
        return name, Limit(limit.capacity, limit.refill * self.scale)


class TokenBucket:
    """A thread-safe token bucket that paces callers (starts full)."""

    MAX_PENALTY = 30.0

    def __init__(
        self,
        capacity: float,
        refill: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.limit = Limit(capacity, refill)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(capacity)
        self._stamp = clock()
        self._shift = 0.0  # seconds every pending turn was pushed back by throttles
        self._strikes = 0
        self._calm_at = 0.0  # before this time, a throttle is part of the last burst
        self.acquired = 0
        self.throttles = 0

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._stamp)
        self._stamp = max(self._stamp, now)
        self._tokens = min(self.limit.capacity, self._tokens + elapsed * self.limit.refill)

    @property
    def tokens(self) -> float:
        """Tokens available now (negative: turns already handed out ahead of the refill)."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens

    def acquire(self) -> float:
        """Take one token, sleeping until it is this caller's turn; returns seconds waited."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1.0
            self.acquired += 1
            wait = -self._tokens / self.limit.refill if self._tokens < 0 else 0.0
            shift = self._shift
        waited = 0.0
        while wait > 0:
            self._sleep(wait)
            waited += wait
            with self._lock:  # throttles while asleep push this turn back too
                wait, shift = self._shift - shift, self._shift
        return waited

    def throttled(self) -> float:
        """EC2 said RequestLimitExceeded: drain, and push pending turns back; returns the pause.

        Throttles of one burst (answers to calls already under way) count once; the pause
        doubles from one refill interval while bursts keep being throttled.
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            self.throttles += 1
            if now < self._calm_at:
                return 0.0
            pause = min(self.MAX_PENALTY, (2.0**self._strikes) / self.limit.refill)
            self._strikes = min(self._strikes + 1, 32)
            self._tokens = min(self._tokens, 0.0) - pause * self.limit.refill
            self._shift += pause
            self._calm_at = now - self._tokens / self.limit.refill
            return pause

    def succeeded(self) -> None:
        """A call went through: throttles start counting from the bottom again."""
        if self._strikes:
            with self._lock:
                self._strikes = 0


class BucketSet:
    """The buckets of a run, made on first use: one per (account, region, bucket name)."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def get(
        self, account: str, region: str, action: str, *, unfiltered: bool = False
    ) -> TokenBucket:
        """The bucket a call of ``action`` in (account, region) draws from."""
        name, limit = self.limits.bucket(action, unfiltered=unfiltered)
        key = (account, region, name)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(
                    limit.capacity, limit.refill, clock=self._clock, sleep=self._sleep
                )
                self._buckets[key] = bucket
            return bucket

    def items(self) -> list[tuple[tuple[str, str, str], TokenBucket]]:
        """Every bucket made so far, by (account, region, bucket name)."""
        with self._lock:
            return sorted(self._buckets.items())

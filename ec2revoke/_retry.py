"""When to retry a failed attempt, and how long to wait: botocore's "standard" mode.

As botocore 1.44 defines it. Retried: throttling (RequestLimitExceeded and friends,
or HTTP 429), transient codes, HTTP 500/502/503/504, connection failures and timeouts.
Waits are full-jitter exponential, ``random() * min(scale * 2 ** (attempt - 1), 20)``
seconds with ``scale`` 1 s after throttling and 50 ms otherwise, raised to an
``x-amz-retry-after`` header's value (at most 5 s more). A shared retry quota (500
tokens; a retry costs 5 after throttling, 14 otherwise; a first-try success gives 1
back, a success after retries gives back what its retry took) stops retry storms
when an endpoint is down.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ec2revoke._errors import (
    RESPONSE_TOO_LARGE,
    THROTTLING_CODES,
    ConfigurationError,
    EC2Error,
    ResponseError,
    ServiceError,
    ThrottlingError,
    TransportError,
)

TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
THROTTLING_STATUSES = frozenset({429})
DEFAULT_MAX_ATTEMPTS = 3
MAX_BACKOFF = 20.0
THROTTLING_SCALE = 1.0
OTHER_SCALE = 0.05
RETRY_AFTER_HEADER = "x-amz-retry-after"
RETRY_AFTER_MAX_EXTRA = 5.0


class RetryQuota:
    """A thread-safe token bucket shared by every call of one client."""

    INITIAL = 500
    THROTTLING_RETRY_COST = 5
    RETRY_COST = 14
    SUCCESS_REFUND = 1

    def __init__(self, capacity: int = INITIAL) -> None:
        self.capacity = capacity
        self.available = capacity
        self._lock = threading.Lock()

    def acquire(self, error: EC2Error) -> int:
        """Take the cost of retrying after ``error``; 0 when the quota is used up."""
        cost = self.THROTTLING_RETRY_COST if is_throttling(error) else self.RETRY_COST
        with self._lock:
            if cost > self.available:
                return 0
            self.available -= cost
            return cost

    def release(self, amount: int) -> None:
        """Give tokens back after a success."""
        with self._lock:
            self.available = min(self.capacity, self.available + amount)


def is_throttling(error: EC2Error) -> bool:
    """Whether EC2 (or something before it) said to slow down."""
    if not isinstance(error, ServiceError):
        return False
    return (
        isinstance(error, ThrottlingError)
        or error.code in THROTTLING_CODES
        or (error.status is not None and error.status in THROTTLING_STATUSES)
    )


def is_retryable(error: EC2Error) -> bool:
    """Whether another attempt may succeed where this one failed."""
    if isinstance(error, TransportError):
        return True
    if isinstance(error, ResponseError):
        # An unreadable 502/503 is a proxy or load balancer in trouble, not an answer;
        # one too large to read would be as large the next time.
        if error.code == RESPONSE_TOO_LARGE:
            return False
        return error.status is not None and error.status in TRANSIENT_STATUSES
    if isinstance(error, ServiceError):
        return (
            is_throttling(error)
            or error.code in TRANSIENT_CODES
            or (error.status is not None and error.status in TRANSIENT_STATUSES)
        )
    return False


@dataclass
class RetryPolicy:
    """How many attempts a call gets and how long to wait between them."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_backoff: float = MAX_BACKOFF
    quota: RetryQuota = field(default_factory=RetryQuota)
    random: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"max_attempts must be at least 1 (1 means no retries), got {self.max_attempts}"
            )

    def delay(
        self, attempt: int, error: EC2Error, headers: Mapping[str, str] | None = None
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        scale = THROTTLING_SCALE if is_throttling(error) else OTHER_SCALE
        # The exponent is capped: 2.0 ** 1024 overflows, and 2 ** 64 s is past any max_backoff.
        wait = self.random() * min(scale * 2.0 ** min(attempt - 1, 64), self.max_backoff)
        retry_after = _retry_after(headers)
        if retry_after is not None:
            wait = max(wait, min(retry_after, wait + RETRY_AFTER_MAX_EXTRA))
        return wait


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from an x-amz-retry-after header (milliseconds), if it is valid."""
    for name, value in (headers or {}).items():
        if name.lower() == RETRY_AFTER_HEADER:
            try:
                seconds = int(value) / 1000.0
            except (ValueError, OverflowError):
                return None
            return seconds if seconds >= 0 else None
    return None

"""When to retry a failed attempt, and how long to wait: botocore's "standard" mode.

Retried: throttling codes (RequestLimitExceeded and friends), transient codes, HTTP
500/502/503/504, connection failures and timeouts. Waits are full-jitter exponential,
``random() * min(2 ** (attempt - 1), 20)`` seconds. A shared retry quota (500 tokens;
a retry costs 5, after a timeout 10; a first-try success gives 1 back, a success after
retries gives back what its retry took) stops retry storms when an endpoint is down.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ec2revoke._errors import (
    ConfigurationError,
    EC2Error,
    RequestTimeout,
    ResponseError,
    ServiceError,
    ThrottlingError,
    TransportError,
)

THROTTLING_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_MAX_ATTEMPTS = 3
MAX_BACKOFF = 20.0


class RetryQuota:
    """A thread-safe token bucket shared by every call of one client."""

    INITIAL = 500
    RETRY_COST = 5
    TIMEOUT_RETRY_COST = 10
    SUCCESS_REFUND = 1

    def __init__(self, capacity: int = INITIAL) -> None:
        self.capacity = capacity
        self.available = capacity
        self._lock = threading.Lock()

    def acquire(self, error: EC2Error) -> int:
        """Take the cost of retrying after ``error``; 0 when the quota is used up."""
        cost = self.TIMEOUT_RETRY_COST if isinstance(error, RequestTimeout) else self.RETRY_COST
        with self._lock:
            if cost > self.available:
                return 0
            self.available -= cost
            return cost

    def release(self, amount: int) -> None:
        """Give tokens back after a success."""
        with self._lock:
            self.available = min(self.capacity, self.available + amount)


def is_retryable(error: EC2Error) -> bool:
    """Whether another attempt may succeed where this one failed."""
    if isinstance(error, TransportError):
        return True
    if isinstance(error, ResponseError):
        # An unreadable 502/503 is a proxy or load balancer in trouble, not an answer.
        return error.status is not None and error.status in TRANSIENT_STATUSES
    if isinstance(error, ServiceError):
        return (
            isinstance(error, ThrottlingError)
            or error.code in THROTTLING_CODES
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

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        # The exponent is capped: 2.0 ** 1024 overflows, and 2 ** 64 s is past any max_backoff.
        return self.random() * min(2.0 ** min(attempt - 1, 64), self.max_backoff)

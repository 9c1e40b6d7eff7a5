"""When to retry a failed attempt, and how long to wait: botocore's "standard" mode.

As botocore 1.44 defines it. Retried: throttling (RequestLimitExceeded and friends,
or HTTP 429), transient codes, HTTP 500/502/503/504 (whatever the body: the status
decides, as in botocore's retry rules), connection failures and timeouts, except a TLS
certificate that failed verification, which would fail again. Waits are full-jitter
exponential, ``random() * min(scale * 2 ** (attempt - 1), 20)`` seconds with ``scale``
1 s after throttling and 50 ms otherwise, raised to what an ``x-amz-retry-after``
(milliseconds) or else a ``Retry-After`` (seconds or an HTTP-date) header asks, at
most 5 s more. A shared retry quota (500 tokens; a retry costs 5 after throttling, 14
otherwise; a first-try success gives 1 back, a success after retries gives back what
its retry took) stops retry storms when an endpoint is down.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import re
import threading
import time
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
    TLSVerificationFailed,
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
HTTP_RETRY_AFTER_HEADER = "retry-after"
RETRY_AFTER_MAX_EXTRA = 5.0
# RFC 9110 delay-seconds: digits only. Longer than this is past any sensible wait.
_DELAY_SECONDS = re.compile(r"[0-9]{1,9}")


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
    if isinstance(error, ResponseError):
        # A gateway's 429 page says "too many requests" as plainly as EC2's code would.
        return error.status is not None and error.status in THROTTLING_STATUSES
    if not isinstance(error, ServiceError):
        return False
    return (
        isinstance(error, ThrottlingError)
        or error.code in THROTTLING_CODES
        or (error.status is not None and error.status in THROTTLING_STATUSES)
    )


def is_retryable(error: EC2Error) -> bool:
    """Whether another attempt may succeed where this one failed."""
    if isinstance(error, TLSVerificationFailed):
        # botocore retries it (an SSLError is a ConnectionError), but the same
        # certificate fails the same check every time.
        return False
    if isinstance(error, TransportError):
        return True
    if isinstance(error, ResponseError):
        # One too large to read would be as large the next time.
        if error.code == RESPONSE_TOO_LARGE:
            return False
        # A body that is not EC2's (a proxy's page, nothing at all) does not change what
        # the status says; botocore's retry rules look at the status alone too.
        return error.status is not None and (
            error.status in TRANSIENT_STATUSES or error.status in THROTTLING_STATUSES
        )
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
    """Seconds the answer asked to wait: x-amz-retry-after, else Retry-After, if valid.

    x-amz-retry-after (milliseconds) is read as botocore reads it. botocore ignores the
    standard Retry-After; we honour it because HTTP defines it for exactly the answers
    retried here (429, 503) and proxies and gateways in front of EC2 send it.
    """
    amz = http = None
    for name, value in (headers or {}).items():
        lowered = name.lower()
        if lowered == RETRY_AFTER_HEADER:
            amz = value
        elif lowered == HTTP_RETRY_AFTER_HEADER:
            http = value
    if amz is not None:
        try:
            seconds = int(amz) / 1000.0
        except (ValueError, OverflowError):
            return None
        return seconds if seconds >= 0 else None
    if http is not None:
        return _http_retry_after(http)
    return None


def _http_retry_after(value: str) -> float | None:
    """Seconds from a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 9110 dates are GMT anyway
        when = when.replace(tzinfo=datetime.timezone.utc)
    seconds = when.timestamp() - time.time()
    return seconds if seconds > 0 else None

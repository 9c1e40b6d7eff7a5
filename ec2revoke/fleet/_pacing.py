"""A transport that waits for its bucket's token before each request, and backs off when
EC2 answers RequestLimitExceeded anyway.

It wraps the client's own transport (signing included), so every call the client makes
for a target, reads and revokes alike, is paced by the bucket of its action. A throttled
answer means EC2 did nothing, so the same request is sent again after the bucket's
pause; after ``max_throttled`` throttles in a row the answer goes back to the client,
whose retry policy has the last word.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from ec2revoke._errors import EC2Error
from ec2revoke._http.retry import is_throttling
from ec2revoke._http.transport import HttpRequest, HttpResponse, Transport
from ec2revoke.codec import EC2
from ec2revoke.fleet._bucket import BucketSet

_PAGINATED_OR_FILTERED = (b"MaxResults=", b"NextToken=", b"Filter.")


@dataclass
class CallStats:
    """What the run sent, per action: requests, throttled answers, seconds spent waiting."""

    sent: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    waited: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, action: str, *, throttled: bool, waited: float) -> None:
        """Count one request."""
        with self._lock:
            self.sent[action] += 1
            if throttled:
                self.throttled[action] += 1
            self.waited += waited


def is_throttled(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether a response is EC2 (or a proxy) saying to slow down."""
    if response.status < 400:
        return False
    try:
        EC2.read_response(request.operation or "", response.status, response.body)
    except EC2Error as error:
        return is_throttling(error)
    return False


class PacedTransport:
    """Sends through ``inner`` at the pace of the (account, region, action) buckets."""

    def __init__(
        self,
        inner: Transport,
        buckets: BucketSet,
        *,
        account: str,
        region: str,
        stats: CallStats | None = None,
        max_throttled: int = 10,
    ) -> None:
        self.inner = inner
        self.buckets = buckets
        self.account = account
        self.region = region
        self.stats = stats or CallStats()
        self.max_throttled = max_throttled

    def send(self, request: HttpRequest) -> HttpResponse:
        """Wait for a token, send; on a throttled answer, back off and send again."""
        action = request.operation or "Unknown"
        unfiltered = not any(marker in request.body for marker in _PAGINATED_OR_FILTERED)
        bucket = self.buckets.get(self.account, self.region, action, unfiltered=unfiltered)
        throttles = 0
        while True:
            waited = bucket.acquire()
            response = self.inner.send(request)
            throttled = is_throttled(request, response)
            self.stats.add(action, throttled=throttled, waited=waited)
            if not throttled:
                bucket.succeeded()
                return response
            bucket.throttled()
            throttles += 1
            if throttles >= self.max_throttled:
                return response

    def close(self) -> None:
        """Close the wrapped transport."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

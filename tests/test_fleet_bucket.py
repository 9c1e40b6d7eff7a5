"""The fleet's token buckets (injected clock), EC2's bucket categories, and the pacing
transport's back-off when EC2 throttles anyway."""

from __future__ import annotations

import threading
import time

import pytest

from ec2revoke import ConfigurationError
from ec2revoke._http.transport import HttpRequest, HttpResponse
from ec2revoke._wire.xml_encode import error_xml
from ec2revoke.fleet import BucketSet, Limit, PacedTransport, RateLimits, TokenBucket


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket(capacity: float = 50, refill: float = 5, clock: FakeClock | None = None) -> TokenBucket:
    clock = clock or FakeClock()
    return TokenBucket(capacity, refill, clock=clock, sleep=clock.sleep)


def test_a_full_bucket_gives_its_burst_at_once_then_the_refill_rate() -> None:
    clock = FakeClock()
    b = bucket(50, 5, clock)
    assert [b.acquire() for _ in range(50)] == [0.0] * 50
    assert clock.now == 1000.0
    waits = [b.acquire() for _ in range(10)]
    # One token every 0.2 s, each caller waiting only for its own.
    assert waits == pytest.approx([0.2] * 10)
    assert clock.now == pytest.approx(1002.0)


def test_waiting_callers_get_consecutive_turns_without_racing() -> None:
    clock = FakeClock()
    b = TokenBucket(2, 4, clock=clock, sleep=lambda s: None)  # nobody's clock moves
    turns = [b.acquire() for _ in range(6)]
    # Two free tokens, then a quarter second apart, each measured from now.
    assert turns == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1.0])
    assert b.tokens == pytest.approx(-4)


def test_an_idle_bucket_refills_to_its_capacity_and_no_further() -> None:
    clock = FakeClock()
    b = bucket(50, 5, clock)
    for _ in range(50):
        b.acquire()
    clock.now += 4.0
    assert b.tokens == pytest.approx(20)
    clock.now += 3600
    assert b.tokens == 50
    assert [b.acquire() for _ in range(50)] == [0.0] * 50
    assert b.acquire() == pytest.approx(0.2)


def test_a_throttle_drains_the_bucket_and_pauses_it_doubling_while_they_repeat() -> None:
    clock = FakeClock()
    b = bucket(50, 5, clock)
    b.acquire()
    assert b.tokens == 49
    assert b.throttled() == pytest.approx(0.2)  # one refill interval
    assert b.tokens == pytest.approx(-1)  # drained, and a token's worth behind
    # Answers to calls already under way when it was throttled count once.
    assert b.throttled() == 0.0
    assert b.acquire() == pytest.approx(0.4)
    clock.now += 10
    assert b.throttled() == pytest.approx(0.4)
    clock.now += 10
    assert b.throttled() == pytest.approx(0.8)
    b.succeeded()
    clock.now += 10
    assert b.throttled() == pytest.approx(0.2)
    assert b.throttles == 5


def test_a_throttle_pushes_back_callers_already_waiting() -> None:
    clock = FakeClock()
    b = TokenBucket(1, 1, clock=clock, sleep=clock.sleep)
    b.acquire()
    waited: list[float] = []
    # The throttle lands while the caller sleeps for its turn.
    real_sleep = clock.sleep

    def sleep_then_throttle(seconds: float) -> None:
        real_sleep(seconds)
        if len(clock.slept) == 1:
            b.throttled()

    b._sleep = sleep_then_throttle
    waited.append(b.acquire())
    assert clock.slept == pytest.approx([1.0, 1.0])  # its turn, then the pause
    assert waited == pytest.approx([2.0])


def test_the_bucket_paces_threads_at_its_rate() -> None:
    b = TokenBucket(5, 200)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [b.acquire() for _ in range(25)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    # 200 tokens: 5 at once, 195 at 200 per second.
    assert elapsed >= 195 / 200 - 0.02
    assert elapsed < 3.0
    assert b.acquired == 200


def test_limits_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="capacity"):
        Limit(0, 5)
    with pytest.raises(ConfigurationError, match="refill"):
        Limit(10, 0)
    with pytest.raises(ConfigurationError, match="scale"):
        RateLimits(scale=0)


@pytest.mark.parametrize(
    ("action", "unfiltered", "name", "capacity", "refill"),
    [
        ("RevokeSecurityGroupIngress", False, "RevokeSecurityGroupIngress", 50, 5),
        ("AuthorizeSecurityGroupIngress", False, "AuthorizeSecurityGroupIngress", 50, 5),
        ("RevokeSecurityGroupEgress", False, "RevokeSecurityGroupEgress", 50, 5),
        ("DescribeSecurityGroupRules", True, "DescribeSecurityGroupRules", 100, 20),
        ("DescribeSecurityGroups", False, "DescribeSecurityGroups", 100, 20),
        ("DescribeSecurityGroups", True, "DescribeSecurityGroups:unfiltered", 50, 10),
    ],
)
def test_ec2s_documented_defaults(
    action: str, unfiltered: bool, name: str, capacity: float, refill: float
) -> None:
    assert RateLimits().bucket(action, unfiltered=unfiltered) == (name, Limit(capacity, refill))


def test_scale_overrides_and_shared_categories() -> None:
    limits = RateLimits(scale=10, per_action={"RevokeSecurityGroupEgress": Limit(100, 10)})
    assert limits.bucket("RevokeSecurityGroupIngress") == (
        "RevokeSecurityGroupIngress",
        Limit(50, 50),
    )
    assert limits.bucket("RevokeSecurityGroupEgress")[1] == Limit(100, 100)
    shared = RateLimits(shared_categories=True)
    assert shared.bucket("RevokeSecurityGroupEgress")[0] == "mutating"
    assert shared.bucket("DeleteSecurityGroup")[0] == "mutating"
    assert shared.bucket("DescribeSecurityGroupRules")[0] == "non-mutating"
    # Resource-intensive actions keep a bucket each.
    assert shared.bucket("RevokeSecurityGroupIngress")[0] == "RevokeSecurityGroupIngress"


def test_buckets_are_per_account_region_and_action() -> None:
    buckets = BucketSet()
    a = buckets.get("111111111111", "us-east-1", "RevokeSecurityGroupIngress")
    assert buckets.get("111111111111", "us-east-1", "RevokeSecurityGroupIngress") is a
    assert buckets.get("222222222222", "us-east-1", "RevokeSecurityGroupIngress") is not a
    assert buckets.get("111111111111", "eu-west-1", "RevokeSecurityGroupIngress") is not a
    assert buckets.get("111111111111", "us-east-1", "RevokeSecurityGroupEgress") is not a
    assert len(buckets.items()) == 4


class ScriptedTransport:
    """The Transport interface, answering from a list (the HTTP edge, not the library)."""

    def __init__(self, *answers: HttpResponse) -> None:
        self.answers = list(answers)
        self.sent: list[HttpRequest] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return self.answers.pop(0)


THROTTLED = HttpResponse(503, {}, error_xml("RequestLimitExceeded", "slow down", request_id="r"))
DENIED = HttpResponse(403, {}, error_xml("UnauthorizedOperation", "no", request_id="r"))
OK = HttpResponse(200, {}, b"<ok/>")
REQUEST = HttpRequest(
    "POST", "https://x/", {}, b"Action=RevokeSecurityGroupIngress", "RevokeSecurityGroupIngress"
)


def paced(inner: ScriptedTransport, clock: FakeClock, **kw: int) -> PacedTransport:
    buckets = BucketSet(RateLimits(), clock=clock, sleep=clock.sleep)
    return PacedTransport(inner, buckets, account="123456789012", region="us-east-1", **kw)


def test_a_throttled_request_is_sent_again_after_the_buckets_pause() -> None:
    clock = FakeClock()
    inner = ScriptedTransport(THROTTLED, THROTTLED, OK)
    transport = paced(inner, clock)
    assert transport.send(REQUEST) is OK
    assert len(inner.sent) == 3
    assert transport.stats.sent["RevokeSecurityGroupIngress"] == 3
    assert transport.stats.throttled["RevokeSecurityGroupIngress"] == 2
    assert sum(clock.slept) > 0.2  # drained, paused, then paused longer


def test_after_max_throttled_the_answer_goes_back_to_the_client() -> None:
    clock = FakeClock()
    inner = ScriptedTransport(*[THROTTLED] * 3)
    assert paced(inner, clock, max_throttled=3).send(REQUEST) is THROTTLED
    assert len(inner.sent) == 3


def test_other_errors_are_not_throttles() -> None:
    clock = FakeClock()
    inner = ScriptedTransport(DENIED)
    transport = paced(inner, clock)
    assert transport.send(REQUEST) is DENIED
    assert not transport.stats.throttled


# -- dispatch --------------------------------------------------------------------------


def test_a_stuck_lane_holds_only_its_share_of_the_pool() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ec2revoke.fleet._lanes import Lanes

    release = threading.Event()
    stuck_running: list[int] = []
    seen_by_quick: list[int] = []

    def stuck(n: int) -> None:
        stuck_running.append(n)
        release.wait(10)

    def quick() -> None:
        time.sleep(0.01)
        seen_by_quick.append(len(stuck_running))

    with ThreadPoolExecutor(4) as pool:
        lanes = Lanes(pool, 4, threading.Event())
        for n in range(10):
            lanes.add(("111111111111", "us-east-1"), lambda n=n: stuck(n))
        for _ in range(6):
            lanes.add(("111111111111", "eu-west-1"), quick)
        dispatcher = threading.Thread(target=lanes.run)
        dispatcher.start()
        deadline = time.monotonic() + 5
        while len(seen_by_quick) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            # The other region ran while the stuck one held its half of the workers;
            # once alone, the stuck one may have them all.
            assert seen_by_quick == [2] * 6
        finally:
            release.set()
            dispatcher.join(10)
        assert not dispatcher.is_alive()
    assert sorted(stuck_running) == list(range(10))

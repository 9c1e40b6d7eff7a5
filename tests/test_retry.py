"""RetryPolicy, is_retryable and RetryQuota, checked against botocore's "standard" mode.

botocore's own classes (botocore/retries/standard.py and quota.py) are the oracle:
for the error codes, HTTP statuses and network failures both sides know, ours must
decide the same, wait the same and spend the same quota.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import botocore.retries.quota
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.configprovider import NEW_RETRIES_ENABLED
from botocore.retries.standard import (
    ExponentialBackoff,
    RetryContext,
    RetryQuotaChecker,
    StandardRetryConditions,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2revoke import (
    AuthError,
    AuthFailure,
    ConfigurationError,
    ConnectionFailed,
    DryRunOperation,
    EC2Error,
    InvalidGroupNotFound,
    InvalidPermissionNotFound,
    NotFoundError,
    ParamValidationError,
    RequestLimitExceeded,
    RequestTimeout,
    ResponseError,
    ServerError,
    SignatureDoesNotMatch,
    ThrottlingError,
    UnauthorizedOperation,
)
from ec2revoke._errors import ServiceError, service_error
from ec2revoke._retry import (
    MAX_BACKOFF,
    THROTTLING_CODES,
    TRANSIENT_CODES,
    TRANSIENT_STATUSES,
    RetryPolicy,
    RetryQuota,
    is_retryable,
)

OPERATION = "RevokeSecurityGroupIngress"
# The classic standard mode; botocore's opt-in 2026 retries change the backoff and costs.
classic_botocore = pytest.mark.skipif(
    NEW_RETRIES_ENABLED, reason="botocore's new (2026) retry behaviour is switched on"
)
# Codes EC2 sends that must never be retried: retrying would not change the answer.
NOT_RETRIED_CODES = (
    "InvalidPermission.NotFound",
    "InvalidGroup.NotFound",
    "InvalidSecurityGroupRuleId.NotFound",
    "InvalidPermission.Duplicate",
    "InvalidParameterValue",
    "MissingParameter",
    "AuthFailure",
    "SignatureDoesNotMatch",
    "UnauthorizedOperation",
    "DependencyViolation",
    "RulesPerSecurityGroupLimitExceeded",
    "DryRunOperation",
)


def error(code: str, status: int = 400) -> ServiceError:
    return service_error("message", code=code, status=status, operation=OPERATION)


def fixed(value: float) -> Any:
    return lambda: value


# --- RetryPolicy.delay ----------------------------------------------------------------------


def test_delay_is_full_jitter_of_a_doubling_cap_up_to_20_seconds() -> None:
    top = RetryPolicy(random=fixed(1.0))
    assert [top.delay(a) for a in range(1, 9)] == [1, 2, 4, 8, 16, 20, 20, 20]
    assert MAX_BACKOFF == 20
    assert [RetryPolicy(random=fixed(0.0)).delay(a) for a in (1, 5, 50)] == [0, 0, 0]
    assert [RetryPolicy(random=fixed(0.25)).delay(a) for a in (1, 3, 10)] == [0.25, 1, 5]


@given(attempt=st.integers(1, 2000), r=st.floats(0, 1, exclude_max=True))
def test_delay_stays_within_its_bounds(attempt: int, r: float) -> None:
    cap = min(2.0 ** min(attempt - 1, 64), 20.0)
    delay = RetryPolicy(random=fixed(r)).delay(attempt)
    assert 0 <= delay <= cap
    assert delay == pytest.approx(r * cap)


def test_delay_with_the_real_random_is_jittered_within_bounds() -> None:
    policy = RetryPolicy()
    for attempt in (1, 2, 3, 6):
        delays = [policy.delay(attempt) for _ in range(200)]
        cap = min(2 ** (attempt - 1), 20)
        assert all(0 <= d <= cap for d in delays)
        assert len(set(delays)) > 100, "the delays should be jittered, not fixed"


@classic_botocore
@given(attempt=st.integers(1, 40), r=st.floats(0, 1, exclude_max=True))
def test_delay_equals_botocores_exponential_backoff(attempt: int, r: float) -> None:
    ours = RetryPolicy(random=fixed(r)).delay(attempt)
    theirs = ExponentialBackoff(random=fixed(r)).delay_amount(RetryContext(attempt))
    assert ours == theirs


def test_max_attempts_below_one_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"max_attempts must be at least 1 .*got 0"):
        RetryPolicy(max_attempts=0)


# --- is_retryable ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
@pytest.mark.parametrize("status", [400, 429, 503])
def test_throttling_codes_are_retried(code: str, status: int) -> None:
    assert is_retryable(error(code, status))


def test_request_limit_exceeded_is_a_retried_throttling_error() -> None:
    throttled = error("RequestLimitExceeded", 503)
    assert type(throttled) is RequestLimitExceeded
    assert isinstance(throttled, ThrottlingError)
    assert is_retryable(throttled)
    # Any ThrottlingError is retried, whatever its code.
    assert is_retryable(ThrottlingError("slow down", code="SomeNewThrottle", status=400))


@pytest.mark.parametrize("code", sorted(TRANSIENT_CODES))
def test_transient_codes_are_retried(code: str) -> None:
    assert is_retryable(error(code, 400))


@pytest.mark.parametrize("status", sorted(TRANSIENT_STATUSES))
@pytest.mark.parametrize("code", ["InternalError", "Unavailable", "SomethingNew"])
def test_transient_statuses_are_retried(status: int, code: str) -> None:
    failed = error(code, status)
    assert isinstance(failed, ServerError)
    assert is_retryable(failed)


@pytest.mark.parametrize("status", [501, 505, 507, 599])
def test_other_5xx_are_not_retried(status: int) -> None:
    # botocore retries only 500, 502, 503 and 504; a 501 will not change on its own.
    assert not is_retryable(error("NotImplemented", status))


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionFailed("reset", operation=OPERATION),
        RequestTimeout("timed out", operation=OPERATION),
    ],
    ids=["connection", "timeout"],
)
def test_transport_errors_are_retried(failure: EC2Error) -> None:
    assert is_retryable(failure)


@pytest.mark.parametrize(
    ("status", "retried"),
    [(500, True), (502, True), (503, True), (504, True), (200, False), (400, False), (403, False)],
)
def test_unreadable_responses_are_retried_only_for_transient_statuses(
    status: int, retried: bool
) -> None:
    assert is_retryable(ResponseError("<html>", status=status, operation=OPERATION)) is retried


def test_an_unreadable_response_without_a_status_is_not_retried() -> None:
    assert not is_retryable(ResponseError("garbled", status=None))


@pytest.mark.parametrize("code", NOT_RETRIED_CODES)
def test_answers_that_would_not_change_are_not_retried(code: str) -> None:
    status = 412 if code == "DryRunOperation" else 403 if "Auth" in code else 400
    assert not is_retryable(error(code, status))


@pytest.mark.parametrize(
    ("failed", "family"),
    [
        (error("InvalidPermission.NotFound"), InvalidPermissionNotFound),
        (error("InvalidGroup.NotFound"), InvalidGroupNotFound),
        (error("InvalidVpcID.NotFound"), NotFoundError),
        (error("AuthFailure", 401), AuthFailure),
        (error("SignatureDoesNotMatch", 403), SignatureDoesNotMatch),
        (error("UnauthorizedOperation", 403), UnauthorizedOperation),
        (error("ExpiredToken", 400), AuthError),
        (error("DryRunOperation", 412), DryRunOperation),
    ],
    ids=lambda v: v.code if isinstance(v, EC2Error) else v.__name__,
)
def test_not_found_auth_and_dry_run_families_are_not_retried(
    failed: ServiceError, family: type[ServiceError]
) -> None:
    assert type(failed) is family
    assert not is_retryable(failed)


@pytest.mark.parametrize(
    "failure",
    [ParamValidationError("bad port", operation=OPERATION), ConfigurationError("no region")],
    ids=["validation", "configuration"],
)
def test_local_errors_are_not_retried(failure: EC2Error) -> None:
    assert not is_retryable(failure)


# --- is_retryable agrees with botocore's StandardRetryConditions ----------------------------


@functools.cache
def _operation_model() -> Any:
    return botocore.session.get_session().get_service_model("ec2").operation_model(OPERATION)


def _botocore_retries(
    *, code: str | None = None, status: int | None = None, exception: Exception | None = None
) -> bool:
    response = None if status is None else AWSResponse("https://ec2", status, {}, None)
    parsed = None if code is None else {"Error": {"Code": code, "Message": "message"}}
    context = RetryContext(
        attempt_number=1,
        operation_model=_operation_model(),
        parsed_response=parsed,
        http_response=response,
        caught_exception=exception,
    )
    retried: bool = StandardRetryConditions(max_attempts=10).is_retryable(context)
    return retried


BOTOCORE_CODES = sorted(
    set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
    | set(TransientRetryableChecker._TRANSIENT_ERROR_CODES)
)
STATUSES = [400, 401, 403, 404, 409, 412, 429, 500, 501, 502, 503, 504, 505, 599]


def test_botocores_retried_codes_are_ours() -> None:
    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) == THROTTLING_CODES
    assert set(TransientRetryableChecker._TRANSIENT_ERROR_CODES) == TRANSIENT_CODES
    assert set(TransientRetryableChecker._TRANSIENT_STATUS_CODES) == TRANSIENT_STATUSES


@settings(max_examples=300)
@given(
    code=st.sampled_from(BOTOCORE_CODES)
    | st.sampled_from(NOT_RETRIED_CODES)
    | st.sampled_from(["InternalError", "Unavailable", "ServiceUnavailable"])
    | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    status=st.sampled_from(STATUSES),
)
def test_service_errors_are_retried_when_botocore_retries_them(code: str, status: int) -> None:
    assert is_retryable(error(code, status)) == _botocore_retries(code=code, status=status)


@pytest.mark.parametrize("status", [200, 400, 403, 500, 502, 503, 504])
def test_unreadable_responses_agree_with_botocore(status: int) -> None:
    # botocore names an unparseable error body's code after its status ("502").
    ours = is_retryable(ResponseError("<html>", status=status))
    code = str(status) if status >= 300 else None
    assert ours == _botocore_retries(code=code, status=status)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (ConnectionFailed("x"), botocore.exceptions.EndpointConnectionError(endpoint_url="u")),
        (ConnectionFailed("x"), botocore.exceptions.ConnectionClosedError(endpoint_url="u")),
        (RequestTimeout("x"), botocore.exceptions.ReadTimeoutError(endpoint_url="u")),
        (RequestTimeout("x"), botocore.exceptions.ConnectTimeoutError(endpoint_url="u")),
    ],
    ids=["connect", "closed", "read-timeout", "connect-timeout"],
)
def test_network_failures_agree_with_botocore(ours: EC2Error, theirs: Exception) -> None:
    assert is_retryable(ours) is True
    assert _botocore_retries(exception=theirs) is True


# --- RetryQuota -----------------------------------------------------------------------------


def test_quota_costs_match_botocore() -> None:
    assert RetryQuota.INITIAL == botocore.retries.quota.RetryQuota.INITIAL_CAPACITY == 500
    assert RetryQuota.RETRY_COST == RetryQuotaChecker._RETRY_COST == 5
    assert RetryQuota.TIMEOUT_RETRY_COST == RetryQuotaChecker._TIMEOUT_RETRY_REQUEST == 10
    assert RetryQuota.SUCCESS_REFUND == RetryQuotaChecker._NO_RETRY_INCREMENT == 1


def test_quota_acquire_and_release() -> None:
    quota = RetryQuota(capacity=27)
    assert quota.acquire(error("InternalError", 500)) == 5
    assert quota.acquire(RequestTimeout("t")) == 10
    assert quota.acquire(ConnectionFailed("c")) == 5
    assert quota.acquire(error("RequestLimitExceeded", 503)) == 5
    assert quota.available == 2
    # Not enough left: nothing is taken.
    assert quota.acquire(error("InternalError", 500)) == 0
    assert quota.acquire(RequestTimeout("t")) == 0
    assert quota.available == 2
    quota.release(RetryQuota.SUCCESS_REFUND)
    assert quota.available == 3
    quota.release(10)
    assert quota.available == 13
    quota.release(1000)  # never above the capacity
    assert quota.available == 27


def test_a_service_error_named_request_timeout_costs_the_normal_price() -> None:
    # Only a timeout of our own connection costs 10, as in botocore.
    assert RetryQuota().acquire(error("RequestTimeout", 400)) == 5


_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("acquire"), st.sampled_from(["timeout", "other"])),
        st.tuples(st.just("release"), st.sampled_from([1, 5, 10, 50])),
    ),
    max_size=80,
)


@given(capacity=st.integers(0, 60), ops=_OPS)
def test_quota_behaves_as_botocores(capacity: int, ops: list[tuple[str, Any]]) -> None:
    ours = RetryQuota(capacity=capacity)
    theirs = botocore.retries.quota.RetryQuota(capacity)
    for op, arg in ops:
        if op == "acquire":
            failure = RequestTimeout("t") if arg == "timeout" else ConnectionFailed("c")
            cost = 10 if arg == "timeout" else 5
            assert bool(ours.acquire(failure)) == theirs.acquire(cost)
        else:
            ours.release(arg)
            theirs.release(arg)
        assert ours.available == theirs.available_capacity
        assert 0 <= ours.available <= capacity


@pytest.mark.parametrize("call", ["acquire", "release"])
def test_quota_changes_wait_for_its_lock(call: str) -> None:
    # Under CPython's GIL an unlocked check-then-subtract almost never interleaves, so
    # the stress test below cannot prove the lock is there; holding it can.
    quota = RetryQuota(capacity=100)
    quota.available = 50
    done = threading.Event()

    def change() -> None:
        if call == "acquire":
            quota.acquire(ConnectionFailed("c"))
        else:
            quota.release(5)
        done.set()

    with quota._lock:
        worker = threading.Thread(target=change)
        worker.start()
        assert not done.wait(0.05), f"{call}() changed the quota without taking its lock"
        assert quota.available == 50
    worker.join(timeout=5)
    assert done.is_set()
    assert quota.available == (45 if call == "acquire" else 55)


@pytest.fixture
def fast_thread_switching() -> Iterator[None]:
    # Switch threads as often as possible, so a missing lock shows up as a lost update.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("fast_thread_switching")
def test_quota_is_thread_safe() -> None:
    capacity = 5_000
    quota = RetryQuota(capacity=capacity)
    taken: list[int] = []
    lows: list[int] = []
    start = threading.Barrier(16)

    def worker(n: int) -> None:
        failure: EC2Error = RequestTimeout("t") if n % 2 else ConnectionFailed("c")
        mine = 0
        low = capacity
        start.wait()
        for _ in range(200):
            mine += quota.acquire(failure)
            low = min(low, quota.available)
        taken.append(mine)
        lows.append(low)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(taken) == 16
    assert min(lows) >= 0
    # Every token is either still there or held by exactly one taker; the quota ran dry.
    assert sum(taken) + quota.available == capacity
    assert quota.available < RetryQuota.RETRY_COST

    def refund(amount: int) -> None:
        start.wait()
        for _ in range(amount // 5):
            quota.release(5)

    threads = [threading.Thread(target=refund, args=(t,)) for t in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert quota.available == capacity

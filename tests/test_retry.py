"""RetryPolicy, is_retryable and RetryQuota, checked against botocore's "standard" mode.

botocore's own classes (botocore/retries/standard.py and quota.py, as of 1.44) are the
oracle: for the error codes, HTTP statuses, network failures and x-amz-retry-after
headers both sides know, ours must decide the same, wait the same and spend the same
quota.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import botocore.exceptions
import botocore.parsers
import botocore.retries.quota
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.configprovider import NEW_RETRIES_ENABLED
from botocore.retries.standard import (
    ExponentialBackoff,
    RetryContext,
    RetryEventAdapter,
    RetryQuotaChecker,
    StandardRetryConditions,
    ThrottledRetryableChecker,
    ThrottlingErrorDetector,
    ThrottlingStatusCodeChecker,
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
    TLSVerificationFailed,
    UnauthorizedOperation,
)
from ec2revoke._errors import THROTTLING_CODES, ServiceError, TransportError, service_error
from ec2revoke._http.retry import (
    MAX_BACKOFF,
    OTHER_SCALE,
    RETRY_AFTER_MAX_EXTRA,
    THROTTLING_SCALE,
    THROTTLING_STATUSES,
    TRANSIENT_CODES,
    TRANSIENT_STATUSES,
    RetryPolicy,
    RetryQuota,
    is_retryable,
    is_throttling,
)

OPERATION = "RevokeSecurityGroupIngress"
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


# --- botocore's view of the same failure ----------------------------------------------------


@functools.cache
def _operation_model() -> Any:
    return botocore.session.get_session().get_service_model("ec2").operation_model(OPERATION)


# As register_retry_handler wires them: the adapter only matters for needs-retry kwargs.
_DETECTOR = ThrottlingErrorDetector(RetryEventAdapter())


def _botocore_context(
    *,
    code: str | None = None,
    status: int | None = None,
    exception: Exception | None = None,
    headers: Mapping[str, str] | None = None,
    attempt: int = 1,
) -> RetryContext:
    response = None if status is None else AWSResponse("https://ec2", status, headers or {}, None)
    parsed = None if code is None else {"Error": {"Code": code, "Message": "message"}}
    return RetryContext(
        attempt_number=attempt,
        operation_model=_operation_model(),
        parsed_response=parsed,
        http_response=response,
        caught_exception=exception,
    )


def _context_for(
    failure: EC2Error, *, headers: Mapping[str, str] | None = None, attempt: int = 1
) -> RetryContext:
    """The RetryContext botocore builds for the failure ours raised."""
    if isinstance(failure, TransportError):
        # No response: botocore sees only the exception its HTTP layer raised.
        exception: Exception = (
            botocore.exceptions.ReadTimeoutError(endpoint_url="u")
            if isinstance(failure, RequestTimeout)
            else botocore.exceptions.EndpointConnectionError(endpoint_url="u")
        )
        return _botocore_context(exception=exception, attempt=attempt)
    assert failure.status is not None
    # botocore names an unparseable error body's code after its status ("502").
    code = failure.code if isinstance(failure, ServiceError) else str(failure.status)
    return _botocore_context(code=code, status=failure.status, headers=headers, attempt=attempt)


def _botocore_retries(
    *, code: str | None = None, status: int | None = None, exception: Exception | None = None
) -> bool:
    context = _botocore_context(code=code, status=status, exception=exception)
    retried: bool = StandardRetryConditions(max_attempts=10).is_retryable(context)
    return retried


def _botocore_delay(
    failure: EC2Error, r: float, attempt: int, headers: Mapping[str, str] | None = None
) -> float:
    backoff = ExponentialBackoff(random=fixed(r), service_name="ec2", throttling_detector=_DETECTOR)
    delay: float = backoff.delay_amount(_context_for(failure, headers=headers, attempt=attempt))
    return delay


def _botocore_cost(failure: EC2Error) -> int:
    """What botocore's RetryQuotaChecker takes from a full quota to retry ``failure``."""
    context = _context_for(failure)
    checker = RetryQuotaChecker(botocore.retries.quota.RetryQuota(), _DETECTOR)
    assert checker.acquire_retry_quota(context)
    cost: int = context.request_context["retry_quota_capacity"]
    return cost


def test_the_oracle_is_botocores_new_standard_mode() -> None:
    # botocore 1.44 always uses these semantics; there is no opt-in (nor opt-out) left.
    assert NEW_RETRIES_ENABLED is True
    assert not hasattr(RetryQuotaChecker, "_TIMEOUT_RETRY_REQUEST")
    assert ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES == [429]
    # The status only decides for errors the model does not cover: EC2 models none.
    service = botocore.session.get_session().get_service_model("ec2")
    assert not any(service.operation_model(name).error_shapes for name in service.operation_names)


# A failure of each kind the client meets, with botocore's verdict on whether it throttles.
THROTTLED = error("RequestLimitExceeded", 503)
TOO_MANY = error("SomethingNew", 429)  # an unknown code: the 429 makes it throttling
INTERNAL = error("InternalError", 500)
FAILURES: list[tuple[EC2Error, bool]] = [
    (THROTTLED, True),
    (error("Throttling", 400), True),
    (TOO_MANY, True),
    (error("InvalidParameterValue", 429), True),
    (INTERNAL, False),
    (error("Unavailable", 503), False),
    (error("RequestTimeout", 400), False),
    (ResponseError("<html>", status=502), False),
    (ResponseError("<html>", status=429), True),
    (ConnectionFailed("reset"), False),
    (RequestTimeout("timed out"), False),
]
FAILURE_IDS = [f"{type(f).__name__}-{f.code}-{f.status}" for f, _ in FAILURES]


@pytest.mark.parametrize(("failure", "throttling"), FAILURES, ids=FAILURE_IDS)
def test_throttling_is_what_botocore_calls_throttling(failure: EC2Error, throttling: bool) -> None:
    assert is_throttling(failure) is throttling
    assert _DETECTOR.is_throttling_error_from_context(_context_for(failure)) is throttling


@settings(max_examples=300)
@given(
    code=st.sampled_from(sorted(THROTTLING_CODES | TRANSIENT_CODES))
    | st.sampled_from(["InternalError", "Unavailable", "InvalidParameterValue", "AuthFailure"])
    | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    status=st.sampled_from([400, 403, 412, 429, 500, 502, 503, 504]),
)
def test_throttling_agrees_with_botocores_detector(code: str, status: int) -> None:
    failure = error(code, status)
    assert is_throttling(failure) == _DETECTOR.is_throttling_error_from_context(
        _context_for(failure)
    )


# --- RetryPolicy.delay ----------------------------------------------------------------------


def test_delay_after_throttling_is_full_jitter_of_a_doubling_second_up_to_20() -> None:
    top = RetryPolicy(random=fixed(1.0))
    assert [top.delay(a, THROTTLED) for a in range(1, 9)] == [1, 2, 4, 8, 16, 20, 20, 20]
    assert [top.delay(a, TOO_MANY) for a in range(1, 9)] == [1, 2, 4, 8, 16, 20, 20, 20]
    assert (MAX_BACKOFF, THROTTLING_SCALE) == (20, 1)
    assert [RetryPolicy(random=fixed(0.0)).delay(a, THROTTLED) for a in (1, 5, 50)] == [0, 0, 0]
    quarter = RetryPolicy(random=fixed(0.25))
    assert [quarter.delay(a, THROTTLED) for a in (1, 3, 10)] == [0.25, 1, 5]


def test_delay_after_other_errors_is_full_jitter_of_a_doubling_50_ms() -> None:
    top = RetryPolicy(random=fixed(1.0))
    expected = [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 20, 20]
    assert [top.delay(a, INTERNAL) for a in range(1, 12)] == expected
    assert OTHER_SCALE == 0.05
    for failure, throttling in FAILURES:
        if not throttling:
            assert top.delay(1, failure) == 0.05, failure
            assert RetryPolicy(random=fixed(0.5)).delay(3, failure) == 0.1, failure


@given(
    attempt=st.integers(1, 2000),
    r=st.floats(0, 1, exclude_max=True),
    throttled=st.booleans(),
)
def test_delay_stays_within_its_bounds(attempt: int, r: float, throttled: bool) -> None:
    scale = 1.0 if throttled else 0.05
    cap = min(scale * 2.0 ** min(attempt - 1, 64), 20.0)
    delay = RetryPolicy(random=fixed(r)).delay(attempt, THROTTLED if throttled else INTERNAL)
    assert 0 <= delay <= cap
    assert delay == pytest.approx(r * cap)


@pytest.mark.parametrize(("failure", "scale"), [(THROTTLED, 1.0), (INTERNAL, 0.05)])
def test_delay_with_the_real_random_is_jittered_within_bounds(
    failure: EC2Error, scale: float
) -> None:
    policy = RetryPolicy()
    for attempt in (1, 2, 3, 6, 10):
        delays = [policy.delay(attempt, failure) for _ in range(200)]
        cap = min(scale * 2 ** (attempt - 1), 20)
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap / 2, "the delays should spread over their whole range"
        assert len(set(delays)) > 100, "the delays should be jittered, not fixed"


@pytest.mark.parametrize(
    ("failure", "r", "attempt", "header", "expected"),
    [
        (THROTTLED, 0.25, 1, "1500", 1.5),  # raised to the header
        (INTERNAL, 1.0, 1, "1500", 1.5),  # whatever the error
        (TOO_MANY, 0.25, 1, "60000", 5.25),  # at most 5 s more than the backoff
        (THROTTLED, 1.0, 2, "1500", 2.0),  # never lowered
        (THROTTLED, 0.25, 1, "0", 0.25),
        (INTERNAL, 1.0, 20, "30000", 25.0),  # over max_backoff: the header wins
    ],
)
def test_retry_after_header_raises_the_delay_by_at_most_5_seconds(
    failure: EC2Error, r: float, attempt: int, header: str, expected: float
) -> None:
    policy = RetryPolicy(random=fixed(r))
    t = policy.delay(attempt, failure)
    assert policy.delay(attempt, failure, {"x-amz-retry-after": header}) == expected
    assert expected == max(t, min(int(header) / 1000, t + RETRY_AFTER_MAX_EXTRA))
    # Header names are case-insensitive; other headers do not count, and x-amz-retry-after
    # wins over the standard Retry-After (tests/test_retry_decisions.py covers that one).
    assert policy.delay(attempt, failure, {"X-Amz-Retry-After": header}) == expected
    assert policy.delay(attempt, failure, {"retry-afterward": "30", "x-amz-retry": header}) == t
    assert policy.delay(attempt, failure, {"Retry-After": "30", "x-amz-retry-after": header}) == (
        expected
    )


@pytest.mark.parametrize("header", ["-1500", "-1", "soon", "1.5", "1e3", "", "9" * 400])
def test_an_invalid_or_negative_retry_after_header_is_ignored(header: str) -> None:
    policy = RetryPolicy(random=fixed(0.25))
    for failure in (THROTTLED, INTERNAL):
        assert policy.delay(1, failure, {"x-amz-retry-after": header}) == policy.delay(1, failure)
        assert policy.delay(1, failure, {"x-amz-retry-after": header}) == _botocore_delay(
            failure, 0.25, 1, {"x-amz-retry-after": header}
        )


_RETRY_AFTER = st.one_of(
    st.integers(-(10**6), 10**8).map(str),
    st.sampled_from(["", "soon", "1.5", " 1500 ", "+250", "1_000", "1e3", "9" * 400]),
    st.text(max_size=8),
)


@settings(max_examples=300)
@given(
    attempt=st.integers(1, 40),
    r=st.floats(0, 1, exclude_max=True),
    failure=st.sampled_from([f for f, _ in FAILURES])
    | st.builds(
        error,
        st.sampled_from([*sorted(THROTTLING_CODES | TRANSIENT_CODES), "InternalError", "Nope"]),
        st.sampled_from([400, 429, 500, 502, 503, 504]),
    ),
    header=st.none() | _RETRY_AFTER,
    name=st.sampled_from(["x-amz-retry-after", "X-Amz-Retry-After"]),
)
def test_delay_equals_botocores_exponential_backoff(
    attempt: int, r: float, failure: EC2Error, header: str | None, name: str
) -> None:
    # A network failure has no response, so no headers: the client passes None.
    headers = None if header is None or isinstance(failure, TransportError) else {name: header}
    ours = RetryPolicy(random=fixed(r)).delay(attempt, failure, headers)
    assert ours == _botocore_delay(failure, r, attempt, headers)


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
    "code", ["SomethingNew", "TooManyRequests", "InvalidParameterValue", "AuthFailure"]
)
def test_429_is_retried_as_throttling_whatever_the_code(code: str) -> None:
    # EC2 models no errors, so botocore lets the status decide for every code.
    too_many = error(code, 429)
    assert is_retryable(too_many)
    assert is_throttling(too_many)
    assert RetryQuota().acquire(too_many) == RetryQuota.THROTTLING_RETRY_COST
    assert RetryPolicy(random=fixed(1.0)).delay(1, too_many) == THROTTLING_SCALE
    context = _context_for(too_many)
    assert StandardRetryConditions(max_attempts=3).is_retryable(context)
    assert _DETECTOR.is_throttling_error_from_context(context)
    assert _botocore_cost(too_many) == RetryQuota.THROTTLING_RETRY_COST


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


BOTOCORE_CODES = sorted(
    set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
    | set(TransientRetryableChecker._TRANSIENT_ERROR_CODES)
)
STATUSES = [400, 401, 403, 404, 409, 412, 429, 500, 501, 502, 503, 504, 505, 599]


def test_botocores_retried_codes_are_ours() -> None:
    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) == THROTTLING_CODES
    assert set(TransientRetryableChecker._TRANSIENT_ERROR_CODES) == TRANSIENT_CODES
    assert set(TransientRetryableChecker._TRANSIENT_STATUS_CODES) == TRANSIENT_STATUSES
    assert set(ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES) == THROTTLING_STATUSES


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


@pytest.mark.parametrize("status", [200, 301, 302, 400, 403, 429, 500, 501, 502, 503, 504])
def test_unreadable_responses_agree_with_botocore(status: int) -> None:
    # botocore names an unparseable error body's code after its status ("502").
    ours = is_retryable(ResponseError("<html>", status=status))
    code = str(status) if status >= 300 else None
    assert ours == _botocore_retries(code=code, status=status)


@pytest.mark.parametrize(
    ("status", "body", "botocore_reads_it"),
    [
        (429, b"", False),
        (429, b"Too Many Requests", False),
        (503, b"Service Unavailable", False),
        (503, b"", True),
        (503, b"<html><body>busy</body></html>", True),
    ],
    ids=["429-empty", "429-text", "503-text", "503-empty", "503-html"],
)
def test_an_unreadable_retried_status_is_retried_whatever_the_body(
    status: int, body: bytes, botocore_reads_it: bool
) -> None:
    # The one place we part from botocore, on purpose: botocore reads a body as a generic
    # error page only for a 5xx that is empty or starts with <html>; any other body goes
    # to its XML parser, whose ResponseParserError ("Further retries may succeed")
    # escapes before its retry rules see the status. Those rules retry 429 and
    # 500/502/503/504 whatever the code; so do we, whatever the body.
    assert is_retryable(ResponseError("unreadable", status=status))
    assert _botocore_retries(code=str(status), status=status)
    parser = botocore.parsers.create_parser("ec2")
    response = {"status_code": status, "headers": {}, "body": body}
    if botocore_reads_it:
        parsed = parser.parse(response, _operation_model().output_shape)
        assert parsed["Error"]["Code"] == str(status)
    else:
        with pytest.raises(botocore.parsers.ResponseParserError):
            parser.parse(response, _operation_model().output_shape)


def test_a_certificate_verification_failure_is_not_retried_though_botocore_would() -> None:
    # botocore's SSLError is a ConnectionError, which TransientRetryableChecker retries;
    # a certificate that failed verification fails the same way on every attempt.
    failure = TLSVerificationFailed("bad certificate", operation=OPERATION)
    assert isinstance(failure, ConnectionFailed)
    assert not is_retryable(failure)
    theirs = botocore.exceptions.SSLError(endpoint_url="u", error="certificate verify failed")
    assert _botocore_retries(exception=theirs) is True


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
    assert RetryQuota.THROTTLING_RETRY_COST == RetryQuotaChecker._THROTTLING_RETRY_COST == 5
    assert RetryQuota.RETRY_COST == RetryQuotaChecker._RETRY_COST == 14
    assert RetryQuota.SUCCESS_REFUND == RetryQuotaChecker._NO_RETRY_INCREMENT == 1
    # A timeout no longer has a price of its own.
    assert not hasattr(RetryQuota, "TIMEOUT_RETRY_COST")


@pytest.mark.parametrize(("failure", "throttling"), FAILURES, ids=FAILURE_IDS)
def test_each_failure_costs_what_botocore_takes_for_it(failure: EC2Error, throttling: bool) -> None:
    cost = RetryQuota().acquire(failure)
    assert cost == _botocore_cost(failure)
    assert cost == (5 if throttling else 14)


@settings(max_examples=200)
@given(
    code=st.sampled_from([*sorted(THROTTLING_CODES | TRANSIENT_CODES), "InternalError"])
    | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    status=st.sampled_from([400, 429, 500, 502, 503, 504]),
)
def test_retry_costs_agree_with_botocore(code: str, status: int) -> None:
    assert RetryQuota().acquire(error(code, status)) == _botocore_cost(error(code, status))


def test_quota_acquire_and_release() -> None:
    quota = RetryQuota(capacity=40)
    assert quota.acquire(error("InternalError", 500)) == 14
    assert quota.acquire(RequestTimeout("t")) == 14
    assert quota.acquire(error("RequestLimitExceeded", 503)) == 5
    assert quota.acquire(error("SomethingNew", 429)) == 5
    assert quota.available == 2
    # Not enough left: nothing is taken.
    assert quota.acquire(error("InternalError", 500)) == 0
    assert quota.acquire(ConnectionFailed("c")) == 0
    assert quota.acquire(error("RequestLimitExceeded", 503)) == 0
    assert quota.available == 2
    quota.release(RetryQuota.SUCCESS_REFUND)
    assert quota.available == 3
    assert quota.acquire(error("RequestLimitExceeded", 503)) == 0
    quota.release(14)
    assert quota.available == 17
    assert quota.acquire(ConnectionFailed("c")) == 14
    assert quota.available == 3
    quota.release(1000)  # never above the capacity
    assert quota.available == 40


@pytest.mark.parametrize(
    "failure",
    [RequestTimeout("t"), ConnectionFailed("c"), error("RequestTimeout", 400)],
    ids=["timeout", "connection", "RequestTimeout-code"],
)
def test_a_timeout_costs_the_same_as_any_other_non_throttling_failure(failure: EC2Error) -> None:
    # botocore 1.44 dropped the timeout's own price (10): every non-throttling retry costs 14.
    assert RetryQuota().acquire(failure) == RetryQuota.RETRY_COST == 14
    assert _botocore_cost(failure) == 14


_QUOTA_FAILURES: list[EC2Error] = [
    RequestTimeout("t"),
    ConnectionFailed("c"),
    error("InternalError", 500),
    error("RequestLimitExceeded", 503),
    error("SomethingNew", 429),
]
_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("acquire"), st.sampled_from(_QUOTA_FAILURES)),
        st.tuples(st.just("release"), st.sampled_from([1, 5, 14, 50])),
    ),
    max_size=80,
)


@given(capacity=st.integers(0, 60), ops=_OPS)
def test_quota_behaves_as_botocores(capacity: int, ops: list[tuple[str, Any]]) -> None:
    ours = RetryQuota(capacity=capacity)
    theirs = botocore.retries.quota.RetryQuota(capacity)
    checker = RetryQuotaChecker(theirs, _DETECTOR)
    for op, arg in ops:
        if op == "acquire":
            assert bool(ours.acquire(arg)) == checker.acquire_retry_quota(_context_for(arg))
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
    assert quota.available == (50 - RetryQuota.RETRY_COST if call == "acquire" else 55)


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
    # Less than the threads ask for in all (8 x 200 x 5 + 8 x 200 x 14).
    capacity = 10_000
    quota = RetryQuota(capacity=capacity)
    taken: list[list[int]] = []
    lows: list[int] = []
    kinds: list[tuple[int, list[int]]] = []
    start = threading.Barrier(16)

    def worker(n: int) -> None:
        # Half the threads retry throttling (5 a time), half anything else (14 a time).
        failure: EC2Error = error("RequestLimitExceeded", 503) if n % 2 else RequestTimeout("t")
        mine: list[int] = []
        low = capacity
        start.wait()
        for _ in range(200):
            cost = quota.acquire(failure)
            if cost:
                mine.append(cost)
            low = min(low, quota.available)
        taken.append(mine)
        lows.append(low)
        kinds.append((5 if n % 2 else 14, mine))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(taken) == 16
    assert min(lows) >= 0
    # Which kind drains the quota first is up to the scheduler; each pays its own price.
    assert all(cost == price for price, mine in kinds for cost in mine)
    # Every token is either still there or held by exactly one taker. The threads asked
    # for more than the capacity, so at the end it is too low for a 14-token retry.
    assert sum(map(sum, taken)) + quota.available == capacity
    assert quota.available < RetryQuota.RETRY_COST

    def refund(costs: list[int]) -> None:
        start.wait()
        for cost in costs:
            quota.release(cost)

    threads = [threading.Thread(target=refund, args=(mine,)) for mine in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert quota.available == capacity

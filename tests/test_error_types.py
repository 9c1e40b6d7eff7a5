"""Typed errors: EC2 error codes -> the documented exception families.

The families are the tree in ``ec2revoke._errors``'s docstring; the wording of
``str()`` is the AWS CLI's (botocore's ClientError), checked against botocore itself
for the same error bodies.
"""

from __future__ import annotations

import functools
import inspect
import pickle
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from hypothesis import given
from hypothesis import strategies as st

import ec2revoke
from ec2revoke import (
    AuthError,
    AuthFailure,
    ConfigurationError,
    ConflictError,
    ConnectionFailed,
    DryRunOperation,
    DuplicateError,
    EC2Error,
    InvalidGroupNotFound,
    InvalidParameterValue,
    InvalidPermissionDuplicate,
    InvalidPermissionNotFound,
    InvalidRequestError,
    InvalidSecurityGroupRuleIdNotFound,
    LimitExceededError,
    NotFoundError,
    ParamValidationError,
    RequestLimitExceeded,
    RequestTimeout,
    ResponseError,
    ServerError,
    ServiceError,
    SignatureDoesNotMatch,
    ThrottlingError,
    TransportError,
    UnauthorizedOperation,
    codec,
)
from ec2revoke._errors import error_class, service_error
from ec2revoke._http.retry import is_throttling
from ec2revoke._wire.xml_encode import error_xml

OP = "RevokeSecurityGroupIngress"
REQUEST_ID = "59dbff89-35bd-4eac-99ed-be587EXAMPLE"

# Codes with a class of their own, and the family each belongs to.
EXACT: list[tuple[str, type[ServiceError], type[ServiceError]]] = [
    ("InvalidPermission.NotFound", InvalidPermissionNotFound, NotFoundError),
    ("InvalidGroup.NotFound", InvalidGroupNotFound, NotFoundError),
    ("InvalidSecurityGroupRuleId.NotFound", InvalidSecurityGroupRuleIdNotFound, NotFoundError),
    ("InvalidPermission.Duplicate", InvalidPermissionDuplicate, DuplicateError),
    ("InvalidParameterValue", InvalidParameterValue, InvalidRequestError),
    ("AuthFailure", AuthFailure, AuthError),
    ("SignatureDoesNotMatch", SignatureDoesNotMatch, AuthError),
    ("UnauthorizedOperation", UnauthorizedOperation, AuthError),
    ("RequestLimitExceeded", RequestLimitExceeded, ThrottlingError),
    ("DryRunOperation", DryRunOperation, ServiceError),
]

# Codes without a class of their own: typed by the family the code names.
BY_FAMILY: list[tuple[str, type[ServiceError]]] = [
    # authentication and authorisation
    ("ExpiredToken", AuthError),
    ("RequestExpired", AuthError),
    ("InvalidClientTokenId", AuthError),
    ("IncompleteSignature", AuthError),
    ("MissingAuthenticationToken", AuthError),
    ("OptInRequired", AuthError),
    ("Blocked", AuthError),
    ("PendingVerification", AuthError),
    ("UnrecognizedClientException", AuthError),
    # *.NotFound
    ("InvalidVpcID.NotFound", NotFoundError),
    ("InvalidPrefixListId.NotFound", NotFoundError),
    ("InvalidGroupId.NotFound", NotFoundError),
    ("InvalidSomethingNew.NotFound", NotFoundError),
    # *.Duplicate
    ("InvalidGroup.Duplicate", DuplicateError),
    ("InvalidSomethingNew.Duplicate", DuplicateError),
    # bad requests
    ("InvalidGroupId.Malformed", InvalidRequestError),
    ("InvalidSecurityGroupRuleId.Malformed", InvalidRequestError),
    ("InvalidSomethingNew.Malformed", InvalidRequestError),
    ("InvalidParameter", InvalidRequestError),
    ("InvalidParameterCombination", InvalidRequestError),
    ("InvalidParameterValueSomethingNew", InvalidRequestError),
    ("MissingParameter", InvalidRequestError),
    ("UnknownParameter", InvalidRequestError),
    ("InvalidAction", InvalidRequestError),
    ("MalformedQueryString", InvalidRequestError),
    ("UnsupportedOperation", InvalidRequestError),
    # quotas
    ("RulesPerSecurityGroupLimitExceeded", LimitExceededError),
    ("SecurityGroupLimitExceeded", LimitExceededError),
    ("SomethingNewLimitExceeded", LimitExceededError),
    # conflicts
    ("DependencyViolation", ConflictError),
    ("InvalidGroup.InUse", ConflictError),
    ("IncorrectState", ConflictError),
    # EC2's side
    ("InternalError", ServerError),
    ("InternalFailure", ServerError),
    ("Unavailable", ServerError),
    ("ServiceUnavailable", ServerError),
]


def _botocore_throttling_codes() -> list[str]:
    from botocore.retries.standard import ThrottledRetryableChecker

    return sorted(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)


# --- the tree in the docstring is the real tree --------------------------------------


def _documented_tree() -> list[tuple[str, str | None]]:
    """(class, parent) pairs from the tree drawn in _errors' docstring."""
    doc = inspect.getmodule(EC2Error).__doc__
    assert doc
    pairs: list[tuple[str, str | None]] = []
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^(\s*[│├└─ ]*?)([A-Z]\w+)\s{2,}\S", line)
        if not match:
            continue
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        pairs.append((name, stack[-1][1] if stack else None))
        stack.append((depth, name))
    return pairs


def test_docstring_tree_matches_the_classes() -> None:
    tree = _documented_tree()
    assert len(tree) == 20
    assert tree[0] == ("EC2Error", None)
    for name, parent in tree[1:]:
        cls = getattr(ec2revoke, name)
        assert parent is not None
        assert getattr(ec2revoke, parent) in cls.__bases__, f"{name} is not under {parent}"


def test_every_error_class_is_in_the_documented_tree() -> None:
    documented = {name for name, _ in _documented_tree()}
    exact = {cls.__name__ for _, cls, _ in EXACT}
    exported = {
        name
        for name in ec2revoke.__all__
        if isinstance(getattr(ec2revoke, name), type)
        and issubclass(getattr(ec2revoke, name), EC2Error)
    }
    # Classes for single codes (but DryRunOperation) live in their family, not in the tree.
    assert exported == documented | exact


def test_value_errors() -> None:
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(ParamValidationError, ValueError)
    assert issubclass(RequestTimeout, TransportError)
    assert issubclass(ConnectionFailed, TransportError)
    assert not issubclass(ResponseError, ServiceError)


# --- error_class / service_error ------------------------------------------------------


@pytest.mark.parametrize(("code", "cls", "family"), EXACT)
@pytest.mark.parametrize("status", [400, 401, 403, 412, 500, 503, None])
def test_exact_classes(
    code: str, cls: type[ServiceError], family: type[ServiceError], status: int | None
) -> None:
    # The code decides; the status does not move a known code to another class.
    assert error_class(code, status) is cls
    assert cls.__bases__ == (family,)
    error = service_error("m", code=code, status=status)
    assert type(error) is cls


@pytest.mark.parametrize(("code", "family"), BY_FAMILY)
def test_unknown_codes_are_typed_by_family(code: str, family: type[ServiceError]) -> None:
    assert error_class(code, 400) is family
    assert type(service_error("m", code=code, status=400)) is family


@pytest.mark.parametrize("code", _botocore_throttling_codes())
def test_every_botocore_throttling_code_is_a_throttling_error(code: str) -> None:
    # What botocore's standard retry mode treats as throttling, callers can catch as such.
    assert issubclass(error_class(code, 400), ThrottlingError)
    assert issubclass(error_class(code, 503), ThrottlingError)


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 599])
def test_unknown_code_with_5xx_is_a_server_error(status: int) -> None:
    assert error_class("SomethingOdd", status) is ServerError


@pytest.mark.parametrize("status", [401, 403])
def test_unknown_code_with_401_or_403_is_an_auth_error(status: int) -> None:
    assert error_class("SomethingOdd", status) is AuthError


def test_an_unknown_code_with_429_is_throttling_as_the_retry_policy_treats_it() -> None:
    assert error_class("SomethingOdd", 429) is ThrottlingError
    assert is_throttling(service_error("m", code="SomethingOdd", status=429))


@pytest.mark.parametrize("status", [400, 404, 409, 412, None])
def test_unknown_code_otherwise_is_a_plain_service_error(status: int | None) -> None:
    assert error_class("SomethingOdd", status) is ServiceError
    assert type(service_error("m", code="SomethingOdd", status=status)) is ServiceError


def test_a_code_family_comes_before_the_status() -> None:
    assert error_class("InvalidVpcID.NotFound", 500) is NotFoundError
    assert error_class("InvalidGroupId.Malformed", 403) is InvalidRequestError


def test_codes_are_matched_exactly() -> None:
    # Case matters, as it does for EC2; lookalikes fall back to their family or status.
    assert error_class("invalidpermission.notfound", 400) is ServiceError
    assert error_class("InvalidPermission.NotFound ", 400) is ServiceError
    assert error_class("AuthFailure.Extra", 400) is ServiceError
    assert error_class("", 400) is ServiceError


@given(code=st.text(max_size=40), status=st.none() | st.integers(100, 599))
def test_any_code_gets_a_service_error(code: str, status: int | None) -> None:
    error = service_error("m", code=code, status=status)
    assert isinstance(error, ServiceError)
    assert (error.code, error.status) == (code, status)


# --- what every error carries --------------------------------------------------------


ALL_CODES = [code for code, _, _ in EXACT] + [code for code, _ in BY_FAMILY]


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_service_error_carries_its_context(code: str) -> None:
    error = service_error(
        "The specified rule does not exist in this security group.",
        code=code,
        request_id=REQUEST_ID,
        status=400,
        operation=OP,
    )
    assert isinstance(error, EC2Error)
    assert isinstance(error, ServiceError)
    assert error.code == code
    assert error.message == "The specified rule does not exist in this security group."
    assert error.request_id == REQUEST_ID
    assert error.status == 400
    assert error.operation == OP
    assert error.attempts == 1
    assert error.details is None
    assert str(error) == (
        f"An error occurred ({code}) when calling the {OP} operation: "
        "The specified rule does not exist in this security group."
    )
    assert repr(error) == (
        f"{type(error).__name__}(code={code!r}, "
        "message='The specified rule does not exist in this security group.')"
    )


def test_str_without_an_operation() -> None:
    error = service_error("Rate exceeded.", code="RequestLimitExceeded")
    assert str(error) == "An error occurred (RequestLimitExceeded): Rate exceeded."
    assert (error.request_id, error.status, error.operation) == (None, None, None)


@pytest.mark.parametrize(
    "error",
    [
        ConfigurationError("no region"),
        ParamValidationError("bad port", operation=OP),
        ResponseError("not XML", status=502, operation=OP),
        TransportError("broken", operation=OP),
        ConnectionFailed("refused", operation=OP),
        RequestTimeout("slow", operation=OP),
    ],
    ids=lambda e: type(e).__name__,
)
def test_local_errors_carry_the_same_attributes(error: EC2Error) -> None:
    assert isinstance(error, EC2Error)
    assert isinstance(error.code, str)
    assert error.code
    assert str(error) == error.message  # no "An error occurred": EC2 did not answer
    assert error.request_id is None
    assert error.attempts == 1
    for name in ("status", "operation"):
        assert hasattr(error, name)


# --- UnauthorizedOperation.encoded_message ----------------------------------------

ENCODED = "AbCdEf0123-_+/=GhIjKlMnOpQrStUvWxYz9876"


@pytest.mark.parametrize(
    ("message", "encoded"),
    [
        (
            "You are not authorized to perform this operation. Encoded authorization "
            f"failure message: {ENCODED}",
            ENCODED,
        ),
        (
            "You are not authorized to perform this operation. User: arn:aws:iam::"
            "123456789012:user/ops is not authorized to perform: ec2:RevokeSecurityGroupIngress "
            f"on resource: arn:aws:ec2:us-east-1:123456789012:security-group/sg-1 because no "
            f"identity-based policy allows the action. Encoded authorization failure message: "
            f"{ENCODED}\n",
            ENCODED,
        ),
        ("You are not authorized to perform this operation.", None),
        ("You are not authorized. Encoded authorization failure message:", None),
        ("You are not authorized. Encoded authorization failure message:   ", None),
    ],
)
def test_encoded_message(message: str, encoded: str | None) -> None:
    error = service_error(message, code="UnauthorizedOperation", status=403, operation=OP)
    assert isinstance(error, UnauthorizedOperation)
    assert error.encoded_message == encoded


def test_encoded_message_from_a_response_body() -> None:
    body = error_xml(
        "UnauthorizedOperation",
        f"You are not authorized to perform this operation. "
        f"Encoded authorization failure message: {ENCODED}",
        request_id=REQUEST_ID,
    )
    with pytest.raises(UnauthorizedOperation) as caught:
        codec.parse_response(OP, 403, body)
    assert caught.value.encoded_message == ENCODED
    assert "aws sts decode-authorization-message" in (UnauthorizedOperation.__doc__ or "")


# --- parse_response raises the specific class, worded as botocore words it -----------


@functools.cache
def _ec2_model() -> Any:
    # Straight from botocore's data: a session would read the machine's AWS settings.
    return ServiceModel(Loader().load_service_model("ec2", "service-2"), "ec2")


def _botocore_error(operation: str, status: int, body: bytes) -> ClientError:
    """The ClientError botocore raises for this response."""
    model = _ec2_model()
    parsed: dict[str, Any] = create_parser("ec2").parse(
        {"body": body, "headers": {}, "status_code": status},
        model.operation_model(operation).output_shape,
    )
    return ClientError(parsed, operation)


REAL_ERRORS = [
    (
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
        400,
        InvalidPermissionNotFound,
    ),
    (
        "InvalidGroup.NotFound",
        "The security group 'sg-0123456789abcdef0' does not exist",
        400,
        InvalidGroupNotFound,
    ),
    (
        "InvalidSecurityGroupRuleId.NotFound",
        "The security group rule ID 'sgr-0123' does not exist",
        400,
        InvalidSecurityGroupRuleIdNotFound,
    ),
    (
        "InvalidPermission.Duplicate",
        'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" '
        "already exists",
        400,
        InvalidPermissionDuplicate,
    ),
    (
        "InvalidParameterValue",
        "Invalid value 'tcpp' for IP protocol. Unknown protocol.",
        400,
        InvalidParameterValue,
    ),
    (
        "AuthFailure",
        "AWS was not able to validate the provided access credentials",
        401,
        AuthFailure,
    ),
    (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
        403,
        SignatureDoesNotMatch,
    ),
    (
        "UnauthorizedOperation",
        "You are not authorized to perform this operation.",
        403,
        UnauthorizedOperation,
    ),
    ("RequestLimitExceeded", "Request limit exceeded.", 503, RequestLimitExceeded),
    (
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
        412,
        DryRunOperation,
    ),
    ("InternalError", "An internal error has occurred", 500, ServerError),
    ("Unavailable", "The server is overloaded and can't handle the request.", 503, ServerError),
    (
        "InvalidGroupId.Malformed",
        'Invalid id: "sg-x" (expecting "sg-...")',
        400,
        InvalidRequestError,
    ),
    (
        "MissingParameter",
        "The request must contain the parameter groupId",
        400,
        InvalidRequestError,
    ),
    ("DependencyViolation", "resource sg-1 has a dependent object", 400, ConflictError),
    (
        "RulesPerSecurityGroupLimitExceeded",
        "The maximum number of rules per security group has been reached.",
        400,
        LimitExceededError,
    ),
    ("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist", 400, NotFoundError),
    ("SomethingNew", "A code no one has seen", 400, ServiceError),
    ("SomethingNew", "A code no one has seen", 502, ServerError),
    ("SomethingNew", "A code no one has seen", 403, AuthError),
]


@pytest.mark.parametrize(
    ("code", "message", "status", "cls"),
    REAL_ERRORS,
    ids=[f"{c}-{s}" for c, _, s, _ in REAL_ERRORS],
)
@pytest.mark.parametrize(
    "operation",
    ["RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "DescribeSecurityGroups"],
)
def test_parse_response_raises_the_specific_class(
    code: str, message: str, status: int, cls: type[ServiceError], operation: str
) -> None:
    body = error_xml(code, message, request_id=REQUEST_ID)
    with pytest.raises(ServiceError) as caught:
        codec.parse_response(operation, status, body)
    error = caught.value
    assert type(error) is cls
    assert (error.code, error.message, error.request_id, error.status, error.operation) == (
        code,
        message,
        REQUEST_ID,
        status,
        operation,
    )
    # botocore reads the same body to the same code, message and request id, and words it alike.
    theirs = _botocore_error(operation, status, body)
    assert theirs.response["Error"]["Code"] == error.code
    assert theirs.response["Error"]["Message"] == error.message
    assert theirs.response["ResponseMetadata"]["RequestId"] == error.request_id
    assert str(error) == str(theirs)


def test_non_xml_error_body_is_a_response_error() -> None:
    body = b"<html><body><h1>502 Bad Gateway</h1></body></html>" + b" " * 500
    with pytest.raises(ResponseError) as caught:
        codec.parse_response(OP, 502, body)
    error = caught.value
    assert not isinstance(error, ServiceError)
    assert error.status == 502
    assert error.operation == OP
    assert "HTTP 502" in str(error)
    assert "502 Bad Gateway" in str(error)  # a short excerpt of the body
    assert len(str(error)) < 600


def test_plain_text_error_body_is_a_response_error() -> None:
    with pytest.raises(ResponseError) as caught:
        codec.parse_response(OP, 503, b"Service Unavailable")
    assert caught.value.status == 503
    assert "Service Unavailable" in str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        service_error(
            "no such rule",
            code="InvalidPermission.NotFound",
            request_id="r-1",
            status=400,
            operation="RevokeSecurityGroupIngress",
        ),
        service_error("slow down", code="SomethingNew", status=503),
        ParamValidationError("bad port", operation="RevokeSecurityGroupIngress"),
        ConfigurationError("no region"),
    ],
    ids=["not-found", "unknown-5xx", "validation", "configuration"],
)
def test_errors_survive_pickling(error: EC2Error) -> None:
    error.attempts = 3
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (
        copy.code,
        copy.message,
        copy.request_id,
        copy.status,
        copy.operation,
        copy.attempts,
    ) == (
        error.code,
        error.message,
        error.request_id,
        error.status,
        error.operation,
        3,
    )
    assert str(copy) == str(error)

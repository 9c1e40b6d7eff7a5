"""Errors raised by ec2revoke.

    EC2Error                        anything ec2revoke raises on purpose
    ├── ConfigurationError          bad client set-up: region, endpoint, credentials (ValueError)
    ├── ParamValidationError        bad input, found before anything was sent (ValueError)
    ├── ResponseError               a response that is not a readable EC2 answer
    ├── RevokeIncomplete            EC2 answered, but did not revoke every rule (UnknownIpPermissions)
    ├── RevokeNotVerified           a revoked rule was still listed after the wait for consistency
    ├── TransportError              the request did not complete
    │   ├── ConnectionFailed        could not connect, or the connection broke
    │   │   └── TLSVerificationFailed   the endpoint's certificate was refused (not retried)
    │   └── RequestTimeout          a connect, a read, an attempt or a call ran out of time
    └── ServiceError                EC2 answered with an error document
        ├── AuthError               AuthFailure, SignatureDoesNotMatch, UnauthorizedOperation...
        ├── NotFoundError           *.NotFound: InvalidPermission.NotFound, InvalidGroup.NotFound...
        ├── DuplicateError          *.Duplicate: InvalidPermission.Duplicate...
        ├── InvalidRequestError     InvalidParameterValue, MissingParameter, *.Malformed...
        ├── LimitExceededError      a quota is used up (RulesPerSecurityGroupLimitExceeded...)
        ├── ConflictError           DependencyViolation, InvalidGroup.InUse
        ├── ThrottlingError         RequestLimitExceeded and friends (retried)
        ├── ServerError             InternalError, Unavailable, any 5xx (retried)
        └── DryRunOperation         a dry run that would have succeeded (HTTP 412)

The common codes also have a class of their own in their family (InvalidPermissionNotFound,
UnauthorizedOperation, RequestLimitExceeded, ...); ``service_error`` picks the most
specific class for a code, so an unknown code is still typed by its family.

Every error carries ``code``, ``message``, ``request_id``, ``status`` and ``operation``
(``None`` where they do not apply), and its text says what was wrong and what to do.
"""

from __future__ import annotations

from typing import Any


class EC2Error(Exception):
    """Base class of every error ec2revoke raises."""

    code: str
    message: str
    request_id: str | None
    status: int | None
    operation: str | None
    attempts: int
    """How many attempts the client made before giving up (1 when not retried)."""
    report: Any = None
    """From a safe revoke: its RevokeReport as far as it got (what went before the error)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request_id: str | None = None,
        status: int | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status
        self.operation = operation
        self.attempts = 1

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__ arguments defeat Exception's default pickling; errors
        # must survive a trip between processes (a fleet run's workers, say).
        return (_rebuild, (type(self), self.args, self.__dict__.copy()))


def _rebuild(cls: type[EC2Error], args: tuple[Any, ...], state: dict[str, Any]) -> EC2Error:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigurationError(EC2Error, ValueError):
    """The client cannot be set up as asked: no region, a bad endpoint, no credentials..."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="Configuration")


class ParamValidationError(EC2Error, ValueError):
    """A request that cannot be right, found before anything was sent."""

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message, code="ParamValidation", operation=operation)


RESPONSE_TOO_LARGE = "ResponseTooLarge"
"""ResponseError's code for an answer over the client's ``max_response_bytes`` (not retried)."""


class ResponseError(EC2Error):
    """A response body that is not a readable EC2 answer (HTML, truncated, hostile...).

    ``code`` is ``ResponseTooLarge`` for an answer longer than ``max_response_bytes``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str | None = None,
        code: str = "MalformedResponse",
    ) -> None:
        super().__init__(message, code=code, status=status, operation=operation)


class ServiceError(EC2Error):
    """EC2 answered with an error: ``code`` is EC2's error code, e.g. InvalidPermission.NotFound.

    ``details`` holds the parsed modeled error shape when the model defines one.
    """

    details: Any

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request_id: str | None = None,
        status: int | None = None,
        operation: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(
            message, code=code, request_id=request_id, status=status, operation=operation
        )
        self.details = details

    def __str__(self) -> str:
        # The AWS CLI's wording, so operators recognise it.
        where = f" when calling the {self.operation} operation" if self.operation else ""
        return f"An error occurred ({self.code}){where}: {self.message}"


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable start of a body for error messages."""
    text = body[:limit].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text + ("..." if len(body) > limit else "")


class RevokeIncomplete(EC2Error):
    """EC2 did not revoke every rule asked for: ``report.unknown`` lists those it did not.

    A revoke with UnknownIpPermissions is never a success; pass ``allow_unknown=True``
    to get the report back instead of this error.
    """

    def __init__(self, message: str, *, report: Any, operation: str | None = None) -> None:
        super().__init__(message, code="RevokeIncomplete", operation=operation)
        self.report = report


class RevokeNotVerified(EC2Error):
    """After revoking, the group still listed rules that should be gone (``still_present``).

    ``report`` is the revoke's report (what EC2's answer said went, and how long verify
    waited); the rules may still go, as EC2 can take minutes to show a change.
    """

    still_present: Any

    def __init__(
        self,
        message: str,
        *,
        still_present: Any,
        report: Any = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, code="RevokeNotVerified", operation=operation)
        self.still_present = still_present
        self.report = report


class TransportError(EC2Error):
    """The request did not complete; whether EC2 acted on it is unknown."""

    def __init__(
        self, message: str, *, operation: str | None = None, code: str = "Transport"
    ) -> None:
        super().__init__(message, code=code, operation=operation)


class ConnectionFailed(TransportError):
    """Could not connect to the endpoint, or the connection broke mid-request."""

    def __init__(
        self, message: str, *, operation: str | None = None, code: str = "ConnectionFailed"
    ) -> None:
        super().__init__(message, operation=operation, code=code)


class TLSVerificationFailed(ConnectionFailed):
    """The endpoint's TLS certificate failed verification, so nothing was sent.

    Not retried: the same certificate fails the same check every time. Pass the CA
    bundle that signed it as ``verify=`` (or fix ``endpoint_url``'s host name).
    """

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message, operation=operation, code="TLSVerificationFailed")


class RequestTimeout(TransportError):
    """Connecting, a read, or the whole attempt or call took longer than its timeout.

    The message names which: the read ``timeout``, ``attempt_timeout`` or ``call_timeout``.
    """

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message, operation=operation, code="RequestTimeout")


class AuthError(ServiceError):
    """The credentials were refused, or lack permission for the call."""


class NotFoundError(ServiceError):
    """The group, rule or other resource named in the request does not exist."""


class DuplicateError(ServiceError):
    """The rule or group already exists."""


class InvalidRequestError(ServiceError):
    """EC2 refused a parameter: fix the request before sending it again."""


class LimitExceededError(ServiceError):
    """An account or group quota is used up; raise the quota or remove something first."""


class ConflictError(ServiceError):
    """The resource is in use or in a state that does not allow the call."""


class ThrottlingError(ServiceError):
    """EC2 is throttling the account; the client retries these with backoff."""


class ServerError(ServiceError):
    """EC2 failed on its side (5xx); the client retries these."""


class DryRunOperation(ServiceError):
    """A dry run that would have succeeded: EC2's HTTP 412 answer to DryRun=true."""


class InvalidPermissionNotFound(NotFoundError):
    """The rule to revoke does not exist in the group (InvalidPermission.NotFound).

    EC2 then revokes nothing of the request (a group outside the default VPC). From the
    safe revoke, ``report`` says which of the rules asked for are absent (``not_found``).
    """


class InvalidGroupNotFound(NotFoundError):
    """The security group does not exist (InvalidGroup.NotFound)."""


class InvalidSecurityGroupRuleIdNotFound(NotFoundError):
    """A security group rule ID does not exist (InvalidSecurityGroupRuleId.NotFound)."""


class InvalidPermissionDuplicate(DuplicateError):
    """The rule is already in the group (InvalidPermission.Duplicate)."""


class InvalidParameterValue(InvalidRequestError):
    """A parameter value is not valid (InvalidParameterValue)."""


class AuthFailure(AuthError):
    """The credentials could not be validated (AuthFailure)."""


class SignatureDoesNotMatch(AuthError):
    """The request signature is wrong: check the secret key and the clock."""


class UnauthorizedOperation(AuthError):
    """The caller lacks IAM permission for the call.

    ``encoded_message`` is the encoded authorization failure message, readable with
    ``aws sts decode-authorization-message --encoded-message ...``.
    """

    @property
    def encoded_message(self) -> str | None:
        """The encoded authorization failure message, when EC2 sent one."""
        marker = "Encoded authorization failure message:"
        _, found, tail = self.message.partition(marker)
        return (tail.strip() or None) if found else None


class RequestLimitExceeded(ThrottlingError):
    """The account's request rate for the action is exceeded (RequestLimitExceeded)."""


_BY_CODE: dict[str, type[ServiceError]] = {
    "InvalidPermission.NotFound": InvalidPermissionNotFound,
    "InvalidGroup.NotFound": InvalidGroupNotFound,
    "InvalidSecurityGroupRuleId.NotFound": InvalidSecurityGroupRuleIdNotFound,
    "InvalidPermission.Duplicate": InvalidPermissionDuplicate,
    "InvalidParameterValue": InvalidParameterValue,
    "AuthFailure": AuthFailure,
    "SignatureDoesNotMatch": SignatureDoesNotMatch,
    "UnauthorizedOperation": UnauthorizedOperation,
    "RequestLimitExceeded": RequestLimitExceeded,
    "DryRunOperation": DryRunOperation,
}
_AUTH_CODES = frozenset(
    {
        "Blocked",
        "ExpiredToken",
        "IncompleteSignature",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "OptInRequired",
        "PendingVerification",
        "RequestExpired",
        "UnrecognizedClientException",
    }
)
# botocore's standard-mode throttling codes (ThrottledRetryableChecker), so that
# ``except ThrottlingError`` catches everything the client retries as throttling.
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
_INVALID_CODES = frozenset(
    {
        "InvalidAction",
        "InvalidParameter",
        "InvalidParameterCombination",
        "InvalidQueryParameter",
        "InvalidRequest",
        "MalformedQueryString",
        "MissingAction",
        "MissingParameter",
        "UnknownParameter",
        "UnsupportedOperation",
        "ValidationError",
    }
)
_SERVER_CODES = frozenset({"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"})
_CONFLICT_CODES = frozenset({"DependencyViolation", "InvalidGroup.InUse", "IncorrectState"})


def error_class(code: str, status: int | None) -> type[ServiceError]:
    """The most specific ServiceError class for an EC2 error code."""
    exact = _BY_CODE.get(code)
    if exact is not None:
        return exact
    if code in _AUTH_CODES:
        return AuthError
    if code in THROTTLING_CODES:
        return ThrottlingError
    if code in _SERVER_CODES:
        return ServerError
    if code in _CONFLICT_CODES:
        return ConflictError
    if code.endswith("NotFound"):
        return NotFoundError
    if code.endswith("Duplicate"):
        return DuplicateError
    if code in _INVALID_CODES or code.endswith(".Malformed") or code.startswith("InvalidParameter"):
        return InvalidRequestError
    if code.endswith("LimitExceeded"):
        return LimitExceededError
    if status == 429:
        return ThrottlingError
    if status is not None and status >= 500:
        return ServerError
    if status in (401, 403):
        return AuthError
    return ServiceError


def service_error(
    message: str,
    *,
    code: str,
    request_id: str | None = None,
    status: int | None = None,
    operation: str | None = None,
    details: Any = None,
) -> ServiceError:
    """A ServiceError of the most specific class for ``code``."""
    cls = error_class(code, status)
    return cls(
        message,
        code=code,
        request_id=request_id,
        status=status,
        operation=operation,
        details=details,
    )

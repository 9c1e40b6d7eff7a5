"""ec2revoke: a typed Python SDK for revoking Amazon EC2 security-group rules.

PYTEST_DONT_REWRITE
"""

# The marker above: pytest rewrites the asserts of every module of a distribution that
# ships a pytest11 plugin (ec2revoke.testing.plugin), and a rewritten module gains
# helper names; this namespace must stay exactly what __all__ lists.

from ec2revoke import codec, shapes
from ec2revoke._client import UNSIGNED, EC2Client
from ec2revoke._errors import (
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
    RevokeIncomplete,
    RevokeNotVerified,
    ServerError,
    ServiceError,
    SignatureDoesNotMatch,
    ThrottlingError,
    TLSVerificationFailed,
    TransportError,
    UnauthorizedOperation,
)
from ec2revoke._http.credentials import StaticCredentials
from ec2revoke._http.transport import HttpRequest, HttpResponse, RequestsTransport, Transport
from ec2revoke._results import DryRunResult
from ec2revoke._revoke.report import FoundRule, Prediction, RevokedRule, RevokeReport
from ec2revoke._rules.ports_peers import Peer, Port
from ec2revoke._rules.rule import Rule

__all__ = [
    "UNSIGNED",
    "AuthError",
    "AuthFailure",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailed",
    "DryRunOperation",
    "DryRunResult",
    "DuplicateError",
    "EC2Client",
    "EC2Error",
    "FoundRule",
    "HttpRequest",
    "HttpResponse",
    "InvalidGroupNotFound",
    "InvalidParameterValue",
    "InvalidPermissionDuplicate",
    "InvalidPermissionNotFound",
    "InvalidRequestError",
    "InvalidSecurityGroupRuleIdNotFound",
    "LimitExceededError",
    "NotFoundError",
    "ParamValidationError",
    "Peer",
    "Port",
    "Prediction",
    "RequestLimitExceeded",
    "RequestTimeout",
    "RequestsTransport",
    "ResponseError",
    "RevokeIncomplete",
    "RevokeNotVerified",
    "RevokeReport",
    "RevokedRule",
    "Rule",
    "ServerError",
    "ServiceError",
    "SignatureDoesNotMatch",
    "StaticCredentials",
    "TLSVerificationFailed",
    "ThrottlingError",
    "Transport",
    "TransportError",
    "UnauthorizedOperation",
    "cli",
    "codec",
    "fleet",
    "shapes",
    "testing",
]

# The command line, fleet runner and testing kit load on first use: most programs need
# none of them, and importing them here would add to every program's start-up time.
_ON_DEMAND = frozenset({"cli", "fleet", "testing"})


def __getattr__(name: str) -> object:
    if name in _ON_DEMAND:
        import importlib

        return importlib.import_module(f"ec2revoke.{name}")
    raise AttributeError(f"module 'ec2revoke' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()) - {n for n in globals() if n.startswith("_")})

"""ec2revoke: a typed Python SDK for revoking Amazon EC2 security-group rules."""

from ec2revoke import codec, shapes
from ec2revoke._errors import (
    EC2Error,
    ParamValidationError,
    ResponseError,
    ServiceError,
)

__all__ = [
    "EC2Error",
    "ParamValidationError",
    "ResponseError",
    "ServiceError",
    "codec",
    "shapes",
]

"""What the generator builds: the operations, and where their model and output live.

Adding an operation is one line in OPERATIONS, then ``python -m codegen --refresh-model``
(re-slices the model from the installed botocore) and ``python -m codegen``.
"""

from __future__ import annotations

from pathlib import Path

OPERATIONS: tuple[str, ...] = (
    "AuthorizeSecurityGroupEgress",
    "AuthorizeSecurityGroupIngress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    # Whether a group's VPC is the default one decides EC2's answer to a revoke of an
    # absent rule (UnknownIpPermissions, or InvalidPermission.NotFound): dry runs ask.
    "DescribeAccountAttributes",
    "DescribeSecurityGroupRules",
    "DescribeSecurityGroups",
    "RevokeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
)

SERVICE = "ec2"
API_VERSION = "2016-11-15"

ROOT = Path(__file__).resolve().parent.parent
MODEL_SLICE = ROOT / "codegen" / "model" / f"{SERVICE}-{API_VERSION}.json"
OUTPUT_DIR = ROOT / "ec2revoke" / "_generated"

"""Every request, result and nested shape of the supported EC2 operations.

Frozen, keyword-only dataclasses generated from botocore's EC2 model; class names
are the model's shape names, fields the snake_case member names.
"""

from ec2revoke._generated.shapes import *  # noqa: F403
from ec2revoke._generated.shapes import __all__ as __all__

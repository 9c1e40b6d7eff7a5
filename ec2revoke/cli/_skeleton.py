"""``--generate-cli-skeleton``: a sample of an operation's input or output.

The samples follow botocore's ArgumentGenerator, as the AWS CLI's do: every member in
model order, text as ``""`` (or, in output samples, the member's name), numbers as 0,
booleans as true, one element in each list.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire.schema import ListShape, MapShape, Scalar, Structure

_PLACEHOLDERS: dict[str, Any] = {
    "integer": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "boolean": True,
    "timestamp": datetime.datetime(1970, 1, 1),
}


def sample(shape_name: str, *, names: bool = False) -> Any:
    """A sample value of a shape; ``names`` fills text with member names (output samples)."""
    return _sample(shape_name, [], "", names)


def _sample(shape_name: str, stack: list[str], name: str, names: bool) -> Any:
    spec = SERVICE.shapes[shape_name]
    stack.append(shape_name)
    try:
        if isinstance(spec, Structure):
            if stack.count(shape_name) > 1:
                return {}
            return {m.name: _sample(m.shape, stack, m.name, names) for m in spec.members}
        if isinstance(spec, ListShape):
            return [_sample(spec.member, stack, spec.member if names else "", names)]
        if isinstance(spec, MapShape):
            return {"KeyName": _sample(spec.value, stack, "", names)}
        assert isinstance(spec, Scalar)
        if spec.kind == "string":
            if names:
                return name
            return spec.enum[0] if spec.enum else ""
        return _PLACEHOLDERS.get(spec.kind)
    finally:
        stack.pop()


def input_sample(operation: str) -> dict[str, Any]:
    """What ``--generate-cli-skeleton input`` prints, as a dict."""
    shape = SERVICE.operations[operation].input
    return {} if shape is None else dict(sample(shape))


def output_sample(operation: str) -> dict[str, Any]:
    """What ``--generate-cli-skeleton output`` renders (before --query and --output)."""
    shape = SERVICE.operations[operation].output
    return {} if shape is None else dict(sample(shape, names=True))


def input_json(operation: str) -> str:
    """The input skeleton as the AWS CLI prints it: JSON indented by 4."""
    return json.dumps(input_sample(operation), indent=4, default=str) + "\n"


def input_yaml(operation: str, yaml: Any) -> str:
    """The input skeleton as YAML, for ``--cli-input-yaml``."""
    text: str = yaml.safe_dump(input_sample(operation), sort_keys=False, default_flow_style=False)
    return text

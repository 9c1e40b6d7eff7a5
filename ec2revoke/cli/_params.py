"""From command-line values to a request's parameters, built the way the AWS CLI builds them.

Every option value may be a ``file://`` (text) or ``fileb://`` (bytes) reference. A
list-of-structures option (``--ip-permissions``) takes JSON when its first value starts
with ``[`` or ``{``, shorthand otherwise; shorthand is then typed by the model as the
AWS CLI types it (integers parsed, a lone value where a list belongs wrapped in one).
``--cli-input-json``/``--cli-input-yaml`` fill in what the command line left out.
The result is the boto3 dict form, decoded into the request dataclass by the codec.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ec2revoke import codec
from ec2revoke._errors import ParamValidationError
from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire import scalars
from ec2revoke._wire.schema import ListShape, Member, Scalar, ShapeSpec, Structure
from ec2revoke.cli import _shorthand

# Flat request members the AWS CLI keeps but does not document (--protocol and
# friends took their place); accepted for scripts that still use them.
UNDOCUMENTED = frozenset(
    {
        "IpProtocol",
        "FromPort",
        "ToPort",
        "CidrIp",
        "SourceSecurityGroupName",
        "SourceSecurityGroupOwnerId",
    }
)
FLAT_OPTIONS = ("--protocol", "--port", "--cidr", "--source-group", "--group-owner")
_PREFIXES = (("file://", "r"), ("fileb://", "rb"))


class ParamError(ValueError):
    """A parameter that cannot be used as given; the message names the option."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"Error parsing parameter '{option}': {problem}")


def option_name(member_name: str) -> str:
    """``IpPermissions`` -> ``--ip-permissions``."""
    return "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", member_name).lower()


def read_reference(value: str, option: str) -> str | bytes | None:
    """The contents a ``file://``/``fileb://`` value refers to; None for any other value."""
    for prefix, mode in _PREFIXES:
        if value.startswith(prefix):
            path = os.path.expandvars(os.path.expanduser(value[len(prefix) :]))
            try:
                if mode == "rb":
                    with open(path, "rb") as f:
                        return f.read()
                with open(path, encoding="utf-8") as f:
                    return f.read()
            except UnicodeDecodeError:
                raise ParamError(
                    option,
                    f"Unable to load paramfile ({path}), text contents could not be decoded; "
                    "for a binary file use the fileb:// prefix",
                ) from None
            except OSError as e:
                raise ParamError(option, f"Unable to load paramfile {value}: {e}") from None
    return None


# -- the model --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelOption:
    """A command-line option that sets one request member."""

    option: str
    member: Member
    shape: ShapeSpec
    documented: bool


def model_options(request_shape: str) -> list[ModelOption]:
    """The options of an operation, one per request member, in model order (DryRun aside)."""
    spec = SERVICE.shapes[request_shape]
    assert isinstance(spec, Structure)
    return [
        ModelOption(option_name(m.name), m, SERVICE.shapes[m.shape], m.name not in UNDOCUMENTED)
        for m in spec.members
        if m.name != "DryRun"
    ]


def _structure(shape: ShapeSpec) -> Structure | None:
    return shape if isinstance(shape, Structure) else None


def _member_shape(shape_name: str) -> ShapeSpec:
    return SERVICE.shapes[shape_name]


def type_shorthand(value: Any, shape: ShapeSpec) -> Any:
    """Shorthand values typed by the model, as the AWS CLI's BackCompatVisitor types them."""
    if isinstance(shape, ListShape):
        if isinstance(value, list):
            member = _member_shape(shape.member)
            return [type_shorthand(v, member) for v in value]
        return value
    structure = _structure(shape)
    if structure is not None:
        if not isinstance(value, dict):
            return value
        for m in structure.members:
            current = value.get(m.name)
            if current is None:
                continue
            member = _member_shape(m.shape)
            if isinstance(member, ListShape) and not isinstance(current, list):
                value[m.name] = [current]  # "IpRanges={CidrIp=...}" is a one-item list
            else:
                value[m.name] = type_shorthand(current, member)
        return value
    if isinstance(shape, Scalar):
        if shape.kind in ("integer", "long"):
            return scalars.parse_int(value)
        if shape.kind in ("float", "double"):
            return float(value)
        if shape.kind == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
    return value


def _json(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        raise ParamError(option, f"Invalid JSON: {e}") from None


def _loader(option: str) -> _shorthand.FileLoader:
    return lambda reference: read_reference(reference, option)


def unpack(option: ModelOption, value: str | bytes | list[str]) -> Any:
    """One option's value (after file references) as the request member's boto3 form."""
    name = option.option
    if isinstance(value, bytes):
        raise ParamError(name, "fileb:// gives bytes; this parameter takes text: use file://")
    shape = option.shape
    if isinstance(shape, Scalar):
        if shape.kind in ("integer", "long"):
            try:
                return scalars.parse_int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ParamError(name, f"expected an integer, got {value!r}") from None
        return value
    assert isinstance(shape, ListShape)
    items = [value] if isinstance(value, str) else list(value)
    first = items[0].strip() if items else ""
    member = _member_shape(shape.member)
    if isinstance(member, Structure):
        if first.startswith("["):
            if len(items) == 1:
                return _json(items[0], name)
        elif not first.startswith("{"):
            return _typed_shorthand(items, shape, name)
        decoded = []
        for item in items:
            if not item.lstrip().startswith("{"):
                raise ParamError(name, f"Invalid JSON: {item}")
            decoded.append(_json(item, name))
        return decoded
    if len(items) == 1 and first.startswith("["):
        return _json(items[0], name)
    if isinstance(value, str):
        return value.split()  # a file of IDs
    return items


def _typed_shorthand(items: Sequence[str], shape: ListShape, option: str) -> Any:
    try:
        parsed = [_shorthand.parse(item, _loader(option)) for item in items]
    except _shorthand.ShorthandError as e:
        raise ParamError(option, str(e)) from None
    try:
        return type_shorthand(parsed, shape)
    except (TypeError, ValueError, AttributeError) as e:
        raise ParamError(option, f"a value does not fit its type: {e}") from None


# -- the flat options (--protocol, --port, --cidr, --source-group, --group-owner) ------


def _protocol(value: str) -> str:
    try:
        number: int | None = scalars.parse_int(value)
    except ValueError:
        number = None
    if number is not None and (0 <= number <= 255 or number == -1):
        return value
    if value not in ("tcp", "udp", "icmp", "all"):
        hint = " (for ICMPv6 use --protocol 58)" if value.lower() == "icmpv6" else ""
        raise ParamError(
            "--protocol",
            "protocol parameter should be one of: tcp|udp|icmp|all or any valid protocol "
            f"number (0-255, -1 for all), got {value!r}{hint}",
        )
    return "-1" if value == "all" else value


def port_range(value: str, option: str = "--port") -> tuple[int, int]:
    """``22`` -> (22, 22); ``8000-8080`` -> (8000, 8080); ``3-4`` (ICMP type-code); ``-1``/``all``."""
    try:
        if value in ("-1", "all"):
            return -1, -1
        if "-" in value:
            low, high = value.split("-", 1)
            return scalars.parse_int(low), scalars.parse_int(high)
        number = scalars.parse_int(value)
        return number, number
    except ValueError:
        raise ParamError(
            option,
            f"port parameter should be of the form <from[-to]> (e.g. 22 or 22-25), got {value!r}",
        ) from None


def flat_permission(values: Mapping[str, str]) -> dict[str, Any]:
    """The one IpPermission the flat options describe, as the AWS CLI builds it.

    ``values`` maps option names to their (non-empty) values.
    """
    permission: dict[str, Any] = {}
    if "--protocol" in values:
        permission["IpProtocol"] = _protocol(values["--protocol"])
    if "--port" in values:
        permission["FromPort"], permission["ToPort"] = port_range(values["--port"])
    if "--cidr" in values:
        permission["IpRanges"] = [{"CidrIp": values["--cidr"]}]
    pair: dict[str, str] = {}
    if "--source-group" in values:
        group = values["--source-group"]
        pair["GroupId" if group.startswith("sg-") else "GroupName"] = group
    if "--group-owner" in values:
        pair["UserId"] = values["--group-owner"]
    if pair:
        permission["UserIdGroupPairs"] = [pair]
    check_flat(values, permission)
    return permission


def check_flat(values: Mapping[str, str], permission: Mapping[str, Any]) -> None:
    """What the AWS CLI would send on to EC2 to refuse, refused here with the option named."""
    from ec2revoke._wire.validate import check_cidr, check_ports

    if "IpProtocol" not in permission:
        first = next(iter(values))
        raise ParamError(
            first, f"{first} describes a rule only together with --protocol (tcp, udp, icmp, all)"
        )
    problem = check_ports(
        permission["IpProtocol"].strip(), permission.get("FromPort"), permission.get("ToPort")
    )
    if problem:
        raise ParamError("--port", problem)
    if "--cidr" in values:
        if "--source-group" in values or "--group-owner" in values:
            raise ParamError(
                "--cidr", "cannot be used with --source-group or --group-owner in one rule"
            )
        cidr = values["--cidr"]
        if ":" in cidr:
            raise ParamError(
                "--cidr",
                f"{cidr!r} is an IPv6 block; --cidr takes IPv4 only, as in the AWS CLI: use "
                "--ip-permissions 'IpProtocol=...,Ipv6Ranges=[{CidrIpv6=" + cidr + "}]'",
            )
        problem = check_cidr(cidr, version=4)
        if problem:
            raise ParamError("--cidr", problem)
    if "--group-owner" in values and "--source-group" not in values:
        raise ParamError("--group-owner", "names the owner of --source-group; add --source-group")


# -- --cli-input-json / --cli-input-yaml -------------------------------------------------


def input_document(option: str, value: str) -> dict[str, Any]:
    """The parameters a ``--cli-input-json``/``--cli-input-yaml`` value holds."""
    loaded = read_reference(value, option)
    text = value if loaded is None else loaded
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if option == "--cli-input-yaml":
        yaml = require_yaml(option)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ParamError(option, f"Invalid YAML: {' '.join(str(e).split())}") from None
    else:
        data = _json(text, option)
    if not isinstance(data, dict):
        raise ParamError(option, f"expected an object of parameters, got {type(data).__name__}")
    return data


def require_yaml(option: str) -> Any:
    """The yaml module, or an error that says how to install it."""
    try:
        import yaml
    except ImportError:
        raise MissingDependency(f"{option} needs PyYAML: pip install 'ec2revoke[yaml]'") from None
    return yaml


class MissingDependency(RuntimeError):
    """An optional package the command needs is not installed."""


# -- putting it together --------------------------------------------------------------------


@dataclass
class Params:
    """Request parameters in boto3 form and, for each, the option it came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, key: str, value: Any, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source

    def source_of(self, path: str) -> str | None:
        """The option behind a parameter path such as ``IpPermissions[0].FromPort``."""
        head = re.split(r"[.\[]", path, maxsplit=1)[0]
        return self.sources.get(head)


_BOTOCORE_TYPE_ERROR = "Invalid type for parameter "


def decode(request_type: type[Any], params: Params) -> Any:
    """The request dataclass; a parameter that does not fit is named by its option."""
    shape_name, _ = SERVICE.structure_of(request_type)
    try:
        return codec.from_dict(request_type, params.values)
    except ParamValidationError as e:
        text = str(e)
        if text.startswith(_BOTOCORE_TYPE_ERROR):
            # A null, refused in botocore's words, as the AWS CLI refuses it.
            raise
        path = text.split(": ", 1)[0].removeprefix(shape_name).lstrip(".")
        problem = text.split(": ", 1)[1] if ": " in text else text
        option = params.source_of(path) if path else None
        if option is None:
            option = next(
                (s for s in params.sources.values() if s.startswith("--cli-input")),
                "--cli-input-json",
            )
        raise ParamError(option, f"{path + ': ' if path else ''}{problem}") from None


def member_path(request_shape: str, snake_path: str) -> str:
    """``ip_permissions[0].ip_ranges[0].cidr_ip`` -> ``IpPermissions[0].IpRanges[0].CidrIp``."""
    shape: ShapeSpec | None = SERVICE.shapes[request_shape]
    out = []
    for part in snake_path.split("."):
        name, bracket, rest = part.partition("[")
        structure = _structure(shape) if shape is not None else None
        member = (
            next((m for m in structure.members if m.field == name), None) if structure else None
        )
        if member is None:
            return snake_path
        out.append(member.name + (bracket + rest))
        shape = SERVICE.shapes[member.shape]
        if bracket and isinstance(shape, ListShape):
            shape = SERVICE.shapes[shape.member]
    return ".".join(out)

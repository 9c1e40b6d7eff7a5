"""Checks on a request that EC2's documentation rules out, made before anything is sent.

Each problem is reported as a ParamValidationError that names the field, what is
wrong with it and what to write instead. Only documented constraints are checked;
anything EC2 might accept is left to EC2.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any

from ec2revoke._errors import ParamValidationError
from ec2revoke._generated import shapes
from ec2revoke._wire import scalars

# Protocol names EC2 takes, and the numbers they stand for: the one table of them.
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOL_NUMBERS.items()}
PORTED = frozenset({PROTOCOL_NUMBERS["tcp"], PROTOCOL_NUMBERS["udp"]})
"""Protocols whose rules carry a port range."""
ICMP = frozenset({PROTOCOL_NUMBERS["icmp"], PROTOCOL_NUMBERS["icmpv6"]})
"""Protocols whose rules carry an ICMP type (from_port) and code (to_port)."""
_ASCII_SPACE = " \t\n\r\f\v"
MAX_DESCRIPTION = 255
# The documented character sets differ: '&' is allowed only for IP-range descriptions.
_RANGE_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*\Z")
_OTHER_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*]*\Z")
_RANGE_ALLOWED = "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"
_OTHER_ALLOWED = "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*"

# The checks above are pure functions of text and numbers that repeat from call to
# call (the same CIDRs and ports), so they are cached; ipaddress parsing is not cheap.

_INGRESS = (shapes.RevokeSecurityGroupIngressRequest, shapes.AuthorizeSecurityGroupIngressRequest)
_EGRESS = (shapes.RevokeSecurityGroupEgressRequest, shapes.AuthorizeSecurityGroupEgressRequest)
# Requests that name a group by ID or by name.
_ONE_GROUP = (*_INGRESS, shapes.DeleteSecurityGroupRequest)
# Flat (pre-IpPermissions) parameters that EC2 documents as "Not supported" for egress.
_EGRESS_FLAT = (
    "cidr_ip",
    "from_port",
    "to_port",
    "ip_protocol",
    "source_security_group_name",
    "source_security_group_owner_id",
)


def _fail(operation: str, where: str, problem: str) -> ParamValidationError:
    return ParamValidationError(f"{operation}: {where}: {problem}", operation=operation)


@functools.lru_cache(maxsize=1024)
def protocol_number(protocol: str) -> int | None:
    """The IP protocol number of a name or number text; -1 for all; None if unknown.

    Numbers are ASCII digits only: other scripts' digits make no protocol.
    """
    text = protocol.strip(_ASCII_SPACE).lower()
    if text in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[text]
    if text in ("-1", "all"):
        return -1
    try:
        number = scalars.parse_int(text)
    except ValueError:
        return None
    return number if 0 <= number <= 255 else None


@functools.lru_cache(maxsize=1024)
def check_cidr(value: str, *, version: int) -> str | None:
    """What is wrong with a CIDR for the given IP version, or None if it is fine."""
    if "/" not in value:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return f"{value!r} is not a CIDR block; write it as address/prefix"
        return f"CIDR mask is missing: did you mean {address}/{address.max_prefixlen}?"
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{value!r} is not a valid CIDR block"
    if network.version != version:
        other = "ipv6_ranges (cidr_ipv6)" if network.version == 6 else "ip_ranges (cidr_ip)"
        return f"{value!r} is an IPv{network.version} block; put it in {other}"
    return None


@functools.lru_cache(maxsize=1024)
def check_description(value: str, *, ranges: bool) -> str | None:
    """What is wrong with a rule description, or None if it is fine."""
    if len(value) > MAX_DESCRIPTION:
        return f"is {len(value)} characters long; EC2 allows at most {MAX_DESCRIPTION}"
    pattern, allowed = (
        (_RANGE_DESCRIPTION, _RANGE_ALLOWED) if ranges else (_OTHER_DESCRIPTION, _OTHER_ALLOWED)
    )
    if not pattern.match(value):
        bad = sorted({c for c in value if not pattern.match(c)})
        return f"contains {''.join(bad)!r}; EC2 allows only {allowed}"
    return None


@functools.lru_cache(maxsize=1024)
def check_ports(protocol: str | None, from_port: int | None, to_port: int | None) -> str | None:
    """What is wrong with a protocol and its port (or ICMP type/code) range, if anything."""
    if protocol is None:
        return None
    number = protocol_number(protocol)
    if number is None:
        return (
            f"ip_protocol {protocol!r} is not a protocol EC2 knows; use tcp, udp, icmp, "
            "icmpv6, -1 (all) or a protocol number 0-255"
        )
    if number in PORTED:
        for name, port in (("from_port", from_port), ("to_port", to_port)):
            if port is not None and not 0 <= port <= 65535:
                return f"{name} {scalars.show_int(port)} is outside 0-65535"
        if from_port is not None and to_port is not None and from_port > to_port:
            return f"from_port {from_port} is above to_port {to_port}; swap them"
    elif number in ICMP:
        for name, value in (("ICMP type (from_port)", from_port), ("ICMP code (to_port)", to_port)):
            if value is not None and not -1 <= value <= 255:
                return f"{name} {scalars.show_int(value)} is outside -1-255 (-1 means all)"
        if from_port == -1 and to_port not in (None, -1):
            return "with ICMP type -1 (all types) the code (to_port) must be -1 too"
    return None


def _check_spelling(operation: str, where: str, protocol: str | None) -> None:
    # "all" is the AWS CLI's --protocol spelling (its customisation sends -1); EC2's API
    # takes only -1, and a typed request goes to EC2 as written. Rule.protocol("all")
    # normalises it to -1 before it gets here.
    if protocol is not None and protocol.strip(_ASCII_SPACE).lower() == "all":
        raise _fail(
            operation,
            where,
            f"{protocol!r} is the AWS CLI's --protocol spelling; EC2 takes -1 for all "
            "protocols: ip_protocol='-1' (IpProtocol=-1), or Rule.all_traffic()",
        )


def _check_permission(operation: str, where: str, perm: shapes.IpPermission) -> None:
    _check_spelling(operation, f"{where}.ip_protocol", perm.ip_protocol)
    problem = check_ports(perm.ip_protocol, perm.from_port, perm.to_port)
    if problem:
        raise _fail(operation, where, problem)
    if perm.user_id_group_pairs and (perm.ip_ranges or perm.ipv6_ranges):
        raise _fail(
            operation,
            where,
            "a source security group and a CIDR range cannot share one permission; "
            "split them into two IpPermission entries",
        )
    lists: list[tuple[str, Any, str, int | None, bool]] = [
        ("ip_ranges", perm.ip_ranges, "cidr_ip", 4, True),
        ("ipv6_ranges", perm.ipv6_ranges, "cidr_ipv6", 6, True),
        ("prefix_list_ids", perm.prefix_list_ids, "", None, False),
        ("user_id_group_pairs", perm.user_id_group_pairs, "", None, False),
    ]
    for name, entries, cidr_field, version, ranges in lists:
        for i, entry in enumerate(entries or ()):
            here = f"{where}.{name}[{i}]"
            if cidr_field and version is not None:
                cidr = getattr(entry, cidr_field)
                problem = None if cidr is None else check_cidr(cidr, version=version)
                if problem:
                    raise _fail(operation, f"{here}.{cidr_field}", problem)
            if entry.description is not None:
                problem = check_description(entry.description, ranges=ranges)
                if problem:
                    raise _fail(operation, f"{here}.description", problem)


def validate(operation: str, request: Any) -> None:
    """Raise ParamValidationError for what the EC2 documentation rules out."""
    if isinstance(request, _INGRESS) and request.group_id is None and request.group_name is None:
        raise _fail(
            operation,
            "group_id/group_name",
            "give the security group's ID (group_id='sg-...'); group_name works only "
            "for groups in the default VPC",
        )
    if (
        isinstance(request, _ONE_GROUP)
        and request.group_id is not None
        and request.group_name is not None
    ):
        # EC2 takes the one or the other; with both, which group is acted on is not
        # the caller's to know.
        raise _fail(
            operation,
            "group_id, group_name",
            "give the group's ID or its name, not both: group_id='sg-...' (group_name "
            "works only for groups in the default VPC)",
        )
    if isinstance(request, _EGRESS):
        given = [f for f in _EGRESS_FLAT if getattr(request, f) is not None]
        if given:
            raise _fail(
                operation,
                ", ".join(given),
                "not supported for egress rules; describe the rule in ip_permissions instead",
            )
    if isinstance(request, _INGRESS):
        _check_spelling(operation, "ip_protocol", request.ip_protocol)
        problem = check_ports(request.ip_protocol, request.from_port, request.to_port)
        if problem:
            raise _fail(operation, "ip_protocol/from_port/to_port", problem)
        if request.cidr_ip is not None:
            # The CLI documents --group-owner as "Cannot be used when specifying a CIDR".
            for other in ("source_security_group_name", "source_security_group_owner_id"):
                if getattr(request, other) is not None:
                    raise _fail(
                        operation,
                        "cidr_ip",
                        f"cannot be combined with {other}; use two requests or ip_permissions",
                    )
            problem = check_cidr(request.cidr_ip, version=4)
            if problem:
                raise _fail(operation, "cidr_ip", problem)
    if isinstance(request, (*_INGRESS, *_EGRESS)):
        for i, perm in enumerate(request.ip_permissions or ()):
            _check_permission(operation, f"ip_permissions[{i}]", perm)

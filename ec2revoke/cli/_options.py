"""The command line: global options, and the options of each command.

Global options may come before or after the command, as with ``aws``. The two
``revoke-security-group-*`` commands take an option per request member (from the
model, named as the AWS CLI names them) plus the AWS CLI's customisations:
``--protocol``/``--port``/``--cidr``/``--source-group``/``--group-owner``,
``--cli-input-json``/``--cli-input-yaml`` and ``--generate-cli-skeleton``.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ec2revoke._revoke.verify import VERIFY_TIMEOUT
from ec2revoke._wire import scalars
from ec2revoke._wire.schema import ListShape
from ec2revoke.cli._output import FORMATS
from ec2revoke.cli._params import model_options
from ec2revoke.cli._patterns import add_pattern_options

INGRESS = "revoke-security-group-ingress"
EGRESS = "revoke-security-group-egress"
MATCHING = "revoke-matching"
DEMO = "demo"
OPERATIONS = {INGRESS: "RevokeSecurityGroupIngress", EGRESS: "RevokeSecurityGroupEgress"}
REQUESTS = {
    INGRESS: "RevokeSecurityGroupIngressRequest",
    EGRESS: "RevokeSecurityGroupEgressRequest",
}


class UsageError(Exception):
    """The command line does not parse; ``prog`` is the (sub)command it was meant for."""

    def __init__(self, prog: str, message: str) -> None:
        self.prog = prog
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


_HELP = {
    "--group-id": "The ID of the security group (sg-...).",
    "--group-name": "[Default VPC] The name of the security group.",
    "--ip-permissions": "The rules, in shorthand (IpProtocol=tcp,FromPort=22,ToPort=22,"
    "IpRanges=[{CidrIp=203.0.113.0/24}]) or JSON; several shorthand rules separated by spaces.",
    "--security-group-rule-ids": "The IDs of the rules (sgr-...).",
}
_FLAT_HELP = {
    "--protocol": "The IP protocol: tcp | udp | icmp, all, or a protocol number.",
    "--port": "TCP/UDP: a port or a range (8000-8080). ICMP: type-code (3-4); -1 for all.",
    "--cidr": "The IPv4 address range, in CIDR format.",
    "--source-group": "The name or ID of the source security group.",
    "--group-owner": "The AWS account ID that owns the source security group.",
}


def add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The AWS CLI's global options that apply here.

    On commands their defaults are SUPPRESS, so a value given before the command stays.
    """

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    g = parser.add_argument_group("global options")
    g.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="Log every step to stderr (secrets redacted).",
    )
    g.add_argument(
        "--endpoint-url",
        default=default(None),
        metavar="URL",
        help="Send requests to this URL instead of the region's EC2 endpoint.",
    )
    g.add_argument(
        "--no-verify-ssl",
        dest="verify_ssl",
        action="store_false",
        default=default(True),
        help="Do not verify TLS certificates.",
    )
    g.add_argument(
        "--no-paginate",
        action="store_true",
        default=default(False),
        help="Accepted for compatibility (these calls are not paginated).",
    )
    g.add_argument(
        "--output",
        choices=FORMATS,
        default=default(None),
        help="Output format (default: AWS_DEFAULT_OUTPUT, the profile's, or json).",
    )
    g.add_argument(
        "--query",
        default=default(None),
        metavar="JMESPATH",
        help="A JMESPath query to filter the response.",
    )
    g.add_argument("--profile", default=default(None), help="Use this profile's settings.")
    g.add_argument("--region", default=default(None), help="The region to use.")
    g.add_argument(
        "--color",
        choices=("on", "off", "auto"),
        default=default("auto"),
        help="Colour table output (auto: when writing to a terminal).",
    )
    g.add_argument(
        "--no-sign-request",
        action="store_true",
        default=default(False),
        help="Send requests unsigned; no credentials are loaded.",
    )
    g.add_argument(
        "--ca-bundle",
        default=default(None),
        metavar="PATH",
        help="The CA certificate bundle to verify TLS certificates with.",
    )
    g.add_argument(
        "--cli-read-timeout",
        type=_seconds,
        default=default(None),
        metavar="SECONDS",
        help="Socket read timeout (0: wait forever; default 60).",
    )
    g.add_argument(
        "--cli-connect-timeout",
        type=_seconds,
        default=default(None),
        metavar="SECONDS",
        help="Socket connect timeout (0: wait forever; default 60).",
    )
    g.add_argument(
        "--cli-binary-format",
        choices=("base64", "raw-in-base64-out"),
        default=default(None),
        help="Accepted for compatibility (no blobs here).",
    )
    g.add_argument(
        "--no-cli-pager",
        action="store_true",
        default=default(False),
        help="Accepted for compatibility (output is never paged).",
    )
    g.add_argument(
        "--no-cli-auto-prompt", action="store_true", default=default(False), help=argparse.SUPPRESS
    )


def _seconds(text: str) -> int:
    try:
        value = scalars.parse_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more seconds, got {value}")
    return value


def _revoke_command(sub: Any, name: str) -> None:
    operation = OPERATIONS[name]
    direction = "inbound (ingress)" if name == INGRESS else "outbound (egress)"
    p = sub.add_parser(
        name,
        allow_abbrev=False,
        help=f"Remove {direction} rules from a security group, as `aws ec2 {name}`.",
        description=f"Removes {direction} rules from a security group ({operation}); "
        f"every option of `aws ec2 {name}`.",
    )
    for option in model_options(REQUESTS[name]):
        many = isinstance(option.shape, ListShape)
        p.add_argument(
            option.option,
            dest=option.member.field,
            nargs="+" if many else None,
            metavar="VALUE",
            help=_HELP.get(option.option, option.member.name)
            if option.documented
            else argparse.SUPPRESS,
        )
    p.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_const",
        const=True,
        default=None,
        help="Check permissions only: nothing is revoked.",
    )
    p.add_argument("--no-dry-run", dest="dry_run", action="store_const", const=False)
    for flag, text in _FLAT_HELP.items():
        p.add_argument(flag, dest="flat_" + flag[2:].replace("-", "_"), metavar="VALUE", help=text)
    inputs = p.add_mutually_exclusive_group()
    inputs.add_argument(
        "--cli-input-json",
        metavar="JSON",
        help="The parameters as JSON (inline or file://); options override it.",
    )
    inputs.add_argument(
        "--cli-input-yaml",
        metavar="YAML",
        help="The parameters as YAML (inline or file://); options override it.",
    )
    p.add_argument(
        "--generate-cli-skeleton",
        nargs="?",
        const="input",
        choices=("input", "output", "yaml-input"),
        help="Print a sample input (JSON or YAML) or output instead of calling EC2.",
    )
    p.set_defaults(command=name, operation=operation)
    add_globals(p, top=False)


def _matching_command(sub: Any) -> None:
    p = sub.add_parser(
        MATCHING,
        allow_abbrev=False,
        help="Revoke every rule that allows at least the given traffic (lists first).",
        description="Find the rules of a group that allow at least the traffic described "
        "(e.g. TCP 22 from 0.0.0.0/0, including wider rules such as all TCP from 0.0.0.0/0), "
        "list them, then revoke them by rule ID. With --dry-run, only list them.",
    )
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--group-id", help="The ID of the security group (sg-...).")
    group.add_argument("--group-name", help="[Default VPC] The name of the security group.")
    add_pattern_options(p, protocol_required=True)
    p.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="List what would be revoked; revoke nothing.",
    )
    p.add_argument("--no-dry-run", dest="dry_run", action="store_false")
    p.add_argument(
        "--verify",
        action="store_true",
        help="After revoking, read the group back until the rules are gone.",
    )
    p.add_argument(
        "--verify-timeout",
        type=_seconds,
        default=VERIFY_TIMEOUT,
        metavar="SECONDS",
        help="With --verify: the longest wait for EC2 to show the revoke "
        f"(default {VERIFY_TIMEOUT:g}; EC2 can take minutes).",
    )
    p.set_defaults(command=MATCHING)
    add_globals(p, top=False)


EXIT_CODES = """exit codes:
  0    success, or a dry run that would have succeeded
  3    EC2 did not revoke everything asked for (UnknownIpPermissions, Return=false),
       or a rule was still listed after revoke-matching --verify
  252  bad command line or parameters     253  configuration (region, credentials, profile)
  254  EC2 answered with an error         255  anything else (connection, unreadable answer)
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``ec2revoke`` parser with every command."""
    parser = _Parser(
        prog="ec2revoke",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES,
        description="Revoke EC2 security-group rules: the `aws ec2 revoke-security-group-*` "
        "commands, a safer revoke-matching, and an offline demo.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="store_true", help="Show the version and exit.")
    add_globals(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    _revoke_command(sub, INGRESS)
    _revoke_command(sub, EGRESS)
    _matching_command(sub)
    demo = sub.add_parser(
        DEMO,
        allow_abbrev=False,
        help="Revoke rules on an embedded EC2 endpoint: no AWS account, no network.",
        description="Starts moto's EC2 server on 127.0.0.1, creates a security group with "
        "risky rules and revokes them step by step, showing each outcome.",
    )
    demo.set_defaults(command=DEMO)
    from ec2revoke.cli._fleet import add_fleet_command

    add_fleet_command(sub)
    return parser

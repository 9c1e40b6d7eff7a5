"""The rule-pattern options that revoke-matching and fleet share: --protocol, --port and
the peers (--cidr, --source-group, --prefix-list-id), read into a Port and Peers."""

from __future__ import annotations

import argparse

from ec2revoke._errors import ParamValidationError
from ec2revoke._rules.ports_peers import Peer, Port
from ec2revoke._wire.validate import ICMP, PORTED, protocol_number
from ec2revoke.cli._params import ParamError, port_range


def add_pattern_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, protocol_required: bool
) -> None:
    """Declare --protocol, --port, the peers and --egress (revoke-matching and fleet)."""
    parser.add_argument(
        "--protocol",
        required=protocol_required,
        help="tcp | udp | icmp | icmpv6 | all, or a protocol number.",
    )
    parser.add_argument(
        "--port",
        help="TCP/UDP: a port or a range (8000-8080), required; ICMP: type-code (default: all).",
    )
    parser.add_argument(
        "--cidr", action="append", default=[], help="A peer CIDR block, IPv4 or IPv6 (repeatable)."
    )
    parser.add_argument(
        "--source-group", action="append", default=[], help="A peer security group ID (repeatable)."
    )
    parser.add_argument(
        "--prefix-list-id", action="append", default=[], help="A peer prefix list ID (repeatable)."
    )
    parser.add_argument(
        "--egress", action="store_true", help="Match outbound rules (default: inbound)."
    )


def pattern_port(args: argparse.Namespace) -> Port:
    """The Port that --protocol and --port describe."""
    number = protocol_number(args.protocol)
    if number is None:
        raise ParamError(
            "--protocol",
            f"unknown protocol {args.protocol!r}: use tcp, udp, icmp, icmpv6, all or 0-255",
        )
    name = args.protocol.strip().lower()
    try:
        if args.port is None:
            if number in PORTED:
                raise ParamError(
                    "--port", f"give the port or range to match for {name} (e.g. 22 or 0-65535)"
                )
            if number in ICMP:
                return Port(name, -1, -1)
            return Port(name)
        low, high = port_range(args.port)
        return Port(name, low, high)
    except ParamValidationError as e:
        raise ParamError("--port", str(e)) from None


def pattern_peers(args: argparse.Namespace) -> list[Peer]:
    """The peers --cidr, --source-group and --prefix-list-id name (at least one)."""
    peers = []
    for option, values, kind in (
        ("--cidr", args.cidr, "cidr"),
        ("--source-group", args.source_group, "group_id"),
        ("--prefix-list-id", args.prefix_list_id, "prefix_list_id"),
    ):
        for value in values:
            try:
                peers.append(Peer(**{kind: value}))
            except ParamValidationError as e:
                raise ParamError(option, str(e)) from None
    if not peers:
        raise ParamError(
            "--cidr", "give at least one peer to match: --cidr, --source-group or --prefix-list-id"
        )
    return peers

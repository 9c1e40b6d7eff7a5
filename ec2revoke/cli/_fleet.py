"""``ec2revoke fleet``: one revoke over many accounts, regions and groups (ec2revoke.fleet).

    ec2revoke fleet --region all --protocol tcp --port 22 --cidr 0.0.0.0/0 \\
        --journal ssh.jsonl --dry-run
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any, TextIO

from ec2revoke.cli._params import ParamError
from ec2revoke.cli._patterns import add_pattern_options, pattern_peers, pattern_port

if TYPE_CHECKING:
    from ec2revoke import shapes
    from ec2revoke._revoke.report import Direction
    from ec2revoke.fleet import Account, Action, FleetConfig, Outcome

FLEET = "fleet"
EPILOG = """examples:
  # what would go: SSH open to the world, every region, two profiles
  ec2revoke fleet --profile prod --profile staging --region all \\
      --protocol tcp --port 22 --cidr 0.0.0.0/0 --dry-run
  # do it through a role in each account, resumable
  ec2revoke fleet --profile org --role-arn arn:aws:iam::111111111111:role/Fix \\
      --role-arn arn:aws:iam::222222222222:role/Fix --region us-east-1 --region eu-west-1 \\
      --protocol tcp --port 22 --cidr 0.0.0.0/0 --journal ssh.jsonl

exit codes: 0 all done; 3 some groups failed or kept rules unknown to EC2;
  130 interrupted (run again with the same --journal to finish); 252 bad options;
  253 configuration (credentials, profile; a journal in use by another run, made for
  another scope, or that cannot be written)
"""


def add_fleet_command(sub: Any) -> None:
    """The ``fleet`` command's parser."""
    p = sub.add_parser(
        FLEET,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
        help="Revoke across many accounts, regions and groups, paced and resumable.",
        description="Finds the security groups of every account and region given (or takes\n"
        "--group-id), and revokes from each the rules that allow the pattern's traffic\n"
        "(--protocol/--port/--cidr; with --exact, only those exact rules) or the --rule-id\n"
        "given, at the request rate EC2 allows. With --journal, an interrupted run resumes\n"
        "where it stopped; with --dry-run, it only lists what would go.",
    )
    who = p.add_argument_group("accounts")
    who.add_argument(
        "--profile", dest="profiles", action="append", default=[], metavar="NAME",
        help="A profile to use (repeatable; default: the default credential chain).",
    )  # fmt: skip
    who.add_argument(
        "--role-arn", dest="role_arns", action="append", default=[], metavar="ARN",
        help="A role to assume, from the (single) --profile's credentials (repeatable).",
    )  # fmt: skip
    who.add_argument("--external-id", help="The ExternalId the roles require.")
    who.add_argument("--role-session-name", default="ec2revoke-fleet", metavar="NAME")
    who.add_argument("--sts-endpoint-url", metavar="URL", help="Send STS calls here.")
    where = p.add_argument_group("regions and groups")
    where.add_argument(
        "--region", dest="regions", action="append", default=[], metavar="REGION",
        help="A region (repeatable); 'all' is every region of the partition.",
    )  # fmt: skip
    where.add_argument("--partition", default="aws", help="For --region all (default: aws).")
    where.add_argument(
        "--group-id", dest="group_ids", action="append", default=[], metavar="SG",
        help="Only these groups (repeatable; default: every group found).",
    )  # fmt: skip
    where.add_argument(
        "--filter", dest="filters", action="append", default=[], metavar="Name=N,Values=V1,V2",
        help="Find only the groups matching a DescribeSecurityGroups filter (repeatable).",
    )  # fmt: skip
    what = p.add_argument_group("what to revoke")
    add_pattern_options(what, protocol_required=False)
    what.add_argument(
        "--exact", action="store_true",
        help="Revoke exactly these rules, not every rule that allows their traffic.",
    )  # fmt: skip
    what.add_argument(
        "--rule-id", dest="rule_ids", action="append", default=[], metavar="SGR",
        help="Revoke these rule IDs instead of a pattern (repeatable).",
    )  # fmt: skip
    how = p.add_argument_group("how")
    how.add_argument("--dry-run", action="store_true", help="List what would go; revoke nothing.")
    how.add_argument("--journal", metavar="PATH", help="Record progress here; resume from it.")
    how.add_argument(
        "--concurrency", type=_positive, metavar="N",
        help="Worker threads (default: 16 per account and region, 32 to 256).",
    )  # fmt: skip
    how.add_argument(
        "--rate-scale", type=float, default=1.0, metavar="X",
        help="Multiply EC2's default refill rates (raised account limits).",
    )  # fmt: skip
    out = how.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="No progress; the summary only.")
    out.add_argument(
        "--json", action="store_true", help="JSON lines: each outcome, then a summary."
    )
    g = p.add_argument_group("global options")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    g.add_argument(
        "--endpoint-url", default=argparse.SUPPRESS, metavar="URL",
        help="Send EC2 calls here; {region} in it is replaced by each region.",
    )  # fmt: skip
    g.add_argument(
        "--no-verify-ssl", dest="verify_ssl", action="store_false", default=argparse.SUPPRESS
    )
    g.add_argument("--ca-bundle", default=argparse.SUPPRESS, metavar="PATH")
    p.set_defaults(command=FLEET)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _action(args: argparse.Namespace) -> Action:
    from ec2revoke._rules.rule import Rule
    from ec2revoke.fleet import RevokeMatching, RevokeRuleIds, RevokeRules

    direction: Direction = "egress" if args.egress else "ingress"
    pattern = args.protocol or args.port or args.cidr or args.source_group or args.prefix_list_id
    if args.rule_ids:
        if pattern or args.exact:
            raise ParamError(
                "--rule-id", "give --rule-id or a rule pattern (--protocol ...), not both"
            )
        return RevokeRuleIds(args.rule_ids, direction)
    if not args.protocol:
        raise ParamError(
            "--protocol", "give the rules to revoke: --protocol/--port/--cidr, or --rule-id"
        )
    rules = [Rule(pattern_port(args), peer, egress=args.egress) for peer in pattern_peers(args)]
    return RevokeRules(rules, direction) if args.exact else RevokeMatching(rules, direction)


def _accounts(args: argparse.Namespace) -> list[Account]:
    from ec2revoke.fleet import Account

    profiles = args.profiles or ([args.profile] if getattr(args, "profile", None) else [])
    if args.role_arns:
        if len(profiles) > 1:
            raise ParamError("--role-arn", "roles are assumed from one --profile; give at most one")
        source = profiles[0] if profiles else None
        return [
            Account(
                profile=source,
                role_arn=arn,
                external_id=args.external_id,
                session_name=args.role_session_name,
            )
            for arn in args.role_arns
        ]
    return [Account(profile=p) for p in profiles] or [Account()]


def _regions(args: argparse.Namespace, accounts: list[Account]) -> list[str]:
    regions = args.regions or ([args.region] if getattr(args, "region", None) else [])
    if not regions:
        from ec2revoke._http.botocore_session import profile_session

        found = profile_session(accounts[0].profile).get_config_variable("region")
        regions = [str(found)] if found else []
    if not regions:
        raise ParamError("--region", "give --region (repeatable), or --region all")
    return list(regions)


def _filters(args: argparse.Namespace) -> list[shapes.Filter]:
    from ec2revoke import shapes
    from ec2revoke.cli import _shorthand

    filters = []
    for text in args.filters:
        try:
            parsed = _shorthand.parse(text)
        except ValueError as e:
            raise ParamError("--filter", f"{text!r}: {e}") from None
        values = parsed.get("Values")
        if set(parsed) != {"Name", "Values"} or not isinstance(parsed["Name"], str):
            raise ParamError("--filter", f"{text!r}: write it as Name=vpc-id,Values=vpc-1,vpc-2")
        filters.append(
            shapes.Filter(
                name=parsed["Name"],
                values=[str(v) for v in values] if isinstance(values, list) else [str(values)],
            )
        )
    return filters


def config_from_args(args: argparse.Namespace) -> FleetConfig:
    """The FleetConfig the options describe."""
    from ec2revoke.fleet import FleetConfig, RateLimits

    accounts = _accounts(args)
    endpoint = getattr(args, "endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL_EC2")
    verify: bool | str = getattr(args, "verify_ssl", True)
    if verify and getattr(args, "ca_bundle", None):
        verify = str(args.ca_bundle)
    if not args.rate_scale > 0:
        raise ParamError("--rate-scale", f"expected a positive number, got {args.rate_scale}")
    return FleetConfig(
        action=_action(args),
        regions=_regions(args, accounts),
        accounts=accounts,
        group_ids=args.group_ids,
        filters=_filters(args),
        dry_run=args.dry_run,
        journal=args.journal,
        concurrency=args.concurrency,
        limits=RateLimits(scale=args.rate_scale),
        partition=args.partition,
        endpoint_url=endpoint,
        sts_endpoint_url=args.sts_endpoint_url,
        verify=verify,
    )


def run_fleet(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``ec2revoke fleet``; returns the exit code."""
    from ec2revoke.fleet import FleetInterrupted, FleetRunner, make_progress

    config = config_from_args(args)

    def show(outcome: Outcome) -> None:
        if args.json:
            out.write(json.dumps({"type": "outcome", **outcome.to_record()}) + "\n")
            out.flush()
        elif config.dry_run and not args.quiet:
            for rule_id, rule in outcome.revoked:
                out.write(f"would revoke  {outcome.target.key}  {rule_id}  {rule}\n")

    quiet = args.json or args.quiet
    progress = make_progress(err, "none" if quiet else "auto")
    try:
        summary = FleetRunner(config, on_outcome=show, progress=progress).run()
    except FleetInterrupted as e:
        summary = e.summary
    finally:
        progress.close()
    if args.json:
        out.write(json.dumps({"type": "summary", **summary.to_dict()}) + "\n")
    else:
        out.write(str(summary) + "\n")
    if summary.interrupted:
        return 130
    return 0 if summary.ok else 3

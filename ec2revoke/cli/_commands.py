"""The commands: ``revoke-security-group-ingress|egress`` as the AWS CLI runs them, and
``revoke-matching``, which lists what would go before anything goes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, TextIO

from ec2revoke import Rule, codec, shapes
from ec2revoke._errors import EC2Error, ParamValidationError, ResponseError, TransportError
from ec2revoke._results import DryRunResult
from ec2revoke._revoke.report import Direction, FoundRule, Prediction, RevokeReport
from ec2revoke._wire.validate import validate
from ec2revoke.cli import _output, _skeleton
from ec2revoke.cli._config import Settings
from ec2revoke.cli._exits import EXIT_INCOMPLETE, EXIT_SERVICE
from ec2revoke.cli._options import EGRESS, INGRESS, OPERATIONS, REQUESTS, UsageError
from ec2revoke.cli._params import (
    FLAT_OPTIONS,
    ParamError,
    Params,
    decode,
    flat_permission,
    input_document,
    member_path,
    model_options,
    read_reference,
    require_yaml,
    unpack,
)
from ec2revoke.cli._patterns import pattern_peers, pattern_port


def _with_files(raw: Any, option: str) -> Any:
    """A value with its file:// or fileb:// reference read (lists: only a single value)."""
    if isinstance(raw, list):
        if len(raw) == 1:
            loaded = read_reference(raw[0], option)
            return raw if loaded is None else loaded
        return raw
    loaded = read_reference(raw, option)
    return raw if loaded is None else loaded


def collect(args: argparse.Namespace) -> Params:
    """The request parameters the options give, before --cli-input-json/yaml."""
    params = Params()
    for option in model_options(REQUESTS[args.command]):
        raw = getattr(args, option.member.field)
        if raw is not None:
            params.set(
                option.member.name, unpack(option, _with_files(raw, option.option)), option.option
            )
    if args.dry_run is not None:
        params.set("DryRun", args.dry_run, "--dry-run" if args.dry_run else "--no-dry-run")
    flat: dict[str, str] = {}
    for flag in FLAT_OPTIONS:
        raw = getattr(args, "flat_" + flag[2:].replace("-", "_"))
        value = None if raw is None else _with_files(raw, flag)
        if isinstance(value, bytes):
            raise ParamError(flag, "fileb:// gives bytes; this parameter takes text: use file://")
        if value:
            flat[flag] = value
    if flat:
        if args.ip_permissions:
            first = next(iter(flat))
            raise ParamError(
                first, f"The {first} option is not compatible with the --ip-permissions option"
            )
        params.set("IpPermissions", [flat_permission(flat)], next(iter(flat)))
    return params


def _merge_input(args: argparse.Namespace, params: Params) -> None:
    for option, value in (
        ("--cli-input-json", args.cli_input_json),
        ("--cli-input-yaml", args.cli_input_yaml),
    ):
        if value is not None:
            for key, item in input_document(option, value).items():
                if key not in params.values:  # the command line wins
                    params.set(key, item, option)


def _require_group(args: argparse.Namespace, params: Params) -> None:
    if "GroupId" in params.values:
        return
    if args.command == INGRESS:
        if "GroupName" not in params.values:
            raise UsageError(
                f"ec2revoke {args.command}",
                "give --group-id (or, for a group in the default VPC, --group-name)",
            )
        return
    raise UsageError(
        f"ec2revoke {args.command}", "the following arguments are required: --group-id"
    )


def _library_error(error: ParamValidationError, operation: str, params: Params) -> ParamError:
    """A check of the library's, named by the option the parameter came from."""
    text = str(error).removeprefix(operation + ": ")
    where, _, problem = text.partition(": ")
    if not problem:
        return ParamError(next(iter(params.sources.values()), "--cli-input-json"), text)
    shape = REQUESTS_BY_OPERATION[operation]
    # ``where`` is a path (ip_permissions[0].ip_ranges[0].cidr_ip) or a list of fields.
    paths = [member_path(shape, part.strip()) for part in where.split(",")]
    option = next((o for o in map(params.source_of, paths) if o), None)
    return ParamError(option or "--cli-input-json", f"{', '.join(paths)}: {problem}")


REQUESTS_BY_OPERATION = {OPERATIONS[c]: r for c, r in REQUESTS.items()}


def run_revoke(
    args: argparse.Namespace, settings: Settings, query: Any, out: TextIO, err: TextIO
) -> int:
    """``revoke-security-group-ingress|egress``: send the request, print EC2's answer."""
    operation = args.operation
    params = collect(args)
    if args.generate_cli_skeleton == "input":
        out.write(_skeleton.input_json(operation))
        return 0
    if args.generate_cli_skeleton == "yaml-input":
        out.write(
            _skeleton.input_yaml(operation, require_yaml("--generate-cli-skeleton yaml-input"))
        )
        return 0
    _merge_input(args, params)
    _require_group(args, params)
    request_type = getattr(shapes, REQUESTS[args.command])
    request = decode(request_type, params)
    output = settings.output()
    color = settings.color(out)
    if args.generate_cli_skeleton == "output":
        try:
            codec.to_query(request)
            validate(operation, request)
        except ParamValidationError as e:
            raise _library_error(e, operation, params) from None
        _output.render(
            _skeleton.output_sample(operation),
            out,
            output=output,
            query=query,
            title=operation,
            color=color,
        )
        return 0
    with settings.client() as client:
        method = getattr(client, SERVICE_METHODS[operation])
        try:
            result = method(request)
        except ParamValidationError as e:
            raise _library_error(e, operation, params) from None
    if isinstance(result, DryRunResult):
        answer = {"DryRun": True, "Operation": operation, "Message": result.message}
        if result.request_id:
            answer["RequestId"] = result.request_id
        _output.render(answer, out, output=output, query=query, title=operation, color=color)
        return 0
    _output.render(
        codec.to_dict(result), out, output=output, query=query, title=operation, color=color
    )
    unknown = result.unknown_ip_permissions or ()
    if unknown:
        listed = "; ".join(_describe_permission(p) for p in unknown)
        err.write(
            f"\nEC2 did not revoke {len(unknown)} of the rules asked for (UnknownIpPermissions): "
            f"{listed}. They do not match a rule of the group exactly; nothing else was left.\n"
        )
        return EXIT_INCOMPLETE
    if result.return_ is not True:
        err.write(
            f"\nEC2 answered Return={result.return_}: no rule is known to have been revoked.\n"
        )
        return EXIT_INCOMPLETE
    return 0


SERVICE_METHODS = {
    "RevokeSecurityGroupIngress": "revoke_security_group_ingress",
    "RevokeSecurityGroupEgress": "revoke_security_group_egress",
}


def _describe_permission(permission: shapes.IpPermission) -> str:
    try:
        return "; ".join(str(r) for r in Rule.from_ip_permission(permission))
    except ParamValidationError:
        import json

        return json.dumps(codec.to_dict(permission))


# -- revoke-matching ------------------------------------------------------------------------------


def run_matching(
    args: argparse.Namespace, settings: Settings, query: Any, out: TextIO, err: TextIO
) -> int:
    """``revoke-matching``: list the rules that allow the traffic, then revoke them by ID.

    The summary goes to stdout whatever happens: when a step fails after rules went, it
    says what went before the error is raised.
    """
    port = pattern_port(args)
    direction: Direction = "egress" if args.egress else "ingress"
    patterns = [Rule(port, peer, egress=args.egress) for peer in pattern_peers(args)]
    group = args.group_id or args.group_name
    output, color = settings.output(), settings.color(out)
    wanted = " or ".join(str(r) for r in patterns)
    with settings.client() as client:
        found = client.find_rules(group, patterns, direction=direction)
        if not found:
            err.write(f"No {direction} rule of {group} allows {wanted}.\n")
        else:
            err.write(f"{direction.capitalize()} rules of {group} that allow {wanted}:\n")
            for f in found:
                err.write(f"  {f.rule_id}  {f.rule}\n")
            err.write(
                "Dry run: nothing revoked.\n"
                if args.dry_run
                else f"Revoking {len(found)} rule(s)...\n"
            )
        summary = _Summary(group, direction, bool(args.dry_run), found)
        if found:
            try:
                report = client.revoke_found(
                    found,
                    verify=args.verify,
                    verify_timeout=args.verify_timeout,
                    dry_run=args.dry_run,
                )
            except EC2Error as error:
                summary.failed(error)
                summary.render(out, output, query, color, verify=args.verify)
                raise
            summary.add(report)
        summary.render(out, output, query, color, verify=args.verify)
    if summary.denied:
        err.write(
            f"\nDry run: IAM does not allow {OPERATIONS[INGRESS if direction == 'ingress' else EGRESS]}"
            f" on {group} (UnauthorizedOperation): the revoke would fail\n"
        )
        return EXIT_SERVICE
    return 0


class _Summary:
    """revoke-matching's output: each rule found, and what became of it."""

    def __init__(
        self, group: str, direction: Direction, dry_run: bool, found: Sequence[FoundRule]
    ) -> None:
        self.head: dict[str, Any] = {"Group": group, "Direction": direction, "DryRun": dry_run}
        self.rules = {f.rule_id: str(f.rule) for f in found}
        # Until EC2's answer says otherwise, nothing has gone.
        self.outcome = dict.fromkeys(self.rules, "would revoke" if dry_run else "NOT revoked")
        self.verified = False
        self.denied = False
        self.prediction: Prediction | None = None

    def add(self, report: RevokeReport) -> None:
        """What a report says of each rule."""
        for outcome, _, rule_id in report.lines():
            if rule_id in self.outcome:
                self.outcome[rule_id] = outcome
        self.verified = report.verified
        self.prediction = report.prediction
        self.denied = report.prediction is not None and report.prediction.permitted is False

    def failed(self, error: EC2Error) -> None:
        """What is known when a step failed: its report, or whether the request got through."""
        if error.report is not None:
            self.add(error.report)
        elif isinstance(error, (TransportError, ResponseError)):
            # The request may have reached EC2: whether it acted is not known.
            for rule_id in self.outcome:
                self.outcome[rule_id] = "unknown (the request did not complete)"

    def render(self, out: TextIO, output: str, query: Any, color: bool, *, verify: bool) -> None:
        summary = dict(self.head)
        summary["Rules"] = [
            {"SecurityGroupRuleId": rule_id, "Rule": text, "Outcome": self.outcome[rule_id]}
            for rule_id, text in self.rules.items()
        ]
        if verify and not self.head["DryRun"] and self.rules:
            summary["Verified"] = self.verified
        if self.prediction is not None:
            summary["PermittedByIam"] = self.prediction.permitted
        _output.render(
            summary, out, output=output, query=query, title="RevokeMatching", color=color
        )

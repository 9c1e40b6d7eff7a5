"""``ec2revoke fleet``: its options, its errors, its output modes against the local
endpoint, and the progress display with and without tqdm."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ec2revoke import Rule, shapes
from ec2revoke.cli._fleet import config_from_args
from ec2revoke.cli._main import run
from ec2revoke.cli._options import build_parser
from ec2revoke.fleet import (
    Account,
    Journal,
    NoProgress,
    Outcome,
    PlainProgress,
    RevokeMatching,
    RevokeRuleIds,
    RevokeRules,
    Target,
    TqdmProgress,
    make_progress,
)
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

PATTERN = ["--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0"]
REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture(autouse=True)
def aws_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials from the environment; no config file, profile or region of the machine's."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_EC2", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")


def parse(*argv: str) -> object:
    return config_from_args(build_parser().parse_args(list(argv)))


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# -- options ---------------------------------------------------------------------------


def test_every_option_reaches_the_config() -> None:
    config = parse(
        "fleet", "--profile", "a", "--profile", "b", "--region", "us-east-1",
        "--region", "all", "--group-id", "sg-1", "--group-id", "sg-2",
        "--filter", "Name=vpc-id,Values=vpc-1,vpc-2", "--filter", "Name=group-name,Values=web",
        *PATTERN, "--cidr", "::/0", "--dry-run", "--journal", "j.jsonl", "--concurrency", "8",
        "--rate-scale", "2.5", "--json", "--partition", "aws-cn",
        "--endpoint-url", "http://127.0.0.1:1/{region}", "--sts-endpoint-url", "http://sts",
    )  # fmt: skip
    assert config.accounts == [Account(profile="a"), Account(profile="b")]  # type: ignore[attr-defined]
    assert config.regions == ["us-east-1", "all"]  # type: ignore[attr-defined]
    assert config.partition == "aws-cn"  # type: ignore[attr-defined]
    assert config.group_ids == ["sg-1", "sg-2"]  # type: ignore[attr-defined]
    assert config.filters == [  # type: ignore[attr-defined]
        shapes.Filter(name="vpc-id", values=["vpc-1", "vpc-2"]),
        shapes.Filter(name="group-name", values=["web"]),
    ]
    assert config.action == RevokeMatching(  # type: ignore[attr-defined]
        [Rule.tcp(22).from_any_ipv4(), Rule.tcp(22).from_any_ipv6()], "ingress"
    )
    assert config.dry_run is True  # type: ignore[attr-defined]
    assert config.journal == "j.jsonl"  # type: ignore[attr-defined]
    assert config.concurrency == 8  # type: ignore[attr-defined]
    assert config.limits.scale == 2.5  # type: ignore[attr-defined]
    assert config.endpoint_url == "http://127.0.0.1:1/{region}"  # type: ignore[attr-defined]
    assert config.sts_endpoint_url == "http://sts"  # type: ignore[attr-defined]


def test_roles_are_assumed_from_the_profile() -> None:
    config = parse(
        "fleet", "--profile", "org", "--role-arn", "arn:aws:iam::111111111111:role/Fix",
        "--role-arn", "arn:aws:iam::222222222222:role/Fix", "--external-id", "x-1",
        "--role-session-name", "me", "--region", "us-east-1", *PATTERN,
    )  # fmt: skip
    assert [(a.profile, a.role_arn, a.external_id, a.session_name) for a in config.accounts] == [  # type: ignore[attr-defined]
        ("org", "arn:aws:iam::111111111111:role/Fix", "x-1", "me"),
        ("org", "arn:aws:iam::222222222222:role/Fix", "x-1", "me"),
    ]


def test_the_action_follows_the_options() -> None:
    exact = parse("fleet", "--region", "us-east-1", *PATTERN, "--exact", "--egress")
    assert exact.action == RevokeRules([Rule.tcp(22).to_any_ipv4()], "egress")  # type: ignore[attr-defined]
    ids = parse("fleet", "--region", "us-east-1", "--rule-id", "sgr-1", "--rule-id", "sgr-2")
    assert ids.action == RevokeRuleIds(["sgr-1", "sgr-2"], "ingress")  # type: ignore[attr-defined]


def test_global_options_before_the_command_and_defaults() -> None:
    config = parse("--region", "eu-west-1", "--profile", "p", "fleet", *PATTERN, "--no-verify-ssl")
    assert config.regions == ["eu-west-1"]  # type: ignore[attr-defined]
    assert config.accounts == [Account(profile="p")]  # type: ignore[attr-defined]
    assert config.verify is False  # type: ignore[attr-defined]
    defaults = parse("fleet", "--region", "us-east-1", *PATTERN, "--ca-bundle", "ca.pem")
    assert defaults.accounts == [Account()]  # type: ignore[attr-defined]
    assert defaults.verify == "ca.pem"  # type: ignore[attr-defined]
    assert defaults.concurrency is None  # type: ignore[attr-defined]
    assert defaults.dry_run is False  # type: ignore[attr-defined]
    assert defaults.journal is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--profile", "a", "--profile", "b", "--role-arn", "arn:aws:iam::1:role/x"], "--role-arn"),
        (["--region", "us-east-1"], "--protocol"),
        (["--region", "us-east-1", "--rule-id", "sgr-1", *PATTERN], "--rule-id"),
        (["--region", "us-east-1", "--concurrency", "0", *PATTERN], "--concurrency"),
        (["--region", "us-east-1", "--filter", "vpc-1", *PATTERN], "--filter"),
        (["--region", "us-east-1", "--quiet", "--json", *PATTERN], "--json"),
        (["--region", "us-east-1", "--protocol", "tcp", "--cidr", "0.0.0.0/0"], "--port"),
        (["--region", "us-east-1", "--rate-scale", "0", *PATTERN], "--rate-scale"),
        ([*PATTERN], "--region"),
    ],
)
def test_bad_options_exit_252_naming_the_option(argv: list[str], option: str) -> None:
    code, out, err = cli("fleet", *argv)
    assert code == 252, err
    assert option in err
    assert out == ""


def test_a_bad_role_arn_is_a_configuration_error() -> None:
    code, _, err = cli(
        "fleet", "--role-arn", "arn:aws:iam::1:user/x", "--region", "us-east-1", *PATTERN
    )
    assert code == 253
    assert "not an IAM role ARN" in err


# -- runs ------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ThrottlingServer]:
    with ThrottlingServer(scale=40) as s:
        yield s


def endpoint_options(server: ThrottlingServer) -> list[str]:
    options = ["--endpoint-url", server.endpoint_template, "--sts-endpoint-url", server.sts_url]
    for region in REGIONS:
        options += ["--region", region]
    return [*options, "--rate-scale", "40"]


def test_json_mode_prints_each_outcome_then_the_summary(server: ThrottlingServer) -> None:
    expected = server.populate(REGIONS, 30)
    code, out, err = cli("fleet", *endpoint_options(server), *PATTERN, "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["type"] for line in lines] == ["outcome"] * 60 + ["summary"]
    assert {x["id"] for line in lines[:-1] for x in line["revoked"]} == expected
    assert {line["account"] for line in lines[:-1]} == {DEFAULT_ACCOUNT}
    summary = lines[-1]
    assert (summary["targets"], summary["revoked"], summary["failures"]) == (60, len(expected), [])
    assert err == ""  # no progress in machine-readable mode
    assert set(server.revokes) == expected


def test_dry_run_lists_what_would_go(server: ThrottlingServer) -> None:
    expected = server.populate(REGIONS, 10)
    code, out, err = cli("fleet", *endpoint_options(server), *PATTERN, "--dry-run")
    assert code == 0, err
    listed = [line.split()[3] for line in out.splitlines() if line.startswith("would revoke")]
    assert sorted(listed) == sorted(expected)
    assert "20 planned (dry run)" in out
    assert f"rules would be revoked: {len(expected)}" in out
    assert "fleet: 20/20 groups" in err  # the plain progress line when not on a terminal
    assert not server.revokes


def test_failures_exit_3_with_their_reasons(server: ThrottlingServer, tmp_path: Path) -> None:
    server.populate(REGIONS, 5)
    denied = next(iter(server.groups[(DEFAULT_ACCOUNT, "eu-west-1")]))
    server.group(denied).deny = True
    journal = tmp_path / "j.jsonl"
    code, out, _ = cli(
        "fleet", *endpoint_options(server), *PATTERN, "--quiet", "--journal", str(journal)
    )
    assert code == 3
    assert "10 group(s): 9 done, 1 failed" in out
    assert f"failed: {DEFAULT_ACCOUNT}/eu-west-1/{denied}: UnauthorizedOperation" in out
    # Fixed, and run again with the journal: only the failed group is tried again.
    server.group(denied).deny = False
    code, out, _ = cli(
        "fleet", *endpoint_options(server), *PATTERN, "--quiet", "--journal", str(journal)
    )
    assert code == 0, out
    assert "(9 done in an earlier run)" in out


def test_a_resume_with_a_narrower_group_id_exits_253_saying_what_differs(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS, 5)
    ours = sorted(server.groups[(DEFAULT_ACCOUNT, REGIONS[0])])[:3]
    journal = ["--journal", str(tmp_path / "j.jsonl")]
    chosen = [a for g in ours for a in ("--group-id", g)]
    code, out, err = cli("fleet", *endpoint_options(server), *PATTERN, *chosen, *journal, "--quiet")
    assert code == 0, err
    sent = server.requests["RevokeSecurityGroupIngress"]
    code, out, err = cli(
        "fleet", *endpoint_options(server), *PATTERN, "--group-id", ours[1], *journal, "--quiet"
    )
    assert code == 253, err
    assert f"journal was made for --group-id {' '.join(ours)}" in err
    assert f"this run asks for --group-id {ours[1]}" in err
    assert "new --journal path" in err
    assert out == ""
    assert server.requests["RevokeSecurityGroupIngress"] == sent


def test_a_journal_that_cannot_be_written_exits_253(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS, 2)
    code, _out, err = cli("fleet", *endpoint_options(server), *PATTERN, "--journal", str(tmp_path))
    assert code == 253, err
    assert str(tmp_path) in err
    assert "Error:" not in err  # no raw IsADirectoryError/PermissionError
    assert not server.requests


def test_a_second_runner_on_a_journal_in_use_exits_253(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS, 2)
    path = tmp_path / "j.jsonl"
    with Journal.open(path):  # another runner holds it
        code, _out, err = cli("fleet", *endpoint_options(server), *PATTERN, "--journal", str(path))
    assert code == 253, err
    assert "in use" in err
    assert str(path) in err
    assert not server.requests


def test_one_target_answered_with_an_unreadable_body_fails_alone_exit_3(tmp_path: Path) -> None:
    from tests.test_fleet_run import BOGUS_HTML, OddBodies

    with OddBodies({}, scale=40) as server:
        expected = server.populate(REGIONS, 20)
        odd = next(
            g for g, rules in server.snapshot().items() if any(r[0] in expected for r in rules)
        )
        server.odd = {odd: (503, BOGUS_HTML)}
        code, out, err = cli(
            "fleet", *endpoint_options(server), *PATTERN, "--quiet",
            "--journal", str(tmp_path / "j.jsonl"),
        )  # fmt: skip
        assert code == 3, err
        assert "40 group(s): 39 done, 1 failed" in out
        assert f"failed: {DEFAULT_ACCOUNT}/" in out
        assert odd in out


# -- progress --------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


OUTCOME = Outcome(Target(DEFAULT_ACCOUNT, "us-east-1", "sg-1"), "done", (("sgr-1", "r"),))


def test_a_terminal_gets_a_tqdm_bar() -> None:
    screen = Terminal()
    progress = make_progress(screen)
    assert isinstance(progress, TqdmProgress)
    progress.add_total(2)
    progress.advance(OUTCOME)
    progress.advance(Outcome(OUTCOME.target, "failed", error={"code": "X", "message": ""}))
    progress.close()
    assert "2/2" in screen.getvalue()
    assert "failed=1" in screen.getvalue()


def test_without_tqdm_or_rich_a_terminal_gets_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "rich", None)
    screen = Terminal()
    progress = make_progress(screen)
    assert isinstance(progress, PlainProgress)
    progress.add_total(3)
    progress.advance(OUTCOME)
    progress.close()
    assert "fleet: 1/3 groups, 0 failed, 1 rules revoked" in screen.getvalue()


def test_plain_lines_come_at_most_every_interval() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=3600)
    progress.add_total(100)
    for _ in range(100):
        progress.advance(OUTCOME)
    assert stream.getvalue() == ""
    progress.close()
    assert stream.getvalue().count("\n") == 1
    assert isinstance(make_progress(stream), PlainProgress)  # not a terminal
    assert isinstance(make_progress(stream, "none"), NoProgress)


def test_the_region_defaults_to_the_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "config"
    config_file.write_text("[profile dev]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    config = parse("fleet", "--profile", "dev", *PATTERN)
    assert config.regions == ["eu-west-1"]  # type: ignore[attr-defined]
    code, _, err = cli("fleet", "--profile", "nope", *PATTERN)
    assert code == 253
    assert "'nope'" in err

"""A journal remembers the scope it was made for (accounts, regions, group IDs, filters,
partition, endpoints): a resume with another scope is refused before anything is sent,
and one with the same scope, however ordered, finishes the run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ec2revoke import Rule, StaticCredentials, shapes
from ec2revoke.fleet import (
    Account,
    FleetConfig,
    FleetRunner,
    JournalError,
    Outcome,
    RateLimits,
    RevokeMatching,
)
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

REGIONS = ["us-east-1", "eu-west-1"]
STATIC = StaticCredentials("AKIDEXAMPLE", "secret")
SCALE = 40.0


@pytest.fixture
def server() -> Iterator[ThrottlingServer]:
    with ThrottlingServer(scale=SCALE) as s:
        yield s


def config(server: ThrottlingServer, **changes: Any) -> FleetConfig:
    settings: dict[str, Any] = {
        "action": RevokeMatching([Rule.tcp(22).from_any_ipv4()]),
        "regions": REGIONS,
        "accounts": [Account(credentials=STATIC, account_id=DEFAULT_ACCOUNT)],
        "endpoint_url": server.endpoint_template,
        "sts_endpoint_url": server.sts_url,
        "limits": RateLimits(scale=SCALE),
    }
    settings.update(changes)
    return FleetConfig(**settings)


def groups_of(server: ThrottlingServer, region: str) -> list[str]:
    return list(server.groups[(DEFAULT_ACCOUNT, region)])


def interrupted_run(first: FleetConfig) -> None:
    """Run ``first`` one target at a time and stop it after two outcomes: every lane is
    listed (complete) in the journal, most of its targets still to do."""
    runner: FleetRunner
    seen: list[Outcome] = []

    def stop_soon(outcome: Outcome) -> None:
        seen.append(outcome)
        if len(seen) >= 2:
            runner.stop()

    runner = FleetRunner(first, on_outcome=stop_soon)
    assert runner.run().interrupted


def revoke_requests(server: ThrottlingServer) -> int:
    return sum(n for action, n in server.requests.items() if action.startswith("Revoke"))


def test_a_narrower_group_id_resume_is_refused_and_revokes_nothing(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS[:1], 20)
    wanted = groups_of(server, REGIONS[0])
    path = tmp_path / "j.jsonl"
    interrupted_run(
        config(server, regions=REGIONS[:1], group_ids=wanted, journal=path, concurrency=1)
    )
    sent, before = revoke_requests(server), path.read_bytes()
    with pytest.raises(JournalError) as caught:
        FleetRunner(config(server, regions=REGIONS[:1], group_ids=wanted[:1], journal=path)).run()
    message = str(caught.value)
    assert "group IDs" in message
    assert "--group-id" in message
    assert f"--group-id {' '.join(sorted(wanted))}" in message  # the journal's scope
    assert f"this run asks for --group-id {wanted[0]}" in message
    assert "new --journal path" in message
    assert f"remove {path}" in message
    assert revoke_requests(server) == sent
    assert path.read_bytes() == before  # a refused run writes nothing


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"filters": [shapes.Filter(name="vpc-id", values=["vpc-00000001"])]}, "--filter"),
        ({"regions": REGIONS[:1]}, "--region"),
        ({"partition": "aws-cn"}, "--partition"),
        (
            {"accounts": [Account(credentials=STATIC, account_id="210987654321")]},
            "accounts",
        ),
    ],
    ids=["a-filter", "fewer-regions", "another-partition", "another-account"],
)
def test_any_other_scope_is_refused_naming_what_differs(
    server: ThrottlingServer, tmp_path: Path, change: dict[str, Any], named: str
) -> None:
    server.populate(REGIONS, 20)
    path = tmp_path / "j.jsonl"
    interrupted_run(config(server, journal=path, concurrency=1))
    sent = revoke_requests(server)
    with pytest.raises(JournalError, match="another scope") as caught:
        FleetRunner(config(server, journal=path, **change)).run()
    assert named in str(caught.value)
    assert revoke_requests(server) == sent


def test_a_narrower_filter_resume_is_refused(server: ThrottlingServer, tmp_path: Path) -> None:
    server.populate(REGIONS, 30)
    vpcs = shapes.Filter(name="vpc-id", values=["vpc-00000000", "vpc-00000001", "vpc-00000002"])
    path = tmp_path / "j.jsonl"
    interrupted_run(config(server, filters=[vpcs], journal=path, concurrency=1))
    sent = revoke_requests(server)
    narrower = shapes.Filter(name="vpc-id", values=["vpc-00000000"])
    with pytest.raises(JournalError) as caught:
        FleetRunner(config(server, filters=[narrower], journal=path)).run()
    message = str(caught.value)
    assert "--filter Name=vpc-id,Values=vpc-00000000,vpc-00000001,vpc-00000002" in message
    assert "this run asks for --filter Name=vpc-id,Values=vpc-00000000" in message
    assert revoke_requests(server) == sent


def test_another_endpoint_is_refused_rather_than_reported_done(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with ThrottlingServer(scale=SCALE) as first, ThrottlingServer(scale=SCALE) as other:
        expected = first.populate(REGIONS, 20)
        assert other.populate(REGIONS, 20) == expected  # same IDs, another endpoint
        FleetRunner(config(first, journal=path)).run()
        with pytest.raises(JournalError) as caught:
            FleetRunner(config(other, journal=path)).run()
        message = str(caught.value)
        assert "endpoint" in message
        assert first.url in message
        assert other.url in message
        assert not other.requests  # refused before a single call
        assert set(first.revokes) == expected


def test_another_account_behind_the_same_credentials_is_refused(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS, 10)
    server.populate(REGIONS, 10, account="210987654321")
    path = tmp_path / "j.jsonl"
    by_caller = [Account(credentials=STATIC)]  # the account ID comes from STS
    interrupted_run(config(server, accounts=by_caller, journal=path, concurrency=1))
    sent = revoke_requests(server)
    server.accounts["AKIDEXAMPLE"] = "210987654321"  # the same key now acts in another account
    with pytest.raises(JournalError) as caught:
        FleetRunner(config(server, accounts=by_caller, journal=path)).run()
    message = str(caught.value)
    assert DEFAULT_ACCOUNT in message
    assert "210987654321" in message
    assert revoke_requests(server) == sent


def test_the_same_scope_in_another_order_with_repeats_resumes(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    expected = server.populate(REGIONS, 20)
    wanted = groups_of(server, REGIONS[0]) + groups_of(server, REGIONS[1])
    vpcs = [shapes.Filter(name="vpc-id", values=[f"vpc-{n:08x}" for n in range(7)])]
    path = tmp_path / "j.jsonl"
    interrupted_run(config(server, group_ids=wanted, filters=vpcs, journal=path, concurrency=1))
    shuffled = [
        shapes.Filter(name="vpc-id", values=[f"vpc-{n:08x}" for n in (6, 5, 4, 3, 2, 1, 0, 0)])
    ]
    again = config(
        server,
        regions=[*reversed(REGIONS), REGIONS[0]],
        group_ids=[*reversed(wanted), wanted[0]],
        filters=shuffled,
        journal=path,
    )
    summary = FleetRunner(again).run()
    assert summary.ok, summary
    assert summary.skipped >= 2
    assert summary.targets == 40
    assert set(server.revokes) == expected
    assert set(server.revokes.values()) == {1}


def test_an_old_journal_without_a_scope_is_refused(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS[:1], 10)
    path = tmp_path / "old.jsonl"
    action = RevokeMatching([Rule.tcp(22).from_any_ipv4()])
    old = [
        {"event": "run", "action": action.describe(), "dry_run": False},
        {
            "event": "planned",
            "account": DEFAULT_ACCOUNT,
            "region": REGIONS[0],
            "groups": groups_of(server, REGIONS[0]),
            "complete": True,
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in old))
    with pytest.raises(JournalError) as caught:
        FleetRunner(config(server, regions=REGIONS[:1], journal=path)).run()
    message = str(caught.value)
    assert "version 1" in message
    assert "scope" in message
    assert "new --journal path" in message
    assert not server.requests


def test_credentials_in_the_endpoint_url_stay_out_of_the_journal(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    expected = server.populate(REGIONS[:1], 5)
    path = tmp_path / "j.jsonl"
    secret_url = server.endpoint_template.replace("http://", "http://admin:pa55word@")
    summary = FleetRunner(
        config(server, regions=REGIONS[:1], endpoint_url=secret_url, journal=path)
    ).run()
    assert summary.ok, summary
    assert set(server.revokes) == expected
    text = path.read_text()
    assert "pa55word" not in text
    assert "admin" not in text
    header = json.loads(text.splitlines()[0])
    assert header["scope"]["endpoints"] == {REGIONS[0]: f"{server.url}/{REGIONS[0]}"}
    # The same endpoint with other credentials in its URL is the same scope.
    other = server.endpoint_template.replace("http://", "http://someone:else@")
    again = FleetRunner(config(server, regions=REGIONS[:1], endpoint_url=other, journal=path))
    assert again.run().skipped == 5

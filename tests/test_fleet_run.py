"""The fleet runner end to end against the throttling endpoint: exactly-once revokes over a
thousand groups, dry runs, throttles survived, failures reported, resumes that end where
an uninterrupted run ends."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from ec2revoke import Rule, StaticCredentials
from ec2revoke.fleet import (
    Account,
    FleetConfig,
    FleetRunner,
    JournalError,
    Outcome,
    RateLimits,
    RevokeMatching,
    RevokeRules,
)
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
SSH = Rule.tcp(22).from_any_ipv4()
STATIC = StaticCredentials("AKIDEXAMPLE", "secret")
SCALE = 40.0  # the endpoint's buckets, and ours, refill 40 times faster than EC2's


@pytest.fixture
def server() -> Iterator[ThrottlingServer]:
    with ThrottlingServer(scale=SCALE) as s:
        yield s


def config(server: ThrottlingServer, **changes: Any) -> FleetConfig:
    settings: dict[str, Any] = {
        "action": RevokeMatching([SSH]),
        "regions": REGIONS,
        "accounts": [Account(credentials=STATIC, account_id=DEFAULT_ACCOUNT)],
        "endpoint_url": server.endpoint_template,
        "sts_endpoint_url": server.sts_url,
        "limits": RateLimits(scale=SCALE),
    }
    settings.update(changes)
    return FleetConfig(**settings)


def journal(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def outcomes(path: Path) -> dict[str, tuple[Any, ...]]:
    """Each target's last outcome in a journal, in a comparable form."""
    final = {}
    for r in journal(path):
        if r["event"] == "done":
            final[r["target"]] = (
                r["status"],
                sorted(x["id"] for x in r["revoked"]),
                sorted(r["already_absent"]),
                sorted(r["unknown"]),
                (r.get("error") or {}).get("code"),
            )
    return final


def untouched(before: dict[str, list[tuple[Any, ...]]], gone: set[str]) -> dict[str, Any]:
    return {g: [r for r in rules if r[0] not in gone] for g, rules in before.items()}


def test_every_revoke_happens_exactly_once_over_a_thousand_groups(tmp_path: Path) -> None:
    # Slower buckets here: the endpoint's limit, not the test machine, sets the pace.
    with ThrottlingServer(scale=12) as server:
        expected = server.populate(REGIONS, 350)
        before = server.snapshot()
        path = tmp_path / "fleet.jsonl"
        seen: list[Outcome] = []
        runner = FleetRunner(
            config(server, journal=path, limits=RateLimits(scale=12)), on_outcome=seen.append
        )
        summary = runner.run()
    check_thousand(server, expected, before, path, summary, seen)


def check_thousand(
    server: ThrottlingServer,
    expected: set[str],
    before: dict[str, list[tuple[Any, ...]]],
    path: Path,
    summary: Any,
    seen: list[Outcome],
) -> None:

    assert summary.ok, summary
    assert (summary.targets, summary.done, summary.failed) == (1050, 1050, 0)
    assert summary.revoked == len(expected) > 700
    # The endpoint removed every expected rule once, and nothing else.
    assert set(server.revokes) == expected
    assert set(server.revokes.values()) == {1}
    assert server.snapshot() == untouched(before, expected)
    assert not server.errors
    # One read per group; one revoke per group that had something to revoke.
    with_ssh = {g for g, rules in before.items() if any(r[0] in expected for r in rules)}
    assert server.requests["DescribeSecurityGroupRules"] == 1050
    revoke_calls = server.requests["RevokeSecurityGroupIngress"]
    assert revoke_calls - server.throttled["RevokeSecurityGroupIngress"] == len(with_ssh)
    # Paced: EC2 hardly ever had to say no.
    assert sum(server.throttled.values()) <= 0.05 * sum(server.requests.values())
    assert summary.requests == sum(server.requests.values())
    # The journal accounts for every target: planned, started when there was work, done.
    records = journal(path)
    planned = [g for r in records if r["event"] == "planned" for g in r["groups"]]
    assert sorted(planned) == sorted(before)
    done = Counter(r["target"] for r in records if r["event"] == "done")
    assert len(done) == 1050
    assert set(done.values()) == {1}
    started = {r["target"].rsplit("/", 1)[1] for r in records if r["event"] == "started"}
    assert started == with_ssh
    journaled = {x["id"] for r in records if r["event"] == "done" for x in r["revoked"]}
    assert journaled == expected
    assert {o.target.key for o in seen} == set(done)


def test_a_dry_run_lists_what_would_go_and_changes_nothing(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    expected = server.populate(REGIONS, 40)
    before = server.snapshot()
    path = tmp_path / "plan.jsonl"
    summary = FleetRunner(config(server, dry_run=True, journal=path)).run()
    assert server.snapshot() == before
    assert not server.requests["RevokeSecurityGroupIngress"]
    assert (summary.dry_run, summary.revoked, summary.done) == (120, len(expected), 0)
    final = outcomes(path)
    assert {s[0] for s in final.values()} == {"dry-run"}
    assert {i for s in final.values() for i in s[1]} == expected
    # A plan's journal cannot be resumed as a real run by mistake.
    with pytest.raises(JournalError, match="another run"):
        FleetRunner(config(server, journal=path)).run()
    assert not server.requests["RevokeSecurityGroupIngress"]


def test_when_ec2_throttles_anyway_the_runner_backs_off_and_loses_nothing() -> None:
    # The endpoint allows a tenth of what the runner believes (20 revokes/s after the
    # burst): throttles are certain even on a machine too loaded to send at 50/s.
    with ThrottlingServer(scale=4) as server:
        expected = server.populate(REGIONS[:2], 150)
        summary = FleetRunner(config(server, regions=REGIONS[:2])).run()
        assert server.throttled["RevokeSecurityGroupIngress"] > 0
        assert summary.throttled == sum(server.throttled.values())
        assert summary.ok, summary
        assert set(server.revokes) == expected
        assert set(server.revokes.values()) == {1}


def test_failures_and_rules_unknown_to_ec2_are_reported_with_reasons(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    server.populate(REGIONS[:2], 12)
    ssh_rules = {
        g: r[0]
        for g, rules in server.snapshot().items()
        for r in rules
        if r[1:] == ("False", "tcp", "22", "22", "0.0.0.0/0")
    }
    denied, unknown, fine = list(ssh_rules)[:3]
    server.group(denied).deny = True
    server.group(unknown).unknown = True
    path = tmp_path / "j.jsonl"
    wanted = [denied, unknown, fine, "sg-0000000000000dead"]
    summary = FleetRunner(
        config(server, action=RevokeRules([SSH]), group_ids=wanted, journal=path)
    ).run()
    assert not server.errors
    assert not summary.ok
    assert summary.targets == 3
    assert (summary.done, summary.failed, summary.revoked, summary.unknown) == (2, 1, 1, 1), summary
    codes = {(w.rsplit("/", 1)[-1], c) for w, c, _ in summary.failures}
    assert codes == {
        (denied, "UnauthorizedOperation"),
        ("sg-0000000000000dead", "InvalidGroup.NotFound"),
    }
    assert summary.unknown_rules == [
        (f"{DEFAULT_ACCOUNT}/us-east-1/{unknown}", "TCP 22 from 0.0.0.0/0")
    ]
    text = str(summary)
    assert "UnauthorizedOperation" in text
    assert "unknown to EC2" in text
    final = outcomes(path)
    assert final[f"{DEFAULT_ACCOUNT}/us-east-1/{denied}"][-1] == "UnauthorizedOperation"
    assert server.revokes == {ssh_rules[fine]: 1}


def test_a_stopped_run_resumes_to_the_same_end_as_an_uninterrupted_one(tmp_path: Path) -> None:
    with ThrottlingServer(scale=SCALE) as whole:
        whole.populate(REGIONS, 60)
        FleetRunner(config(whole, journal=tmp_path / "whole.jsonl")).run()
        final_state = whole.snapshot()
    with ThrottlingServer(scale=SCALE) as server:
        expected = server.populate(REGIONS, 60)
        path = tmp_path / "parts.jsonl"
        runner: FleetRunner

        seen: list[Outcome] = []

        def stop_early(outcome: Outcome) -> None:
            # Counted here, not read from the journal that other threads are appending to.
            seen.append(outcome)
            if len(seen) >= 50:
                runner.stop()

        runner = FleetRunner(config(server, journal=path), on_outcome=stop_early)
        first = runner.run()
        assert first.interrupted
        assert 50 <= first.targets < 180
        second = FleetRunner(config(server, journal=path)).run()
        assert second.ok, second
        assert second.skipped == first.done
        assert second.targets == 180
        assert server.snapshot() == final_state
        assert set(server.revokes) == expected
        assert set(server.revokes.values()) == {1}
    assert outcomes(path) == outcomes(tmp_path / "whole.jsonl")


def test_started_but_unfinished_targets_are_rerun_idempotently(tmp_path: Path) -> None:
    whole = tmp_path / "whole.jsonl"
    with ThrottlingServer(scale=SCALE) as server:
        expected = server.populate(REGIONS[:1], 60)
        FleetRunner(config(server, regions=REGIONS[:1], journal=whole)).run()
        first_url = server.url
        records = journal(whole)
        started = [r["target"] for r in records if r["event"] == "started"]
        # Killed after the revoke went out, before its outcome was written: drop the
        # outcomes of 20 started targets. The resume finds their rules gone, revokes
        # nothing again, and reports them as revoked by the interrupted attempt.
        lost = set(started[:20])
        cut = tmp_path / "cut.jsonl"
        kept = [r for r in records if not (r["event"] == "done" and r["target"] in lost)]
        cut.write_text("".join(json.dumps(r) + "\n" for r in kept))
        calls = server.requests["RevokeSecurityGroupIngress"]
        summary = FleetRunner(config(server, regions=REGIONS[:1], journal=cut)).run()
        assert summary.ok, summary
        assert summary.skipped == 40
        assert server.requests["RevokeSecurityGroupIngress"] == calls
        assert set(server.revokes.values()) == {1}
        assert summary.revoked == len(expected)
    assert outcomes(cut) == outcomes(whole)
    assert all(r.get("resumed") for r in journal(cut)[len(kept) :] if r["event"] == "done")
    # Killed after "started" wrote, before the revoke went out: a fresh endpoint, and a
    # journal with every plan started and nothing done.
    plans = tmp_path / "plans.jsonl"
    text = "".join(json.dumps(r) + "\n" for r in records if r["event"] != "done")
    with ThrottlingServer(scale=SCALE) as fresh:
        assert fresh.populate(REGIONS[:1], 60) == expected
        # The fresh endpoint stands in for the first one: the journal must name it.
        plans.write_text(text.replace(first_url, fresh.url))
        summary = FleetRunner(config(fresh, regions=REGIONS[:1], journal=plans)).run()
        assert summary.ok, summary
        assert set(fresh.revokes) == expected
        assert set(fresh.revokes.values()) == {1}
    assert outcomes(plans) == outcomes(whole)


def test_accounts_through_roles_each_in_their_own_buckets(server: ThrottlingServer) -> None:
    accounts = ["111111111111", "222222222222"]
    expected = set()
    for account in accounts:
        expected |= server.populate(REGIONS[:2], 25, account=account)
    roles = [
        Account(credentials=STATIC, role_arn=f"arn:aws:iam::{a}:role/Remediation") for a in accounts
    ]
    # The same account twice (a second way in) is one set of targets, not two.
    roles.append(Account(credentials=STATIC, role_arn="arn:aws:iam::111111111111:role/Other"))
    runner = FleetRunner(config(server, regions=REGIONS[:2], accounts=roles))
    summary = runner.run()
    assert summary.ok, summary
    assert summary.targets == 100
    assert set(server.revokes) == expected
    assert set(server.revokes.values()) == {1}
    assert server.requests["AssumeRole"] == 3
    keys = {key[:2] for key, _ in runner.buckets.items()}
    assert keys == {(a, r) for a in accounts for r in REGIONS[:2]}


def test_a_region_that_cannot_be_read_is_reported_and_the_others_finish(
    server: ThrottlingServer, tmp_path: Path
) -> None:
    expected = server.populate(REGIONS[:1], 20)

    def endpoint(region: str) -> str:
        return f"{server.url}/{region}" if region in REGIONS else "http://127.0.0.1:9"

    path = tmp_path / "j.jsonl"
    summary = FleetRunner(
        config(
            server,
            regions=[REGIONS[0], "me-south-1"],
            endpoint_url=endpoint,
            max_attempts=2,
            journal=path,
        )
    ).run()
    assert not summary.ok
    assert summary.done == 20
    assert [(w, c) for w, c, _ in summary.failures] == [
        (f"{DEFAULT_ACCOUNT}/me-south-1", "ConnectionFailed")
    ]
    assert set(server.revokes) == expected
    assert [r["region"] for r in journal(path) if r["event"] == "lane-failed"] == ["me-south-1"]


def test_a_fresh_codec_compiles_safely_under_concurrent_first_use() -> None:
    # The fleet's threads share clients; their first calls compile the codecs' per-shape
    # functions concurrently. A half-compiled function must never reach another thread.
    import sys

    from ec2revoke import codec, shapes
    from ec2revoke._generated.wire import SERVICE

    request = shapes.RevokeSecurityGroupIngressRequest(
        group_id="sg-0123456789abcdef0",
        ip_permissions=[SSH.to_ip_permission(), Rule.tcp(443).from_any_ipv6().to_ip_permission()],
    )
    result = shapes.RevokeSecurityGroupIngressResult(
        return_=True, unknown_ip_permissions=[SSH.to_ip_permission()]
    )
    body = codec.to_xml(result)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(20):
            answers = first_uses(codec.Codec(SERVICE), request, result, body)
            assert answers == [(tuple(codec.to_query(request)), result, body)] * 8
    finally:
        sys.setswitchinterval(interval)


def first_uses(fresh: Any, request: Any, result: Any, body: bytes) -> list[Any]:
    """Eight threads' first calls of a fresh codec, all at once."""
    import threading

    barrier = threading.Barrier(8)
    answers: list[Any] = []

    def first_use() -> None:
        barrier.wait()
        try:
            query = fresh.to_query(request)
            parsed = fresh.parse_response("RevokeSecurityGroupIngress", 200, body)
            answers.append((tuple(query), parsed, fresh.to_xml(result)))
        except Exception as e:  # the failure under test: report it, do not hang
            answers.append(e)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


class OddBodies(ThrottlingServer):
    """Answers the revokes of chosen groups with a body of its own: (status, body)."""

    def __init__(self, odd: dict[str, tuple[int, bytes]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.odd = odd

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        params = dict(parse_qsl(body.decode()))
        answer = self.odd.get(params.get("GroupId", ""))
        if answer is not None and params.get("Action", "").startswith("Revoke"):
            with self.lock:
                self.requests[params["Action"]] += 1
            return answer
        return super().handle(path, headers, body)


BOGUS_HTML = (
    b'<?xml version="1.0" encoding="x-bogus"?>\n'
    b"<html><body><h1>503 Service Unavailable</h1></body></html>"
)
UTF32_DECLARED = b'<?xml version="1.0" encoding="utf-32"?><RevokeSecurityGroupIngressResponse/>'


def test_a_target_whose_answer_makes_the_call_raise_fails_alone(tmp_path: Path) -> None:
    with OddBodies({}, scale=SCALE) as server:
        expected = server.populate(REGIONS, 100)
        with_ssh = [
            g for g, rules in server.snapshot().items() if any(r[0] in expected for r in rules)
        ]
        bogus, utf32 = with_ssh[3], with_ssh[-3]
        server.odd = {bogus: (503, BOGUS_HTML), utf32: (200, UTF32_DECLARED)}
        path = tmp_path / "j.jsonl"
        seen: list[Outcome] = []
        summary = FleetRunner(config(server, journal=path), on_outcome=seen.append).run()
        assert summary.targets == 300, summary
        assert (summary.done, summary.failed) == (298, 2), summary
        failed = {w.rsplit("/", 1)[1] for w, _, _ in summary.failures}
        assert failed == {bogus, utf32}
        assert all(m for _, _, m in summary.failures)  # each says what went wrong
        odd_rules = {r[0] for g in (bogus, utf32) for r in server.snapshot()[g]}
        assert set(server.revokes) == expected - odd_rules
    final = outcomes(path)
    assert len(final) == 300
    assert {k.rsplit("/", 1)[1] for k, v in final.items() if v[0] == "failed"} == {bogus, utf32}
    assert {o.target.group for o in seen if o.status == "failed"} == {bogus, utf32}

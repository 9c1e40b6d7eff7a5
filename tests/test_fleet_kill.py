"""SIGKILL the ``ec2revoke fleet`` command partway, twice, and resume from its journal: the
endpoint ends in the state an uninterrupted run leaves, every rule revoked once, and the
journal's outcomes are the uninterrupted run's. Killed at twenty random points, a resume
with another scope is refused every time and nothing outside the first scope is revoked;
two runners on one journal: the second is refused, and no rule is named twice."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from ec2revoke.cli._main import run
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
GROUPS = 200  # per region: 600 targets
SCALE = 8.0  # slow enough that a kill lands mid-run, fast enough for a quick test


def command(server: ThrottlingServer, journal: Path, *scope: str) -> list[str]:
    return [sys.executable, "-m", "ec2revoke.cli", *options(server, journal, *scope)]


def options(server: ThrottlingServer, journal: Path, *scope: str) -> list[str]:
    argv = ["fleet"]
    for region in REGIONS:
        argv += ["--region", region]
    argv += ["--endpoint-url", server.endpoint_template, "--sts-endpoint-url", server.sts_url]
    argv += ["--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0", *scope]
    argv += ["--journal", str(journal), "--rate-scale", str(SCALE), "--quiet"]
    return argv


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
    )
    return env


def done_count(journal: Path) -> int:
    if not journal.exists():
        return 0
    return journal.read_bytes().count(b'"event":"done"')


def run_and_kill(argv: list[str], env: dict[str, str], journal: Path, after: int) -> int:
    """Start the command, SIGKILL it once the journal holds ``after`` outcomes."""
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while done_count(journal) < after and process.poll() is None:
            assert time.monotonic() < deadline, "the fleet run made no progress"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    return done_count(journal)


def outcomes(journal: Path) -> dict[str, tuple[Any, ...]]:
    final = {}
    for line in journal.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn line the resume cut off is not in the file any more
        if record["event"] == "done":
            final[record["target"]] = (
                record["status"],
                sorted(x["id"] for x in record["revoked"]),
                sorted(record["already_absent"]),
                sorted(record["unknown"]),
            )
    return final


def test_killed_twice_and_resumed_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    env = environment(tmp_path)
    whole = tmp_path / "whole.jsonl"
    with ThrottlingServer(scale=SCALE) as server:
        expected = server.populate(REGIONS, GROUPS)
        finished = subprocess.run(command(server, whole), env=env, cwd=ROOT, capture_output=True)
        assert finished.returncode == 0, finished.stderr.decode()
        uninterrupted = server.snapshot()
        assert set(server.revokes) == expected

    killed = tmp_path / "killed.jsonl"
    with ThrottlingServer(scale=SCALE) as server:
        assert server.populate(REGIONS, GROUPS) == expected
        argv = command(server, killed)
        first = run_and_kill(argv, env, killed, after=120)
        second = run_and_kill(argv, env, killed, after=first + 150)
        assert 120 <= first < second < len(REGIONS) * GROUPS
        resumed = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{len(REGIONS) * GROUPS} group(s): {len(REGIONS) * GROUPS} done" in resumed.stdout
        assert "done in an earlier run" in resumed.stdout
        # Nothing revoked twice, nothing skipped, nothing else touched.
        assert server.snapshot() == uninterrupted
        assert set(server.revokes) == expected
        assert set(server.revokes.values()) == {1}
        assert not server.errors
    assert outcomes(killed) == outcomes(whole)
    assert len(outcomes(killed)) == len(REGIONS) * GROUPS
    # The kills caught revokes in flight: targets started and not done, finished on resume.
    assert b'"resumed":true' in killed.read_bytes()


FIRST_VPCS = [f"vpc-{n:08x}" for n in range(4)]  # 4 of the 7 VPCs populate spreads groups over
FIRST_SCOPE = ["--filter", "Name=vpc-id,Values=" + ",".join(FIRST_VPCS)]
KILLS = 20
SEED = 12


def in_scope(server: ThrottlingServer, expected: set[str]) -> tuple[set[str], list[str]]:
    """The rules the first scope should revoke, and its groups."""
    groups = [
        g.group_id
        for region in server.groups.values()
        for g in region.values()
        if g.vpc_id in FIRST_VPCS
    ]
    snapshot = server.snapshot()
    return {r[0] for g in groups for r in snapshot[g] if r[0] in expected}, groups


def settle(server: ThrottlingServer) -> None:
    """Wait until requests the killed process had sent are answered (none for 0.1 s)."""
    count = -1
    while count != sum(server.requests.values()):
        count = sum(server.requests.values())
        time.sleep(0.1)


def refused(argv: list[str], journal: Path, server: ThrottlingServer) -> str:
    """Run the command line in this process: it must exit 253 having sent and written nothing."""
    before, sent = journal.read_bytes(), sum(server.requests.values())
    out, err = io.StringIO(), io.StringIO()
    assert run(argv, out, err) == 253, err.getvalue()
    assert journal.read_bytes() == before
    assert sum(server.requests.values()) == sent
    return err.getvalue()


def test_killed_at_random_points_a_resume_with_another_scope_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment(tmp_path)
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    rng = random.Random(SEED)
    journal = tmp_path / "scoped.jsonl"
    with ThrottlingServer(scale=SCALE) as server, ThrottlingServer(scale=SCALE) as other:
        expected = server.populate(REGIONS, 110)
        assert other.populate(REGIONS, 110) == expected  # the same IDs behind another URL
        before = server.snapshot()
        wanted, groups = in_scope(server, expected)
        assert len(groups) > KILLS * 8
        argv = command(server, journal, *FIRST_SCOPE)
        done = 0
        for kill in range(KILLS):
            done = run_and_kill(argv, env, journal, after=done + rng.randint(2, 8))
            settle(server)
            assert set(server.revokes) <= wanted, f"kill {kill} (seed {SEED})"
            one = rng.choice(groups)
            narrower = refused(
                options(server, journal, *FIRST_SCOPE, "--group-id", one), journal, server
            )
            assert f"this run asks for --group-id {one}" in narrower
            one_vpc = ["--filter", f"Name=vpc-id,Values={FIRST_VPCS[0]}"]
            filtered = refused(options(server, journal, *one_vpc), journal, server)
            assert f"this run asks for --filter Name=vpc-id,Values={FIRST_VPCS[0]}" in filtered
            elsewhere = refused(options(other, journal, *FIRST_SCOPE), journal, server)
            assert other.url in elsewhere
            assert not other.requests
        resumed = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{len(groups)} group(s): {len(groups)} done" in resumed.stdout
        assert set(server.revokes) == wanted
        assert set(server.revokes.values()) == {1}
        untouched = {g: [r for r in rules if r[0] not in wanted] for g, rules in before.items()}
        assert server.snapshot() == untouched
        assert not server.errors


class NamingServer(ThrottlingServer):
    """Counts, per rule ID, the revoke requests that named it (throttled ones aside)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.named: Counter[str] = Counter()
        # Cleared, revokes wait: the runner holding the journal cannot finish (and free
        # it) before the other has tried, however slowly that one starts.
        self.revokes_flow = threading.Event()
        self.revokes_flow.set()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        pairs = parse_qsl(body.decode())
        if dict(pairs).get("Action", "").startswith("Revoke"):
            self.revokes_flow.wait(60)
        status, answer = super().handle(path, headers, body)
        if dict(pairs).get("Action", "").startswith("Revoke") and (
            b"RequestLimitExceeded" not in answer
        ):
            with self.lock:
                self.named.update(v for k, v in pairs if k.startswith("SecurityGroupRuleId."))
        return status, answer


def test_of_two_runners_on_one_journal_the_second_is_refused(tmp_path: Path) -> None:
    env = environment(tmp_path)
    for case in ("second-starts-later", "both-at-once"):
        journal = tmp_path / f"{case}.jsonl"
        with NamingServer(scale=SCALE) as server:
            expected = server.populate(REGIONS, 60)
            argv = command(server, journal)
            if case == "both-at-once":
                server.revokes_flow.clear()
            first = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE)
            if case == "second-starts-later":
                deadline = time.monotonic() + 60
                while done_count(journal) < 5:
                    assert time.monotonic() < deadline, "the first run made no progress"
                    assert first.poll() is None, "the first run ended early"
                    time.sleep(0.01)
                server.revokes_flow.clear()
            second = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            runners = [first, second]
            deadline = time.monotonic() + 60
            while all(r.poll() is None for r in runners):
                assert time.monotonic() < deadline, "neither runner ended"
                time.sleep(0.01)
            server.revokes_flow.set()  # one has ended (refused): let the other finish
            _, second_err = second.communicate(timeout=60)
            first.communicate(timeout=60)
            codes = sorted([first.returncode, second.returncode])
            assert codes == [0, 253], (case, second_err.decode())
            if second.returncode == 253:
                assert b"in use" in second_err
            assert set(server.named) == expected
            assert set(server.named.values()) == {1}, case  # no rule named by both
            assert set(server.revokes.values()) == {1}
        assert len(outcomes(journal)) == len(REGIONS) * 60
        assert {v[0] for v in outcomes(journal).values()} == {"done"}
        assert DEFAULT_ACCOUNT in journal.read_text()

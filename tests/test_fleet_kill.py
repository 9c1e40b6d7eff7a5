"""SIGKILL the ``ec2revoke fleet`` command partway, twice, and resume from its journal: the
endpoint ends in the state an uninterrupted run leaves, every rule revoked once, and the
journal's outcomes are the uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.throttling_server import ThrottlingServer

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
GROUPS = 200  # per region: 600 targets
SCALE = 8.0  # slow enough that a kill lands mid-run, fast enough for a quick test


def command(server: ThrottlingServer, journal: Path) -> list[str]:
    argv = [sys.executable, "-m", "ec2revoke.cli", "fleet"]
    for region in REGIONS:
        argv += ["--region", region]
    argv += ["--endpoint-url", server.endpoint_template, "--sts-endpoint-url", server.sts_url]
    argv += ["--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0"]
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

"""``ec2revoke demo`` as a user runs it: the installed console script, in a fresh process,
with no AWS settings at all. Its account of each step, and the final table, are checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def _command() -> list[str]:
    script = Path(sys.executable).parent / "ec2revoke"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ec2revoke.cli"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    empty = tmp_path_factory.mktemp("home") / "aws-config"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return subprocess.run(
        [*_command(), "demo"], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_the_demo_exits_0_without_errors(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stderr


def test_the_demo_says_where_ec2_runs(demo: subprocess.CompletedProcess[str]) -> None:
    assert re.search(
        r"moto's server on http://127\.0\.0\.1:\d+ \(no AWS account, no network\)", demo.stdout
    )
    assert re.search(r"1\. Security group sg-\w+ in VPC vpc-\w+, with 6 inbound rules", demo.stdout)


def test_each_step_is_shown(demo: subprocess.CompletedProcess[str]) -> None:
    out = demo.stdout
    steps = [
        "revoked: TCP 8000-8080 from 10.0.0.0/8",  # the builder
        "$ ec2revoke revoke-security-group-ingress --endpoint-url http://127.0.0.1:",  # the CLI
        '"Return": true',
        "exit code 0",
        "would revoke: TCP 443 from 203.0.113.0/24",  # the dry run
        "DescribeSecurityGroups still lists it: yes",
        "[SIMULATED] moto answers this with InvalidPermission.NotFound",  # said plainly
        "NOT REVOKED (unknown to EC2): TCP 443 from 198.51.100.0/24",
        "IpPermissions.1.IpRanges.1.CidrIp=198.51.100.0/24",
        "all TCP from 0.0.0.0/0 [sgr-",  # revoke_matching finds the wider rule too
        "verified gone: True",
        "Done: 5 of 6 rules revoked, 1 kept (TCP 443 from 203.0.113.0/24).",
    ]
    positions = [out.find(s) for s in steps]
    assert all(p >= 0 for p in positions), [
        s for s, p in zip(steps, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)


def test_the_before_and_after_table(demo: subprocess.CompletedProcess[str]) -> None:
    table = demo.stdout[demo.stdout.index("7. Verified with DescribeSecurityGroups") :]
    rows = {
        cells[0]: cells[1:]
        for line in table.splitlines()
        if line.strip().startswith("|")
        and (cells := [c.strip() for c in line.strip().strip("|").split("|")])[0] != "rule"
    }
    assert rows == {
        "TCP 22 from 0.0.0.0/0": ["allowed", "gone", "revoked (revoke_matching)"],
        "TCP 22 from ::/0": ["allowed", "gone", "revoked (revoke_matching)"],
        "all TCP from 0.0.0.0/0": ["allowed", "gone", "revoked (revoke_matching)"],
        "TCP 8000-8080 from 10.0.0.0/8": ["allowed", "gone", "revoked (builder)"],
        "TCP 443 from 203.0.113.0/24": ["allowed", "allowed", "kept (dry run only)"],
        "ICMP type 3 code 4 from 0.0.0.0/0": ["allowed", "gone", "revoked (command line)"],
    }

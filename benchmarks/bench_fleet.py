"""Fleet revoke throughput against EC2's token bucket: ours and a boto3 thread pool, in one run.

    python benchmarks/bench_fleet.py [--regions N] [--groups N] [--scale X] [--latency S]

Each contender gets a fresh throttling endpoint (tests/throttling_server.py, in its own
process, so the server does not share the GIL with the client): the same groups in
each simulated region (about three in four with SSH open to the world), one
RevokeSecurityGroupIngress bucket per region of 50 tokens refilled at 5 * scale per
second. Both contenders do the same work per group: list the groups (paginated),
read the group's rules (DescribeSecurityGroupRules), revoke the rules that allow TCP 22
from 0.0.0.0/0 by rule ID. Printed per contender: successful revoke calls per second,
that as a share of the bucket's theoretical maximum over the run's duration
(regions * (burst + refill * seconds)), requests throttled, and failed revokes
(rules that should have gone and did not).

boto3 runs a ThreadPoolExecutor over one client per region, in adaptive retry mode
(``Config(retries={"mode": "adaptive", "max_attempts": 10})``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

BURST, REFILL = 50, 5.0
REVOKE = "RevokeSecurityGroupIngress"
KEY, SECRET = "AKIDEXAMPLE", "benchmark-secret"


class Endpoint:
    """tests/throttling_server.py in a subprocess."""

    def __init__(self, regions: list[str], groups: int, scale: float, latency: float) -> None:
        command = [sys.executable, "-m", "tests.throttling_server"]
        command += ["--regions", *regions, "--groups", str(groups)]
        command += ["--scale", str(scale), "--latency", str(latency)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        hello = json.loads(self.process.stdout.readline())
        self.url: str = hello["url"]
        self.expected: set[str] = set(hello["expected"])

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/_admin/stats", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def run_ours(endpoint: Endpoint, regions: list[str], scale: float, concurrency: int) -> None:
    from ec2revoke import Rule, StaticCredentials
    from ec2revoke.fleet import Account, FleetConfig, FleetRunner, RateLimits, RevokeMatching

    summary = FleetRunner(
        FleetConfig(
            action=RevokeMatching([Rule.tcp(22).from_any_ipv4()]),
            regions=regions,
            accounts=[
                Account(credentials=StaticCredentials(KEY, SECRET), account_id="123456789012")
            ],
            endpoint_url=endpoint.url + "/{region}",
            limits=RateLimits(scale=scale),
            concurrency=concurrency,
        )
    ).run()
    if summary.failures:
        print(f"  ours: {len(summary.failures)} failed targets, e.g. {summary.failures[0]}")


def _allows_ssh_world(rule: dict[str, Any]) -> bool:
    if rule.get("IsEgress") or rule.get("CidrIpv4") != "0.0.0.0/0":
        return False
    if rule["IpProtocol"] == "-1":
        return True
    return bool(rule["IpProtocol"] == "tcp" and rule["FromPort"] <= 22 <= rule["ToPort"])


def run_boto3(endpoint: Endpoint, regions: list[str], scale: float, concurrency: int) -> None:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    config = Config(
        retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=concurrency
    )
    clients = {
        region: boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=f"{endpoint.url}/{region}",
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            config=config,
        )
        for region in regions
    }
    failures: list[str] = []

    def one(region: str, group: str) -> None:
        ec2 = clients[region]
        try:
            rules = ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [group]}], MaxResults=1000
            )["SecurityGroupRules"]
            ids = [r["SecurityGroupRuleId"] for r in rules if _allows_ssh_world(r)]
            if ids:
                ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=ids)
        except botocore.exceptions.ClientError as e:
            failures.append(f"{group}: {e.response['Error']['Code']}")

    with ThreadPoolExecutor(concurrency) as pool:
        work = []
        for region, ec2 in clients.items():
            for page in ec2.get_paginator("describe_security_groups").paginate(
                PaginationConfig={"PageSize": 1000}
            ):
                work += [(region, g["GroupId"]) for g in page["SecurityGroups"]]
        list(pool.map(lambda job: one(*job), work))
    if failures:
        print(f"  boto3: {len(failures)} failed groups, e.g. {failures[0]}")


def measure(name: str, runner: Any, args: argparse.Namespace, regions: list[str]) -> None:
    endpoint = Endpoint(regions, args.groups, args.scale, args.latency)
    try:
        started = time.monotonic()
        runner(endpoint, regions, args.scale, args.concurrency)
        seconds = time.monotonic() - started
        stats = endpoint.stats()
    finally:
        endpoint.close()
    calls = stats["requests"].get(REVOKE, 0) - stats["throttled"].get(REVOKE, 0)
    ceiling = len(regions) * (BURST + REFILL * args.scale * seconds)
    revoked = set(stats["revokes"])
    failed = len(endpoint.expected - revoked)
    twice = sum(1 for n in stats["revokes"].values() if n > 1)
    throttled = sum(stats["throttled"].values())
    print(
        f"{name:6} {calls:5d} revoke calls in {seconds:6.2f} s = {calls / seconds:6.1f}/s; "
        f"{100 * calls / ceiling:5.1f}% of the bucket's maximum ({ceiling:.0f}); "
        f"{throttled} throttled; failed revokes {failed}; revoked twice {twice}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--groups", type=int, default=600, help="groups per region")
    parser.add_argument("--scale", type=float, default=10.0, help="refill-rate multiplier")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument(
        "--concurrency", type=int, help="threads, both contenders (default: ours's, 16 a region)"
    )
    parser.add_argument("--ours-only", action="store_true", help="skip the boto3 run")
    args = parser.parse_args()
    args.concurrency = args.concurrency or min(256, max(32, 16 * args.regions))
    # Imports are not part of a run: load both libraries before any clock starts.
    import boto3  # noqa: F401

    import ec2revoke.fleet  # noqa: F401

    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"][: args.regions]
    print(
        f"{args.regions} region(s) x {args.groups} groups; revoke bucket {BURST} burst, "
        f"{REFILL * args.scale:g}/s refill per region; {args.latency * 1000:g} ms per answer; "
        f"{args.concurrency} threads"
    )
    measure("ours", run_ours, args, regions)
    if not args.ours_only:
        measure("boto3", run_boto3, args, regions)


if __name__ == "__main__":
    main()

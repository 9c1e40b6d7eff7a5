"""Client speed and memory against boto3, on one local HTTP endpoint, in one run.

    python benchmarks/bench_client.py [--calls N] [--cold-runs N]

Prints ours / boto3 for: warm wall time per one-permission revoke (signed, sent,
parsed), whole-process cold start (import, build a client, one signed call), and that
process's peak RSS. The endpoint is a small HTTP server on 127.0.0.1 that answers
every request with the same EC2 RevokeSecurityGroupIngress response.
"""

from __future__ import annotations

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<RevokeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n'
    b"    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n"
    b"    <return>true</return>\n"
    b"</RevokeSecurityGroupIngressResponse>\n"
)

OURS = """
from ec2revoke import EC2Client, StaticCredentials, shapes
client = EC2Client(region="us-east-1", endpoint_url=URL,
                   credentials=StaticCredentials("AKIDEXAMPLE", "benchmark-secret"))
def call():
    return client.revoke_security_group_ingress(
        group_id="sg-0123456789abcdef0",
        ip_permissions=[shapes.IpPermission(ip_protocol="tcp", from_port=22, to_port=22,
                        ip_ranges=[shapes.IpRange(cidr_ip="203.0.113.0/24")])])
assert call().return_ is True
"""

BOTO3 = """
import boto3
client = boto3.client("ec2", region_name="us-east-1", endpoint_url=URL,
                      aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="benchmark-secret")
def call():
    return client.revoke_security_group_ingress(
        GroupId="sg-0123456789abcdef0",
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
assert call()["Return"] is True
"""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it, Nagle's algorithm and delayed ACKs add ~40 ms to every call.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def environment() -> dict[str, str]:
    """No real configuration or instance metadata may leak into either side."""
    env = dict(os.environ)
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def warm(script: str, url: str, calls: int) -> float:
    """Mean microseconds per call after warm-up, measured in this process."""
    namespace: dict[str, object] = {"URL": url}
    exec(script, namespace)
    call: Callable[[], object] = namespace["call"]  # type: ignore[assignment]
    for _ in range(20):
        call()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1e6


# VmHWM is the peak RSS of this process image; getrusage's ru_maxrss would also
# count the parent it was forked from.
_PEAK = """
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]))
"""


def cold(script: str, url: str, runs: int) -> tuple[float, float]:
    """Median wall milliseconds and median peak RSS (MiB) of a fresh process."""
    code = f"URL = {url!r}\n{script}\n{_PEAK}"
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        walls.append((time.perf_counter() - start) * 1e3)
        rss.append(int(out.stdout.split()[-1]) / 1024)  # kB -> MiB
    return statistics.median(walls), statistics.median(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.update({k: v for k, v in environment().items() if k.startswith("AWS_")})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ours_warm, boto_warm = warm(OURS, url, args.calls), warm(BOTO3, url, args.calls)
        (ours_wall, ours_rss), (boto_wall, boto_rss) = (
            cold(OURS, url, args.cold_runs),
            cold(BOTO3, url, args.cold_runs),
        )
    finally:
        server.shutdown()
    rows = [
        ("warm call, one-permission revoke (us)", ours_warm, boto_warm),
        ("cold start: import + client + 1 call (ms)", ours_wall, boto_wall),
        ("cold start peak RSS (MiB)", ours_rss, boto_rss),
    ]
    print(f"{'measure':<44} {'ours':>9} {'boto3':>9} {'ratio':>6}")
    for name, ours, theirs in rows:
        print(f"{name:<44} {ours:>9.1f} {theirs:>9.1f} {ours / theirs:>6.2f}")


if __name__ == "__main__":
    main()

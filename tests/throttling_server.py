"""A local EC2-compatible endpoint that throttles the way EC2 does, for fleet tests.

A threaded HTTP server on 127.0.0.1. Each simulated region is a path: requests for
``us-east-1`` go to ``{url}/us-east-1/`` (``endpoint_template`` is ``{url}/{region}``);
STS (GetCallerIdentity, AssumeRole) answers at ``{url}/sts``. It speaks enough of EC2's
Query/XML API for the fleet: DescribeSecurityGroups (filters, pagination),
DescribeSecurityGroupRules, RevokeSecurityGroupIngress/Egress by IpPermissions or by
rule IDs (UnknownIpPermissions, InvalidPermission.NotFound, InvalidSecurityGroupRuleId
.NotFound, DryRun), over in-memory groups per (account, region).

Throttling follows EC2's request-rate model, written here independently of the code
under test: one token bucket per (account, region, action), sized by the action's
category (non-mutating 100/20 per second, unfiltered-and-unpaginated Describe 50/10,
mutating 50/5, Authorize/RevokeSecurityGroupIngress 50/5 of their own); ``scale``
multiplies every refill rate so tests run faster than real time. An empty bucket
answers HTTP 503 RequestLimitExceeded and the request does nothing.

The server counts what it did: ``revokes`` (rule ID -> times removed), requests and
throttles per action. ``python -m tests.throttling_server --help`` runs it standalone
(the benchmark does), with ``GET /_admin/stats`` for its counts as JSON. The groups and
the calls on them live in tests/throttling_state.py.
"""

from __future__ import annotations

import argparse
import http.server
import json
import re
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from ec2revoke import codec
from ec2revoke._wire.xml_encode import error_xml
from tests.throttling_state import DEFAULT_ACCOUNT, EC2Fault, FakeEC2, Group, SgRule

__all__ = ["DEFAULT_ACCOUNT", "EC2Fault", "Group", "SgRule", "ThrottlingServer"]

UNFILTERED = frozenset({"DescribeSecurityGroups", "DescribeInstances", "DescribeVolumes"})


class Bucket:
    """EC2's token bucket: starts full, refills continuously, holds ``capacity`` at most."""

    def __init__(self, capacity: float, refill: float) -> None:
        self.capacity, self.refill = capacity, refill
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ThrottlingServer(FakeEC2):
    """The endpoint. Use as a context manager, or start() and stop()."""

    def __init__(self, *, scale: float = 1.0, latency: float = 0.0, throttle: bool = True) -> None:
        super().__init__()
        self.scale, self.latency, self.throttle = scale, latency, throttle
        self.accounts: dict[str, str] = {}
        """Access key ID -> account (unknown keys: DEFAULT_ACCOUNT)."""
        self.requests: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.errors: list[str] = []
        self._buckets: dict[tuple[str, str, str], Bucket] = {}
        self._server: http.server.ThreadingHTTPServer | None = None

    # -- inspection ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "the throttling server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def endpoint_template(self) -> str:
        """The EC2 endpoint of any region: ``{url}/{region}``."""
        return self.url + "/{region}"

    @property
    def sts_url(self) -> str:
        return self.url + "/sts"

    def stats(self) -> dict[str, Any]:
        """Counts as JSON-ready data."""
        with self.lock:
            return {
                "revokes": dict(self.revokes),
                "requests": dict(self.requests),
                "throttled": dict(self.throttled),
            }

    def start(self, port: int = 0) -> ThrottlingServer:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ThrottlingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------------

    def _bucket(self, account: str, region: str, action: str, params: dict[str, str]) -> Bucket:
        paged = any(k.startswith(("Filter.", "MaxResults", "NextToken")) for k in params)
        if action in UNFILTERED and not paged:
            name, capacity, refill = action + ":unfiltered", 50, 10
        elif action.startswith("Describe"):
            name, capacity, refill = action, 100, 20
        else:  # mutating; Authorize/RevokeSecurityGroupIngress in a bucket each like the rest
            name, capacity, refill = action, 50, 5
        key = (account, region, name)
        if key not in self._buckets:
            self._buckets[key] = Bucket(capacity, refill * self.scale)
        return self._buckets[key]

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """One request: (status, body)."""
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
        params = dict(pairs)
        action = params.get("Action", "")
        match = re.search(r"Credential=([^/]+)/", headers.get("authorization", ""))
        account = self.accounts.get(match.group(1) if match else "", DEFAULT_ACCOUNT)
        region = path.strip("/").split("/")[0]
        request_id = str(uuid.uuid4())
        with self.lock:
            self.requests[action] += 1
            if region == "sts":
                return self._sts(action, params, account, request_id)
            if self.throttle and not self._bucket(account, region, action, params).take():
                self.throttled[action] += 1
                fault = EC2Fault("RequestLimitExceeded", "Request limit exceeded.", 503)
                return fault.status, error_xml(fault.code, fault.message, request_id=request_id)
            try:
                request = codec.from_query(pairs)
                result = self._ec2(action, request, self.groups.get((account, region), {}), account)
            except EC2Fault as e:
                return e.status, error_xml(e.code, e.message, request_id=request_id)
        return 200, codec.to_xml(result, request_id=request_id)

    def _sts(
        self, action: str, params: dict[str, str], account: str, request_id: str
    ) -> tuple[int, bytes]:
        if action == "AssumeRole" and "Denied" in params["RoleArn"]:
            return 403, (
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
                f"not authorized to perform sts:AssumeRole on {params['RoleArn']}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
        if action == "AssumeRole":
            arn = params["RoleArn"]
            account = arn.split(":")[4]
            key = f"ASIA{account}{self._id('k')[-4:]}"
            self.accounts[key] = account
            inner = (
                f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>secret-{key}"
                f"</SecretAccessKey><SessionToken>token-{key}</SessionToken>"
                "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
                f"<AssumedRoleUser><Arn>{arn}/{params.get('RoleSessionName', '')}</Arn>"
                f"<AssumedRoleId>AROA{account}:s</AssumedRoleId></AssumedRoleUser>"
            )
        else:
            inner = f"<UserId>AIDA{account}</UserId><Account>{account}</Account><Arn>arn:aws:iam::{account}:user/u</Arn>"
        ns = "https://sts.amazonaws.com/doc/2011-06-15/"
        return 200, (
            f'<{action}Response xmlns="{ns}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</{action}Response>"
        ).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10.0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._reply(200, json.dumps(self.server.owner.stats()).encode(), "application/json")  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        owner: ThrottlingServer = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:  # the client died mid-request (a SIGKILL test): nothing to do
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, answer = owner.handle(self.path, headers, body)
        except Exception as e:  # a bug in this server: a 500 the client retries, and a record
            owner.errors.append(repr(e))
            status, answer = 500, error_xml("InternalError", repr(e), request_id="server-bug")
        if owner.latency:
            time.sleep(owner.latency)
        self._reply(status, answer, "text/xml;charset=UTF-8")

    def _reply(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    """Serve standalone: prints the URL and expected revoke count, then serves until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", nargs="+", default=["us-east-1", "eu-west-1"])
    parser.add_argument("--groups", type=int, default=500, help="groups per region")
    parser.add_argument("--scale", type=float, default=1.0, help="refill-rate multiplier")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    server = ThrottlingServer(scale=args.scale, latency=args.latency).start()
    expected = server.populate(args.regions, args.groups, seed=args.seed)
    print(json.dumps({"url": server.url, "expected": sorted(expected)}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())

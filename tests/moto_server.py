"""Run moto's AWS-compatible server as a subprocess on 127.0.0.1, on a free port.

A subprocess rather than moto's in-process ThreadedMotoServer because moto reads
settings such as ``INITIAL_NO_AUTH_ACTION_COUNT`` when it is imported: only a fresh
interpreter started with the variable set is sure to honour it, and the test
process's own moto state stays untouched.

    with MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}) as server:
        principals = create_principals(server.url, "us-east-1")
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from ec2revoke import StaticCredentials
from ec2revoke.testing._embedded import free_port

__all__ = [
    "SETUP_CALLS",
    "MotoEC2",
    "MotoServer",
    "MotoServerError",
    "Principals",
    "create_principals",
    "free_port",
]

HOST = "127.0.0.1"
# moto's own API, not an AWS action: polling it does not use up any of the
# INITIAL_NO_AUTH_ACTION_COUNT unauthenticated calls.
_HEALTH_PATH = "/moto-api/data.json"


class MotoServerError(RuntimeError):
    """The moto server did not start, or stopped unexpectedly."""


class MotoServer:
    """One ``python -m moto.server`` process; ``url`` is its endpoint once started.

    ``env`` adds to (and overrides) the current environment of the child process.
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        host: str = HOST,
        start_timeout: float = 30.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port: int | None = None
        self._env = dict(env or {})
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, with no trailing slash."""
        if self.port is None:
            raise MotoServerError("the moto server is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"MotoServer({self.host}:{self.port}, {state})"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, attempts: int = 3) -> MotoServer:
        """Start the server and wait until it answers; retry on a port taken meanwhile."""
        if self.running:
            return self
        last: MotoServerError | None = None
        for _ in range(attempts):
            try:
                self._start_once(free_port(self.host))
                return self
            except MotoServerError as e:
                last = e
                self.stop()
        raise last or MotoServerError("the moto server did not start")

    def _start_once(self, port: int) -> None:
        env = {**os.environ, **self._env}
        # The child's output goes to a file: a pipe nobody reads would fill and
        # block the server. The file's tail explains a failed start; stop() closes it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.port = port
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise MotoServerError(
                    f"moto server exited with status {self._process.returncode} "
                    f"before answering on port {port}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + _HEALTH_PATH, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise MotoServerError(
            f"moto server did not answer on port {port} within {self._start_timeout}s:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, limit: int = 2000) -> str:
        """The end of the server's combined stdout and stderr."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - limit))
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Terminate the server; kill it if it does not exit within ``stop_timeout``."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self._stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=self._stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.port = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- IAM principals for a server that checks signatures -----------------------------

ALLOW_ALL_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
_TRUST_ANYONE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)

SETUP_CALLS = 8
"""How many AWS calls ``create_principals`` makes: start the server with
``INITIAL_NO_AUTH_ACTION_COUNT`` set to this, and moto checks every call after them."""


@dataclass(frozen=True)
class Principals:
    """Credentials moto knows, as (access key id, secret key, session token or None)."""

    admin: tuple[str, str, None]
    """An IAM user with an inline allow-all policy."""
    no_permissions: tuple[str, str, None]
    """An IAM user with no policy at all: every action is denied."""
    role_session: tuple[str, str, str]
    """Temporary credentials of an assumed role with an allow-all policy."""


@dataclass(frozen=True)
class MotoEC2:
    """A running moto server that checks signatures, and credentials it accepts."""

    url: str
    region: str
    admin: StaticCredentials
    """An IAM user allowed everything."""
    no_permissions: StaticCredentials
    """An IAM user allowed nothing."""
    role_session: StaticCredentials
    """An assumed role's temporary credentials (with a session token), allowed everything."""


def create_principals(url: str, region: str) -> Principals:
    """Create the IAM users, keys, policies and role session; exactly SETUP_CALLS calls.

    Runs before moto checks anything, so the dummy keys it signs with are fine. boto3 is
    a test-only dependency: it is imported here, not by the library.
    """
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": region,
        "aws_access_key_id": "setup",
        "aws_secret_access_key": "setup",
        # A retried set-up call would count twice and shift where checking starts.
        "config": Config(retries={"total_max_attempts": 1}),
    }
    iam = boto3.client("iam", **options)
    sts = boto3.client("sts", **options)
    calls = 0

    def user(name: str, policy: str | None) -> tuple[str, str, None]:
        nonlocal calls
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        calls += 2
        if policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="allow-all", PolicyDocument=policy)
            calls += 1
        return key["AccessKeyId"], key["SecretAccessKey"], None

    admin = user("ec2revoke-admin", ALLOW_ALL_POLICY)
    no_permissions = user("ec2revoke-nobody", None)
    role = iam.create_role(RoleName="ec2revoke-role", AssumeRolePolicyDocument=_TRUST_ANYONE)
    iam.put_role_policy(
        RoleName="ec2revoke-role", PolicyName="allow-all", PolicyDocument=ALLOW_ALL_POLICY
    )
    session = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="ec2revoke-e2e")
    calls += 3
    iam.close()
    sts.close()
    assert calls == SETUP_CALLS, f"create_principals made {calls} calls, not {SETUP_CALLS}"
    temporary = session["Credentials"]
    return Principals(
        admin=admin,
        no_permissions=no_permissions,
        role_session=(
            temporary["AccessKeyId"],
            temporary["SecretAccessKey"],
            temporary["SessionToken"],
        ),
    )

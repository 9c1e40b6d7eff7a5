"""An embedded EC2 endpoint: moto's server on 127.0.0.1, for demos and tests.

    with EmbeddedEC2() as ec2:
        client = ec2.client()
        client.create_security_group(group_name="web", description="demo")

It needs no AWS account and no network; it needs moto (``pip install 'ec2revoke[demo]'``).
The server runs in a thread of this process and keeps its state until it stops.
"""

from __future__ import annotations

import socket
import time
from types import TracebackType
from typing import Any

from ec2revoke._client import EC2Client
from ec2revoke._errors import ConfigurationError
from ec2revoke._http.credentials import StaticCredentials

HOST = "127.0.0.1"
REGION = "us-east-1"
# moto accepts any key; these name themselves so nobody mistakes them for real ones.
CREDENTIALS = StaticCredentials("AKIDEMBEDDEDEXAMPLE", "embedded-endpoint-secret")


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class EmbeddedEC2:
    """moto's EC2-compatible server on a free loopback port, started and stopped with ``with``."""

    def __init__(self, *, port: int | None = None, start_timeout: float = 10.0) -> None:
        self.port = port
        self.start_timeout = start_timeout
        self._server: Any = None

    @property
    def url(self) -> str:
        """The endpoint URL (only while running)."""
        if self.port is None or self._server is None:
            raise ConfigurationError("the embedded endpoint is not running: use it inside 'with'")
        return f"http://{HOST}:{self.port}"

    def start(self) -> EmbeddedEC2:
        """Start the server and wait until it answers."""
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            raise ConfigurationError(
                "the embedded EC2 endpoint needs moto: pip install 'ec2revoke[demo]'"
            ) from None
        self.port = self.port or free_port()
        self._server = ThreadedMotoServer(ip_address=HOST, port=self.port, verbose=False)
        self._server.start()
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with socket.create_connection((HOST, self.port or 0), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise ConfigurationError(
                        f"the embedded EC2 endpoint did not start on {HOST}:{self.port} "
                        f"within {self.start_timeout:g} s"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server; its state is gone."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, **options: Any) -> EC2Client:
        """An EC2Client pointed at this endpoint (no real credentials involved)."""
        options.setdefault("credentials", CREDENTIALS)
        return EC2Client(region=REGION, endpoint_url=self.url, **options)

    def __enter__(self) -> EmbeddedEC2:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

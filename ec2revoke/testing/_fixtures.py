"""The per-test handle the ``ec2_embedded`` fixture gives (kept free of pytest imports)."""

from __future__ import annotations

import urllib.request
from typing import Any

from ec2revoke._client import EC2Client
from ec2revoke.testing._embedded import EmbeddedEC2


class EmbeddedEndpoint:
    """A running embedded EC2 endpoint for one test: ``url`` and ``client()``.

    The server may be shared between tests; reset() empties its state, and close()
    closes the clients handed out.
    """

    def __init__(self, server: EmbeddedEC2) -> None:
        self.server = server
        self._clients: list[EC2Client] = []

    def __repr__(self) -> str:
        return f"<EmbeddedEndpoint {self.url}>"

    @property
    def url(self) -> str:
        """The endpoint URL (``http://127.0.0.1:PORT``)."""
        return self.server.url

    def client(self, **options: Any) -> EC2Client:
        """An EC2Client pointed at the endpoint, closed when the test ends."""
        client = self.server.client(**options)
        self._clients.append(client)
        return client

    def reset(self) -> None:
        """Forget every group and rule, as a fresh server would."""
        # urllib, not requests: a Stubber or replay active in the same test must not
        # intercept the fixture's own housekeeping.
        reset = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(reset, timeout=10):
            pass

    def close(self) -> None:
        """Close the clients handed out."""
        for client in self._clients:
            client.close()
        self._clients.clear()

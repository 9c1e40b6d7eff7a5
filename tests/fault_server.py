"""A scripted HTTP server on 127.0.0.1 for fault tests: each request gets the next reply.

A reply is a normal response (status, headers, body) or a fault: reset the connection
before responding (or before the request body is read), hang past the client's read
timeout, promise more body than is sent (Content-Length) and close, send the headers
and part of the body and then stall. Every request is recorded (method, path, headers,
body) before its reply is acted on, so tests can count attempts and check that none
was silently lost. A request that arrives when the script is used up is answered with
a 400 error document the client does not retry, and counts as unexpected.

Bounded: a hang waits at most its own ``seconds`` or until the server stops; idle
keep-alive connections time out; ``stop()`` cuts every open connection and joins
every handler thread.
"""

from __future__ import annotations

import contextlib
import enum
import http.server
import socket
import struct
import sys
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ec2revoke._wire.xml_encode import error_xml

# A handler waits at most this long for the next request on a kept-alive connection.
_IDLE_TIMEOUT = 5.0


class Action(enum.Enum):
    """What the server does with a request."""

    RESPOND = "respond"
    RESET_BEFORE_RESPONSE = "reset-before-response"
    RESET_MID_REQUEST = "reset-mid-request"
    HANG = "hang"
    TRUNCATE = "truncate"
    STALL_BODY = "stall-body"


@dataclass(frozen=True)
class Reply:
    """One scripted reply. Build it with the class methods."""

    action: Action = Action.RESPOND
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    """How long HANG and STALL_BODY hold the connection (the server's stop cuts it short)."""
    missing: int = 0
    """For TRUNCATE: how many promised body bytes are never sent."""

    @classmethod
    def xml(cls, body: bytes, status: int = 200) -> Reply:
        """An EC2-style XML response."""
        return cls(status=status, headers={"Content-Type": "text/xml;charset=UTF-8"}, body=body)

    @classmethod
    def error(cls, code: str, message: str, status: int, request_id: str = "req-err") -> Reply:
        """An EC2 error document."""
        return cls.xml(error_xml(code, message, request_id=request_id), status)

    @classmethod
    def html(cls, status: int, body: bytes | None = None) -> Reply:
        """The kind of page a proxy or load balancer sends instead of EC2's answer."""
        page = body or (
            b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            b"</body>\r\n</html>\r\n"
        )
        return cls(status=status, headers={"Content-Type": "text/html"}, body=page)

    @classmethod
    def reset(cls, *, mid_request: bool = False) -> Reply:
        """Reset the connection (TCP RST): after reading the request, or right after its headers."""
        return cls(Action.RESET_MID_REQUEST if mid_request else Action.RESET_BEFORE_RESPONSE)

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Send nothing for ``seconds`` (longer than the client's read timeout), then close."""
        return cls(Action.HANG, seconds=seconds)

    @classmethod
    def truncated(cls, body: bytes, *, missing: int = 100, status: int = 200) -> Reply:
        """Promise ``len(body) + missing`` bytes in Content-Length, send ``body``, close."""
        return cls(
            Action.TRUNCATE,
            status=status,
            headers={"Content-Type": "text/xml;charset=UTF-8"},
            body=body,
            missing=missing,
        )

    @classmethod
    def stalled(cls, body: bytes, *, seconds: float, status: int = 200) -> Reply:
        """Send the headers and the first half of ``body``, then nothing for ``seconds``."""
        return cls(
            Action.STALL_BODY,
            status=status,
            headers={"Content-Type": "text/xml;charset=UTF-8"},
            body=body,
            seconds=seconds,
        )


@dataclass(frozen=True)
class Received:
    """One request as the server read it. Header names are lower-cased."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    action: Action
    """What the server did with it."""
    unexpected: bool = False
    """True when it arrived after the script was used up."""


_UNEXPECTED = Reply.error(
    "FaultServer.ScriptExhausted",
    "the fault server's script is used up: the client sent more requests than the test expected",
    400,
)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests uses it
    timeout = _IDLE_TIMEOUT
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads server.requests instead

    def _serve(self) -> None:
        fault = self.server.owner
        reply, unexpected = fault._next_reply()
        headers = {k.lower(): v for k, v in self.headers.items()}
        if reply.action is Action.RESET_MID_REQUEST:
            fault._record(Received(self.command, self.path, headers, b"", reply.action, unexpected))
            self._reset()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault._record(Received(self.command, self.path, headers, body, reply.action, unexpected))
        if reply.action is Action.RESET_BEFORE_RESPONSE:
            self._reset()
        elif reply.action is Action.HANG:
            fault._stopping.wait(reply.seconds)
            self.close_connection = True  # the client gave up; nothing is written
        elif reply.action is Action.TRUNCATE:
            self._head(reply, len(reply.body) + reply.missing)
            self.wfile.write(reply.body)
            self.close_connection = True
        elif reply.action is Action.STALL_BODY:
            self._head(reply, len(reply.body))
            self.wfile.write(reply.body[: len(reply.body) // 2])
            fault._stopping.wait(reply.seconds)
            self.close_connection = True
        else:
            self._head(reply, len(reply.body))
            self.wfile.write(reply.body)

    def _head(self, reply: Reply, content_length: int) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(content_length))
        self.end_headers()

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # wfile writes straight to the socket and stays open for the base class's flush.
        self.rfile.close()
        self.connection.close()
        self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True

    def __init__(self, owner: FaultServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.owner._opened(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.owner._closed(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # a client that went away; its request, if any, is already recorded
        self.owner.errors.append(repr(error))


class FaultServer:
    """The scripted server. Use as a context manager, or call start() and stop()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[Received] = []
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []
        """Unexpected exceptions in handlers (a broken client connection is not one)."""

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321."""
        assert self._server is not None, "the fault server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, *replies: Reply, times: int = 1) -> FaultServer:
        """Append replies to the script (each ``times`` times, in order)."""
        with self._lock:
            for reply in replies:
                self._script.extend([reply] * times)
        return self

    @property
    def requests(self) -> list[Received]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def start(self) -> FaultServer:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections, and wait for every handler to finish."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):  # already closed by its handler
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()  # joins the handler threads
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self) -> tuple[Reply, bool]:
        with self._lock:
            if self._script:
                return self._script.popleft(), False
            return _UNEXPECTED, True

    def _record(self, received: Received) -> None:
        with self._lock:
            self._requests.append(received)

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

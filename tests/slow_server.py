"""A raw-socket HTTP server on 127.0.0.1 for hostile-answer tests: slow, huge or endless.

Each request gets the next scripted Answer (the last one repeats when the script runs
out). An answer can trickle its status line and headers, trickle its body, wait before
answering, or stream a body of any size, with or without a Content-Length, generated
as it is sent so the server itself holds none of it. The server records what it sent on
each connection and whether the client went away first, so a test can see that a
refused answer's connection was closed rather than read to the end.

Bounded: every wait ends when the server stops; ``stop()`` cuts every open connection
and joins every thread. Connections idle for more than ``_IDLE_TIMEOUT`` are dropped.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ec2revoke import codec, shapes

_IDLE_TIMEOUT = 5.0
_BLOCK = b"<item>" + b"x" * 8180 + b"</item>"  # 8 KiB of filler inside the result element


def ok_body(request_id: str = "req-slow") -> bytes:
    """A DescribeSecurityGroupRules answer with no rules."""
    return codec.to_xml(
        shapes.DescribeSecurityGroupRulesResult(security_group_rules=[]), request_id=request_id
    )


@dataclass(frozen=True)
class Answer:
    """One scripted answer."""

    status: int = 200
    body: bytes = field(default_factory=ok_body)
    delay: float = 0.0
    """Seconds to wait after reading the request, before answering."""
    head_interval: float = 0.0
    """Seconds between the bytes of the status line and headers (0: all at once)."""
    body_interval: float = 0.0
    """Seconds between the bytes of the body (0: all at once)."""
    stream_size: int | None = None
    """Send this many bytes of generated XML instead of ``body``."""
    content_length: bool = True
    """Declare the length; without it the body is chunked."""


@dataclass
class Connection:
    """What the server saw on one connection."""

    requests: int = 0
    sent: int = 0
    """Body bytes written (headers not counted)."""
    client_left: bool = False
    """The client closed or reset the connection while an answer was being written."""


class SlowServer:
    """The scripted server; a context manager."""

    def __init__(self, *answers: Answer, tls: ssl.SSLContext | None = None) -> None:
        self._script: deque[Answer] = deque(answers or (Answer(),))
        self._tls = tls
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self.connections: list[Connection] = []
        self.errors: list[str] = []

    @property
    def url(self) -> str:
        assert self._listener is not None, "the slow server is not running"
        host, port = self._listener.getsockname()[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    @property
    def requests(self) -> int:
        """Requests received so far, over every connection."""
        with self._lock:
            return sum(c.requests for c in self.connections)

    def start(self) -> SlowServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.settimeout(0.05)
        self._listener = listener
        self._spawn(self._accept, "slow-server")
        return self

    def stop(self) -> None:
        """Stop: end every wait, cut open connections, join every thread."""
        self._stopping.set()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=10)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> SlowServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _next(self) -> Answer:
        with self._lock:
            return self._script.popleft() if len(self._script) > 1 else self._script[0]

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._open.add(sock)
                record = Connection()
                self.connections.append(record)
            self._spawn(self._serve, "slow-server-conn", sock, record)

    def _serve(self, sock: socket.socket, record: Connection) -> None:
        sock.settimeout(_IDLE_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        try:
            if self._tls is not None:
                plain, sock = sock, self._tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._open.discard(plain)
                    self._open.add(sock)
            while not self._stopping.is_set():
                request, pending = _read_request(sock, pending)
                if request is None:
                    return
                with self._lock:
                    record.requests += 1
                if not self._answer(sock, self._next(), record):
                    return
        except (ConnectionError, TimeoutError):
            with self._lock:
                record.client_left = True
        except OSError as e:
            if not self._stopping.is_set():
                self.errors.append(repr(e))
        finally:
            with self._lock:
                self._open.discard(sock)
            sock.close()

    def _answer(self, sock: socket.socket, answer: Answer, record: Connection) -> bool:
        """Write one answer; False when the server is stopping."""
        if answer.delay and self._stopping.wait(answer.delay):
            return False
        size = answer.stream_size if answer.stream_size is not None else len(answer.body)
        head = f"HTTP/1.1 {answer.status} Status\r\nContent-Type: text/xml;charset=UTF-8\r\n"
        if answer.content_length:
            head += f"Content-Length: {size}\r\n"
        else:
            head += "Transfer-Encoding: chunked\r\n"
        if not self._write(sock, (head + "\r\n").encode(), answer.head_interval):
            return False
        for piece in _pieces(answer):
            data = piece if answer.content_length else b"%x\r\n%s\r\n" % (len(piece), piece)
            if not self._write(sock, data, answer.body_interval):
                return False
            with self._lock:
                record.sent += len(piece)
        if not answer.content_length:
            sock.sendall(b"0\r\n\r\n")
        return True

    def _write(self, sock: socket.socket, data: bytes, interval: float) -> bool:
        if not interval:
            sock.sendall(data)
            return True
        for i in range(len(data)):
            if self._stopping.wait(interval):
                return False
            sock.sendall(data[i : i + 1])
        return True


_OPEN = b'<?xml version="1.0"?><DescribeSecurityGroupRulesResponse><securityGroupRuleSet>'


def _pieces(answer: Answer) -> Iterator[bytes]:
    """The body, in pieces; a streamed one made 8 KiB at a time, never held whole."""
    if answer.stream_size is None:
        if answer.body:
            yield answer.body
        return
    left, block = answer.stream_size, _OPEN
    while left > 0:
        piece = block[:left]
        left -= len(piece)
        yield piece
        block = _BLOCK


def _read_request(sock: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
    """One request (head and body) from the connection; None when the client closed it."""
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]

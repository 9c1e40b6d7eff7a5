"""A total deadline for one HTTP attempt, headers and body alike, and the adapter behind it.

A socket timeout bounds each read, so a server that sends a byte a second never trips
it. Instead, one watchdog thread holds every attempt under way and, when an attempt's
deadline passes, shuts its connection's socket down: the read blocked on it returns at
once and the attempt fails, and the transport then reports the deadline, not the
broken connection.

The watchdog finds an attempt's connection through ``DeadlineAdapter``'s connection
classes, which claim the connection for the attempt running on their thread when they
connect, send or start reading. On an adapter of the user's own session that cannot
be done before the answer's headers; there the transport hands the connection over
once the headers are in (``Watch.track``), which still bounds the body.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple

import requests.adapters
import urllib3.connection
import urllib3.connectionpool
from urllib3.poolmanager import ProxyManager


class Deadline(NamedTuple):
    """When an attempt must be over (``time.monotonic()`` seconds), and which setting said so."""

    at: float
    name: str
    """The client setting that set it: ``attempt_timeout`` or ``call_timeout``."""
    seconds: float
    """That setting's value."""

    @property
    def setting(self) -> str:
        """The setting as the user wrote it: ``attempt_timeout=30s``."""
        return f"{self.name}={self.seconds:g}s"


class Watch:
    """One attempt under the watchdog's eye."""

    __slots__ = ("conn", "deadline", "done", "fired")

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.conn: Any = None
        self.fired = False
        self.done = False

    def track(self, response: requests.Response) -> None:
        """Watch the connection an answer is read from (where the adapter did not say)."""
        conn = getattr(response.raw, "connection", None)
        if conn is not None and self.conn is not conn:
            _claim(conn, self)


# One lock guards every Watch and connection claim: its holders only flip flags.
_lock = threading.Condition()
_active: set[Watch] = set()
_local = threading.local()
_next_wake = math.inf
_thread: threading.Thread | None = None


def _after_fork() -> None:
    # The watchdog thread does not survive a fork: the child starts its own.
    global _lock, _next_wake, _thread
    _lock, _next_wake, _thread = threading.Condition(), math.inf, None
    _active.clear()


os.register_at_fork(after_in_child=_after_fork)


def arm(deadline: Deadline) -> Watch:
    """Start watching an attempt on this thread; ``disarm`` it when the attempt is over."""
    global _next_wake, _thread
    watch = Watch(deadline)
    with _lock:
        _active.add(watch)
        if _thread is None:
            _thread = threading.Thread(target=_run, name="ec2revoke-deadlines", daemon=True)
            _thread.start()
        if deadline.at < _next_wake:
            _next_wake = deadline.at
            _lock.notify()
    _local.watch = watch
    return watch


def disarm(watch: Watch) -> None:
    """Stop watching: from now on the watchdog leaves the attempt's connection alone."""
    _local.watch = None
    with _lock:
        watch.done = True
        _active.discard(watch)


def _run() -> None:
    global _next_wake
    with _lock:
        while True:
            now = time.monotonic()
            for watch in [w for w in _active if w.deadline.at <= now]:
                _active.discard(watch)
                watch.fired = True
                _cut(watch.conn, watch)
            _next_wake = min((w.deadline.at for w in _active), default=math.inf)
            _lock.wait(None if _next_wake == math.inf else _next_wake - now)


def _claim(conn: Any, watch: Watch) -> None:
    with _lock:
        conn._ec2revoke_watch = watch
        watch.conn = conn
        if watch.fired and not watch.done:
            _cut(conn, watch)


def _cut(conn: Any, watch: Watch) -> None:
    """Shut the socket of ``conn`` down if it still serves ``watch`` (``_lock`` held)."""
    if conn is None or getattr(conn, "_ec2revoke_watch", None) is not watch:
        return  # not connected yet, or back in the pool serving another attempt
    sock = getattr(conn, "sock", None)
    if sock is not None:
        # socket.socket's own shutdown: an SSLSocket's would also drop its TLS state
        # under the thread reading it. OSError: closed already, the read is over anyway.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _claim_for_this_thread(conn: Any) -> None:
    watch: Watch | None = getattr(_local, "watch", None)
    # Already this attempt's and not expired: nothing to change, no lock needed.
    if watch is not None and (watch.conn is not conn or watch.fired):
        _claim(conn, watch)


if TYPE_CHECKING:
    _Connection = urllib3.connection.HTTPConnection
else:
    _Connection = object


class _Claiming(_Connection):
    """Claims the connection for the attempt on this thread at each step that may block."""

    def connect(self) -> None:
        _claim_for_this_thread(self)
        super().connect()
        _claim_for_this_thread(self)  # a deadline passed while connecting: cut now

    def request(self, *args: Any, **kwargs: Any) -> None:
        _claim_for_this_thread(self)
        super().request(*args, **kwargs)

    def getresponse(self) -> Any:
        _claim_for_this_thread(self)
        return super().getresponse()


class _HTTPConnection(_Claiming, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Claiming, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, its connections open to the watchdog (proxied ones too)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # not SOCKS: its pools are its own
            manager.pool_classes_by_scheme = _POOLS
        return manager

"""What every codec shares: a per-service cache of compiled per-shape functions.

Each codec turns the generated wire tables into one small function per shape the
first time that shape is used, then reuses it; recursive shapes work because a
structure's function is cached before its members are compiled. Compiling is
thread-safe: one thread compiles at a time, and functions become visible to other
threads only once every function they call is compiled too.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import threading
import weakref
from typing import Any, Generic, TypeVar

from ec2revoke._wire import scalars
from ec2revoke._wire.schema import ListShape, MapShape, Member, Scalar, Service, Structure

F = TypeVar("F")


class Invalid(Exception):
    """A value that does not fit its shape; ``path`` grows as it unwinds to the top."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []

    def where(self) -> str:
        """The location as a Python path, e.g. ``ip_permissions[0].from_port``."""
        out = ""
        for part in reversed(self.path):
            out += part if part.startswith("[") or not out else "." + part
        return out


def describe(value: object) -> str:
    """A short description of a wrong value for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an int (or one inside) with more digits than repr() writes
        text = (
            scalars.show_int(value)
            if isinstance(value, int)
            else "holding a number too long to print"
        )
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


# Numbers each compiled encoder, so every one has a file name of its own.
_compiled = itertools.count(1)


def is_attribute_name(field: str) -> bool:
    """Whether ``value.<field>`` reads exactly the attribute ``field``.

    ASCII only: Python folds other identifiers to NFKC, so ``\ufb01eld`` would read
    ``field``.
    """
    return field.isascii() and field.isidentifier() and not keyword.iskeyword(field)


def run_source(lines: list[str], what: str, env: dict[str, Any]) -> None:
    """Compile and run generated source defining ``encode``, under a file name of its own.

    The source is kept in linecache, so tracebacks through the function show its lines,
    not ``<string>``; the entry goes when the function does. Only checked identifiers
    (``is_attribute_name``) and repr()'d text may be pasted into ``lines``.
    """
    filename = f"<ec2revoke {what} #{next(_compiled)}>"
    source = "\n".join(lines) + "\n"
    code = compile(source, filename, "exec")
    exec(code, env)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(env["encode"], linecache.cache.pop, filename, None)


class ShapeCompiler(Generic[F]):
    """Compiles and caches one function per shape name; subclasses say how."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._cache: dict[tuple[str, str | None], F] = {}
        # Functions of the compile under way: a structure's function is remembered before
        # its members exist, so it must not reach another thread until they do.
        self._staged: dict[tuple[str, str | None], F] = {}
        self._lock = threading.RLock()
        self._depth = 0

    def get(self, shape: str, timestamp_format: str | None = None) -> F:
        """The compiled function for a shape (a member may override its timestamp format)."""
        key = (shape, timestamp_format)
        fn = self._cache.get(key)
        if fn is not None:
            return fn
        with self._lock:
            fn = self._cache.get(key) or self._staged.get(key)
            if fn is not None:
                return fn
            self._depth += 1
            try:
                spec = self.service.shapes[shape]
                if isinstance(spec, Structure):
                    fn = self.structure(shape, spec)  # caches itself before recursing
                elif isinstance(spec, ListShape):
                    fn = self.list(spec)
                elif isinstance(spec, MapShape):
                    fn = self.map(spec)
                else:
                    fn = self.scalar(spec, timestamp_format or spec.timestamp_format)
                self._staged[key] = fn
            except BaseException:
                if self._depth == 1:  # nothing of a failed compile is kept
                    self._staged.clear()
                raise
            finally:
                self._depth -= 1
                if not self._depth:  # the outermost compile: everything it needs is done
                    self._cache.update(self._staged)
                    self._staged.clear()
        return fn

    def remember(self, shape: str, fn: F) -> None:
        """Cache a structure's function before its members are compiled."""
        self._staged[(shape, None)] = fn

    def member(self, member: Member) -> F:
        """The function for a member's shape, honouring member-level traits."""
        return self.get(member.shape, member.timestamp_format)

    def structure(self, name: str, spec: Structure) -> F:
        raise NotImplementedError

    def list(self, spec: ListShape) -> F:
        raise NotImplementedError

    def map(self, spec: MapShape) -> F:
        raise NotImplementedError

    def scalar(self, spec: Scalar, timestamp_format: str | None) -> F:
        raise NotImplementedError

"""What every codec shares: a per-service cache of compiled per-shape functions.

Each codec turns the generated wire tables into one small function per shape the
first time that shape is used, then reuses it; recursive shapes work because a
structure's function is cached before its members are compiled.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from ec2revoke._schema import ListShape, MapShape, Member, Scalar, Service, Structure

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
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


class ShapeCompiler(Generic[F]):
    """Compiles and caches one function per shape name; subclasses say how."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._cache: dict[tuple[str, str | None], F] = {}

    def get(self, shape: str, timestamp_format: str | None = None) -> F:
        """The compiled function for a shape (a member may override its timestamp format)."""
        key = (shape, timestamp_format)
        fn = self._cache.get(key)
        if fn is None:
            spec = self.service.shapes[shape]
            if isinstance(spec, Structure):
                fn = self.structure(shape, spec)  # caches itself before recursing
            elif isinstance(spec, ListShape):
                fn = self.list(spec)
            elif isinstance(spec, MapShape):
                fn = self.map(spec)
            else:
                fn = self.scalar(spec, timestamp_format or spec.timestamp_format)
            self._cache[key] = fn
        return fn

    def remember(self, shape: str, fn: F) -> None:
        """Cache a structure's function before its members are compiled."""
        self._cache[(shape, None)] = fn

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

"""Progress while a fleet run works: a bar on a terminal (tqdm, else rich, when installed),
otherwise a plain line every few seconds. Calls come from one thread at a time."""

from __future__ import annotations

import time
from typing import Any, Protocol, TextIO

from ec2revoke.fleet._outcome import Outcome


class Progress(Protocol):
    """Told how many groups there are and as each one finishes."""

    def add_total(self, count: int) -> None:
        """More groups were found."""
        ...

    def advance(self, outcome: Outcome) -> None:
        """A group finished."""
        ...

    def close(self) -> None:
        """The run is over."""
        ...


class _Counts:
    def __init__(self) -> None:
        self.total = 0
        self.finished = 0
        self.failed = 0
        self.revoked = 0
        self.started = time.monotonic()

    def count(self, outcome: Outcome) -> None:
        self.finished += 1
        self.failed += outcome.status == "failed"
        self.revoked += len(outcome.revoked)

    def text(self) -> str:
        rate = self.finished / max(1e-9, time.monotonic() - self.started)
        return (
            f"{self.finished}/{self.total} groups, {self.failed} failed, "
            f"{self.revoked} rules revoked, {rate:.1f} groups/s"
        )


class NoProgress:
    """Shows nothing (--quiet, --json)."""

    def add_total(self, count: int) -> None:
        """Nothing to show."""

    def advance(self, outcome: Outcome) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to show."""


class PlainProgress:
    """One line at most every ``interval`` seconds, and a last one at the end."""

    def __init__(self, stream: TextIO, *, interval: float = 5.0) -> None:
        self.stream = stream
        self.interval = interval
        self._counts = _Counts()
        self._shown = time.monotonic()

    def add_total(self, count: int) -> None:
        """More groups were found."""
        self._counts.total += count

    def advance(self, outcome: Outcome) -> None:
        """Count it; print if the interval has passed."""
        self._counts.count(outcome)
        now = time.monotonic()
        if now - self._shown >= self.interval:
            self._shown = now
            self._show()

    def close(self) -> None:
        """The final count."""
        self._show()

    def _show(self) -> None:
        self.stream.write(f"fleet: {self._counts.text()}\n")
        self.stream.flush()


class TqdmProgress:
    """A tqdm bar."""

    def __init__(self, stream: TextIO) -> None:
        from tqdm import tqdm

        self._counts = _Counts()
        self._bar: Any = tqdm(total=0, unit="group", file=stream, dynamic_ncols=True)

    def add_total(self, count: int) -> None:
        """Grow the bar."""
        self._bar.total += count
        self._bar.refresh()

    def advance(self, outcome: Outcome) -> None:
        """One more group."""
        self._counts.count(outcome)
        self._bar.set_postfix(
            failed=self._counts.failed, revoked=self._counts.revoked, refresh=False
        )
        self._bar.update(1)

    def close(self) -> None:
        """Finish the bar."""
        self._bar.close()


class RichProgress:
    """A rich progress bar."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import Progress as Bar

        self._counts = _Counts()
        self._bar: Any = Bar(console=Console(file=stream), transient=False)
        self._bar.start()
        self._task = self._bar.add_task("groups", total=0)

    def add_total(self, count: int) -> None:
        """Grow the bar."""
        self._counts.total += count
        self._bar.update(self._task, total=self._counts.total)

    def advance(self, outcome: Outcome) -> None:
        """One more group."""
        self._counts.count(outcome)
        self._bar.update(
            self._task,
            advance=1,
            description=f"groups ({self._counts.failed} failed, {self._counts.revoked} revoked)",
        )

    def close(self) -> None:
        """Stop the bar."""
        self._bar.stop()


def make_progress(stream: TextIO, kind: str = "auto") -> Progress:
    """``auto``: a bar on a terminal if tqdm or rich is installed, else plain lines;
    or ``tqdm``, ``rich``, ``plain``, ``none``."""
    if kind == "none":
        return NoProgress()
    if kind == "plain":
        return PlainProgress(stream)
    if kind == "tqdm":
        return TqdmProgress(stream)
    if kind == "rich":
        return RichProgress(stream)
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return PlainProgress(stream, interval=10.0)
    for bar in (TqdmProgress, RichProgress):
        try:
            return bar(stream)
        except ImportError:
            continue
    return PlainProgress(stream, interval=2.0)

"""How long, and how often, a verified revoke reads the group back.

EC2 is eventually consistent (F13): Describe calls may show a revoked rule for a while
after the revoke (over two minutes has been seen), and AWS advises backing off from a
couple of seconds up to a few minutes. So the reads back off exponentially from 2 s,
doubling up to a minute, each wait jittered to between half and all of its step (so
many clients do not read in step), until ``VERIFY_TIMEOUT`` seconds of waiting in all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

VERIFY_TIMEOUT = 300.0
"""The default longest wait, in seconds, for a revoke to show in the group's rules."""
FIRST_STEP = 2.0
LONGEST_STEP = 60.0


def verify_delays(timeout: float, random: Callable[[], float]) -> Iterator[float]:
    """The waits between reads, summing to ``timeout``; ``random`` gives numbers in [0, 1)."""
    waited, step = 0.0, FIRST_STEP
    while waited < timeout:
        delay = min(step * (0.5 + random() / 2), timeout - waited)
        yield delay
        waited += delay
        step = min(step * 2, LONGEST_STEP)

"""The run's journal: JSON lines, append-only, each record on disk (fsync) before it counts.

Records, in the order a run writes them:

    {"event": "run", "action": {...}, "dry_run": false, ...}      each start or resume
    {"event": "planned", "account", "region", "groups": [...],   a page of a region's
     "complete": true|false}                                     groups (true: the last)
    {"event": "lane-failed", "account", "region", "error": {...}} a region could not be read
    {"event": "started", "target", "plan": {...}}                 just before the revoke
    {"event": "done", "target", "status", "revoked", ...}         the target's outcome

The first record is the header: the run's action, dry_run and scope (``_scope``);
later resumes append one each. Every record read back must fit the schema
(``_journal_schema``). ``Journal.open`` takes an exclusive lock (flock) on the file for
as long as it is open, so a second runner on the same journal is refused; the kernel
drops the lock when the process dies, killed or not.

A kill can tear only the last line; reading ignores it with a warning, and the first
append (under the lock) cuts it off. Writers share fsyncs: while one thread syncs, the
records others write are gathered and synced together, and ``write`` returns only once
its record is on disk.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ec2revoke._errors import ConfigurationError
from ec2revoke.fleet._actions import Plan, PlannedRule
from ec2revoke.fleet._journal_schema import SchemaError, check_record
from ec2revoke.fleet._outcome import Outcome
from ec2revoke.fleet._targets import Target

log = logging.getLogger("ec2revoke.fleet")
VERSION = 2
"""2: the header records the run's scope. 1 (no ``version`` field) did not."""


class JournalError(ConfigurationError):
    """The journal cannot be used: in use by another run, made for another run or scope,
    a record that does not fit the schema, or a file that cannot be opened or read."""


@dataclass
class JournalState:
    """What a journal says so far."""

    header: dict[str, Any] | None = None
    account_ids: dict[str, list[str]] = field(default_factory=dict)
    """Account (as given) -> the account IDs it resolved to when first journaled."""
    lanes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(account, region) -> the groups found there (so far)."""
    complete: set[tuple[str, str]] = field(default_factory=set)
    """Lanes whose every page of groups was journaled."""
    missing: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(account, region) -> group IDs asked for that are not there."""
    lane_failures: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    started: dict[str, Plan] = field(default_factory=dict)
    done: dict[str, Outcome] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    good_bytes: int = 0
    """Length of the file up to the end of its last whole record."""

    def apply(self, record: dict[str, Any]) -> None:
        """Fold one record into the state."""
        event = record.get("event")
        if event == "run":
            if self.header is None:
                self.header = record
            for label, ids in dict(record.get("account_ids") or {}).items():
                self.account_ids.setdefault(str(label), [str(i) for i in ids])
        elif event == "planned":
            lane = (str(record["account"]), str(record["region"]))
            groups = self.lanes.get(lane, []) + [str(g) for g in record["groups"]]
            self.lanes[lane] = list(dict.fromkeys(groups))
            if record.get("complete", True):
                self.complete.add(lane)
                self.missing[lane] = [str(g) for g in record.get("missing", ())]
            self.lane_failures.pop(lane, None)
        elif event == "lane-failed":
            self.lane_failures[(str(record["account"]), str(record["region"]))] = dict(
                record["error"]
            )
        elif event == "started":
            plan = record["plan"]
            self.started[str(record["target"])] = Plan(
                tuple(PlannedRule.from_json(p) for p in plan["present"]),
                tuple(str(a) for a in plan["absent"]),
            )
        elif event == "done":
            self.done[str(record["target"])] = Outcome.from_record(record)

    def unfinished(self, target: Target) -> Plan | None:
        """The journaled plan of a target that was started and not finished."""
        if target.key in self.done and self.done[target.key].status != "failed":
            return None
        return self.started.get(target.key)


def read_journal(path: str | os.PathLike[str]) -> JournalState:
    """Read a journal; a torn last line (a crash mid-write) is ignored with a warning."""
    where = Path(path)
    try:
        data = where.read_bytes() if where.exists() else b""
    except OSError as e:
        raise JournalError(
            f"journal {where} cannot be read ({_reason(e)}): give the path of a journal file"
        ) from None
    return parse_journal(data, where)


def parse_journal(data: bytes, where: Path) -> JournalState:
    """A journal's state from its bytes (``where`` names it in messages)."""
    state = JournalState()
    lines = data.split(b"\n")
    # Every line but the last ends in a newline; the last is b"" when the file is whole.
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    offset = 0
    first = True
    for number, line in enumerate(lines):
        if number == last and (number == len(lines) - 1 or not _valid(line)):
            message = (
                f"journal {where}: ignoring a torn last line ({len(line)} bytes), "
                "left by a run stopped mid-write"
            )
            log.warning(message)
            state.warnings.append(message)
            break
        if number == len(lines) - 1:
            break
        if line.strip():
            try:
                record = _record(line)
                check_record(record, first=first)
                state.apply(record)
            except (ValueError, SchemaError) as e:
                raise JournalError(
                    f"journal {where} line {number + 1} is not a valid record ({e}); it is "
                    "not the last line, so not a crash mid-write: fix or move the file"
                ) from None
            first = False
        offset += len(line) + 1
    state.good_bytes = offset
    return state


def _record(line: bytes) -> dict[str, Any]:
    record = json.loads(line)
    if not isinstance(record, dict) or "event" not in record:
        raise ValueError("not a journal record")
    return record


def _valid(line: bytes) -> bool:
    try:
        _record(line)
    except ValueError:
        return False
    return True


def _reason(error: OSError) -> str:
    return error.strerror or errno.errorcode.get(error.errno or 0, "") or "an OS error"


def _read_all(fd: int) -> bytes:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _lock(fd: int, where: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalError(
            f"journal {where} is in use: another fleet run holds its lock. Wait for that "
            "run to finish (or stop it), or give this run another --journal path"
        ) from None
    except OSError as e:
        raise JournalError(
            f"journal {where} cannot be locked ({_reason(e)}); keep journals on a local "
            "file system that supports locks"
        ) from None


class Journal:
    """An append-only JSON-lines journal (open it with ``Journal.open``)."""

    def __init__(self, path: Path, fd: int, state: JournalState) -> None:
        self.path = path
        self.state = state
        self._fd = fd
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self._written = 0
        self._durable = 0
        self._syncing = False
        self._error: BaseException | None = None
        self._cut: int | None = None
        """Where the torn end starts, until the first write cuts it off."""

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Journal:
        """Open (creating) and lock a journal, and read what it holds.

        Raises JournalError when another runner holds the journal, when it cannot be
        written, or when a record in it does not fit the schema. A torn end is cut off
        by the first ``write``, so a run refused after opening changes nothing.
        """
        where = Path(path)
        try:
            fd = os.open(where, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise JournalError(
                f"journal {where} cannot be opened for writing ({_reason(e)}): give a "
                "--journal path to a writable file, in a directory that exists"
            ) from None
        try:
            _lock(fd, where)
            try:
                data = _read_all(fd)
            except OSError as e:
                raise JournalError(f"journal {where} cannot be read ({_reason(e)})") from None
            state = parse_journal(data, where)
        except BaseException:
            os.close(fd)
            raise
        journal = cls(where, fd, state)
        if len(data) > state.good_bytes:
            journal._cut = state.good_bytes
        return journal

    def write(self, record: dict[str, Any]) -> None:
        """Append one record and return once it is on disk."""
        record = {"ts": round(time.time(), 3), **record}
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        with self._cond:
            self.state.apply(record)
            self._pending.append(line)
            self._written += 1
            mine = self._written
            while self._durable < mine:
                if self._error is not None:
                    raise JournalError(
                        f"journal {self.path}: write failed ({self._error}); the run stops "
                        "so that nothing is done that the journal does not record"
                    )
                if self._syncing:
                    self._cond.wait()
                    continue
                batch, upto = b"".join(self._pending), self._written
                self._pending.clear()
                self._syncing = True
                self._cond.release()
                try:
                    if self._cut is not None:  # only this syncing thread writes the file
                        os.ftruncate(self._fd, self._cut)
                        self._cut = None
                    while batch:
                        batch = batch[os.write(self._fd, batch) :]
                    os.fsync(self._fd)
                except OSError as e:
                    self._error = e
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    if self._error is None:
                        self._durable = upto
                    self._cond.notify_all()

    def close(self) -> None:
        """Close the file (which releases its lock)."""
        os.close(self._fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

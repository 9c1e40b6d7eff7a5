"""The fleet journal: append-only JSON lines on disk, a torn last line survived, resume state."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ec2revoke.fleet import Journal, JournalError, Outcome, Plan, PlannedRule, Target, read_journal

TARGET = Target("123456789012", "us-east-1", "sg-0123456789abcdef0")
OTHER = Target("123456789012", "eu-west-1", "sg-0fedcba9876543210")
RULE = PlannedRule(
    "sgr-0123456789abcdef0",
    "TCP 22 from 0.0.0.0/0",
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
)


SCOPE = {
    "accounts": [{"account_id": TARGET.account, "credentials": "given"}],
    "regions": ["eu-west-1", "us-east-1"],
    "group_ids": [],
    "filters": [],
    "partition": "aws",
    "endpoints": {"eu-west-1": None, "us-east-1": None},
}
HEADER = {"event": "run", "version": 2, "action": {"action": "x"}, "dry_run": False}
HEADER["scope"] = SCOPE


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_run(path: Path) -> None:
    with Journal.open(path) as journal:
        journal.write(HEADER)
        journal.write(
            {
                "event": "planned",
                "account": TARGET.account,
                "region": "us-east-1",
                "groups": [TARGET.group],
                "complete": True,
                "missing": ["sg-1"],
            }
        )
        journal.write(
            {
                "event": "started",
                "target": TARGET.key,
                "plan": {"present": [RULE.to_json()], "absent": ["UDP 53 from 0.0.0.0/0"]},
            }
        )
        journal.write(
            {"event": "started", "target": OTHER.key, "plan": {"present": [], "absent": []}}
        )
        done = Outcome(OTHER, "done", (("sgr-1", "TCP 22 from 0.0.0.0/0"),), ("x",))
        journal.write({"event": "done", **done.to_record()})


def test_records_are_appended_as_json_lines_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    lines = records(path)
    assert [r["event"] for r in lines] == ["run", "planned", "started", "started", "done"]
    assert all(isinstance(r["ts"], float) for r in lines)
    state = read_journal(path)
    assert state.header is not None
    assert state.header["action"] == {"action": "x"}
    assert state.lanes == {(TARGET.account, "us-east-1"): [TARGET.group]}
    assert state.complete == {(TARGET.account, "us-east-1")}
    assert state.missing == {(TARGET.account, "us-east-1"): ["sg-1"]}
    assert state.unfinished(TARGET) == Plan((RULE,), ("UDP 53 from 0.0.0.0/0",))
    assert state.unfinished(OTHER) is None  # done
    assert state.done[OTHER.key].revoked == (("sgr-1", "TCP 22 from 0.0.0.0/0"),)
    assert not state.warnings
    # Reopening appends after what is there.
    with Journal.open(path) as journal:
        journal.write({**HEADER, "resumed": True})
    assert len(records(path)) == 6


def test_a_torn_last_line_is_ignored_with_a_warning_and_cut_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    whole = path.read_bytes()
    with path.open("ab") as f:
        f.write(b'{"event":"done","target":"1234')  # the process died mid-write
    with caplog.at_level(logging.WARNING, logger="ec2revoke.fleet"):
        state = read_journal(path)
    assert "torn last line" in caplog.text
    assert state.warnings
    assert "torn last line" in state.warnings[0]
    assert state.good_bytes == len(whole)
    assert OTHER.key in state.done
    assert TARGET.key not in state.done
    with Journal.open(path) as journal:
        journal.write({"event": "done", **Outcome(TARGET, "done").to_record()})
    assert path.read_bytes().startswith(whole)
    assert [r["event"] for r in records(path)][-1] == "done"
    assert not read_journal(path).warnings
    assert TARGET.key in read_journal(path).done


def test_a_whole_but_unreadable_last_line_is_torn_too(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    with path.open("ab") as f:
        f.write(b'{"event": "done", "tar\x00\x00\n')
    state = read_journal(path)
    assert state.warnings
    assert len(state.done) == 1


def test_a_valid_record_without_its_newline_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    with path.open("ab") as f:
        f.write(json.dumps({"event": "done", **Outcome(TARGET, "done").to_record()}).encode())
    state = read_journal(path)
    assert state.warnings
    assert TARGET.key not in state.done


def test_a_bad_line_before_the_last_is_an_error_not_a_crash_artifact(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = b"garbage\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(JournalError, match="line 3"):
        read_journal(path)
    with pytest.raises(JournalError):
        Journal.open(path)


def test_a_missing_journal_is_empty(tmp_path: Path) -> None:
    state = read_journal(tmp_path / "none.jsonl")
    assert state.header is None
    assert not state.done
    assert state.good_bytes == 0


def test_a_failed_target_is_run_again_from_its_plan(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    with Journal.open(path) as journal:
        failed = Outcome(TARGET, "failed", error={"code": "InternalError", "message": "x"})
        journal.write({"event": "done", **failed.to_record()})
    state = read_journal(path)
    assert state.done[TARGET.key].status == "failed"
    assert state.unfinished(TARGET) == Plan((RULE,), ("UDP 53 from 0.0.0.0/0",))


def test_concurrent_writers_share_fsyncs_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal.open(path) as journal:

        def writer(n: int) -> None:
            for i in range(150):
                journal.write({"event": "note", "writer": n, "i": i})

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    got = records(path)
    assert len(got) == 8 * 150
    for n in range(8):
        assert [r["i"] for r in got if r["writer"] == n] == list(range(150))


# -- the schema: every record is checked, a misfit names its line ----------------------


def _groups_as_text(r: dict[str, Any]) -> None:
    r["groups"] = "sg-abc"  # once read as six groups: s, g, -, a, b, c


def _status_maybe(r: dict[str, Any]) -> None:
    r["status"] = "maybe"  # once counted as done


def _complete_as_text(r: dict[str, Any]) -> None:
    r["complete"] = "yes"


def _present_as_text(r: dict[str, Any]) -> None:
    r["plan"]["present"] = "sgr-1"


def _revoked_id_a_number(r: dict[str, Any]) -> None:
    r["revoked"] = [{"id": 1, "rule": "TCP 22 from 0.0.0.0/0"}]


def _no_target(r: dict[str, Any]) -> None:
    del r["target"]


def _target_of_another_group(r: dict[str, Any]) -> None:
    r["target"] = TARGET.key


def _unknown_event(r: dict[str, Any]) -> None:
    r["event"] = "note"


def _unknown_field(r: dict[str, Any]) -> None:
    r["revoke_everything"] = True


def _version_as_text(r: dict[str, Any]) -> None:
    r["version"] = "2"


def _regions_not_a_list(r: dict[str, Any]) -> None:
    r["scope"]["regions"] = "us-east-1"


MISFITS: list[tuple[int, Callable[[dict[str, Any]], None], str]] = [
    # (line, how the record there is spoiled, what the error names)
    (2, _groups_as_text, "groups"),
    (5, _status_maybe, "status"),
    (2, _complete_as_text, "complete"),
    (3, _present_as_text, "present"),
    (5, _revoked_id_a_number, "id"),
    (5, _no_target, "target"),
    (5, _target_of_another_group, "target"),
    (4, _unknown_event, "note"),
    (5, _unknown_field, "revoke_everything"),
    (1, _version_as_text, "version"),
    (1, _regions_not_a_list, "regions"),
]


@pytest.mark.parametrize(("line", "spoil", "named"), MISFITS, ids=[m[1].__name__ for m in MISFITS])
def test_a_record_that_does_not_fit_the_schema_is_an_error_naming_its_line(
    tmp_path: Path, line: int, spoil: Callable[[dict[str, Any]], None], named: str
) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    lines = records(path)
    spoil(lines[line - 1])
    # A whole last line (newline and all) is no torn write: it is checked like the rest.
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(JournalError, match=f"line {line}\\b") as caught:
        read_journal(path)
    assert named in str(caught.value)
    with pytest.raises(JournalError, match=f"line {line}\\b"):
        Journal.open(path)


# -- the lock: one runner per journal ----------------------------------------------------


def test_a_second_open_is_refused_while_the_first_holds_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    with Journal.open(path) as first:
        with pytest.raises(JournalError, match="in use") as caught:
            Journal.open(path)
        assert str(path) in str(caught.value)
        first.write({**HEADER, "resumed": True})
    with Journal.open(path) as again:  # released on close
        again.write({**HEADER, "resumed": True})
    assert [r["event"] for r in records(path)].count("run") == 3


def test_a_torn_tail_is_cut_off_only_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    with Journal.open(path):
        with path.open("ab") as f:
            f.write(b'{"event":"done","target":"1234')  # as if a writer died mid-line
        torn = path.read_bytes()
        with pytest.raises(JournalError, match="in use"):
            Journal.open(path)
        assert path.read_bytes() == torn  # the refused opener cut nothing
    with Journal.open(path) as journal:
        journal.write({"event": "done", **Outcome(TARGET, "done").to_record()})
    assert not read_journal(path).warnings
    assert path.read_bytes().startswith(torn[: torn.rindex(b"\n") + 1])


@contextlib.contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """The file can be read but not written: read-only for a user, immutable for root."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o644)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
        pytest.skip("running as root where files cannot be made immutable (chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_an_unwritable_journal_is_a_journal_error(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_run(path)
    before = path.read_bytes()
    with unwritable(path), pytest.raises(JournalError, match="opened for writing") as caught:
        Journal.open(path)
    assert str(path) in str(caught.value)
    assert caught.value.__cause__ is None
    assert path.read_bytes() == before


@pytest.mark.parametrize("where", ["a-directory", "no-such-directory/j.jsonl"])
def test_a_journal_path_that_cannot_be_a_file_is_a_journal_error(
    tmp_path: Path, where: str
) -> None:
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(JournalError, match="journal") as caught:
        Journal.open(tmp_path / where)
    assert not isinstance(caught.value, OSError)
    with pytest.raises(JournalError):
        read_journal(tmp_path / "a-directory")

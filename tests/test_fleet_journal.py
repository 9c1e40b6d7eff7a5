"""The fleet journal: append-only JSON lines on disk, a torn last line survived, resume state."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from ec2revoke.fleet import Journal, JournalError, Outcome, Plan, PlannedRule, Target, read_journal

TARGET = Target("123456789012", "us-east-1", "sg-0123456789abcdef0")
OTHER = Target("123456789012", "eu-west-1", "sg-0fedcba9876543210")
RULE = PlannedRule(
    "sgr-0123456789abcdef0",
    "TCP 22 from 0.0.0.0/0",
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
)


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_run(path: Path) -> None:
    with Journal.open(path) as journal:
        journal.write({"event": "run", "action": {"action": "x"}, "dry_run": False})
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
        journal.write({"event": "run", "action": {"action": "x"}, "dry_run": False})
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

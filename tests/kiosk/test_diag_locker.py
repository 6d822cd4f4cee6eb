"""`kiosk diag locker` against `kiosk sim locker`, as processes over a pty, for both families."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import silent_pty

KIOSK = str(Path(sys.executable).with_name("kiosk"))


@pytest.fixture(params=["kerong-cu", "bcc-8a"])
def bus(request):
    proc = subprocess.Popen([KIOSK, "sim", "locker", "--protocol", request.param, "--boards", "2", "--reply-ms", "5"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pty = proc.stdout.readline().split()[1]

    def send(line: str) -> str:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    yield request.param, pty, send
    proc.terminate()
    proc.wait(10)


def diag(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KIOSK, "diag", "locker", *args], capture_output=True, text=True, timeout=60)


def boards_of(protocol: str) -> list[int]:
    return [0, 1] if protocol == "kerong-cu" else [1, 2]


def test_status_json(bus):
    protocol, pty, send = bus
    first, second = boards_of(protocol)
    send(f"open {second} 4")  # forced open, no command
    send(f"put {first} 2")
    done = diag("--port", pty, "--protocol", protocol, "status", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["protocol"] == protocol and [b["board"] for b in report["boards"]] == [first, second]
    assert all(b["online"] for b in report["boards"])
    locks = {(b["board"], x["lock"]): x for b in report["boards"] for x in b["locks"]}
    assert locks[(second, 4)]["door"] == "open" and locks[(first, 1)]["door"] == "closed"
    assert locks[(first, 2)]["item"] == ("present" if protocol == "kerong-cu" else "unknown")
    assert min(x["lock"] for x in report["boards"][0]["locks"]) == 1


def test_open_is_observed(bus):
    protocol, pty, _ = bus
    board = boards_of(protocol)[1]
    done = diag("--port", pty, "--protocol", protocol, "--board", str(board), "open", "9", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"board": board, "lock": 9, "opened": True, "door": "open", "answered": True}
    assert done.stderr == ""


def test_jammed_lock_names_board_lock_and_what_was_seen(bus):
    protocol, pty, send = bus
    board = boards_of(protocol)[0]
    send(f"jam {board} 3")
    done = diag("--port", pty, "--protocol", protocol, "--board", str(board), "open", "3")
    assert done.returncode == 5 and f"board {board} lock 3: door still reads closed" in done.stderr


def test_wrong_protocol_or_nothing_there():
    with silent_pty() as path:
        done = diag("--port", path, "--protocol", "kerong-cu", "status")
    assert done.returncode == 4 and path in done.stderr and "no lock board answers" in done.stderr


@pytest.mark.parametrize("protocol", ["kerong-cu", "bcc-8a"])
def test_open_against_a_board_answering_half_a_second_to_two_seconds_late(protocol):
    """Issue 15 acceptance: exactly one unlock frame, no crash, the door seen open."""
    board = boards_of(protocol)[0]
    proc = subprocess.Popen([KIOSK, "sim", "locker", "--protocol", protocol, "--boards", "1", "--late-ms", "500-2000"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pty = proc.stdout.readline().split()[1]
        done = diag("--port", pty, "--protocol", protocol, "--board", str(board), "open", "3", "--json")
        proc.stdin.write(f"unlocks {board} 3\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == f"board {board} lock 3: 1 unlock frames"
    finally:
        proc.terminate()
        proc.wait(10)
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["opened"] is True
    assert "late replies (after the 0.5 s command timeout; used)" in done.stderr

"""`kiosk diag printer` against `kiosk sim printer`, as separate processes, over TCP and a pty."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import silent_pty

KIOSK = str(Path(sys.executable).with_name("kiosk"))


class SimProcess:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [KIOSK, "sim", "printer", "--speed", "0", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.banner = self.proc.stdout.readline().split()
        self.out = Path(self.proc.stdout.readline().split()[1])

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def diag(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KIOSK, "diag", "printer", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(params=["tcp", "socket", "pty"])
def printer_port(request):
    sim = SimProcess("--tcp", "0") if request.param != "pty" else SimProcess()
    if request.param == "tcp":
        port = sim.banner[1]  # tcp://127.0.0.1:N, our raw TCP transport
    elif request.param == "socket":
        port = sim.banner[2].strip("()")  # socket://127.0.0.1:N, pyserial's handler
    else:
        port = sim.banner[1]
    yield sim, port
    sim.close()


def test_status_json(printer_port):
    sim, port = printer_port
    done = diag("--port", port, "status", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"state": "online", "paper": "ok", "cover": "closed", "cutter": "ok"}


def test_test_ticket_is_confirmed_and_marked(printer_port):
    sim, port = printer_port
    done = diag("--port", port, "--profile", "simulated", "test-ticket", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["printed"] is True
    from tests.support import wait_for

    assert wait_for(lambda: (sim.out / "0001.txt").exists())  # written after the reply
    transcript = (sim.out / "0001.txt").read_text(encoding="utf-8")
    assert "*** 测试 TEST ***" in transcript and "T000" in transcript


def test_paper_out(printer_port):
    sim, port = printer_port
    sim.send("paper out")
    status = diag("--port", port, "status", "--json")
    assert json.loads(status.stdout) == {"state": "user_error", "paper": "out", "cover": "closed", "cutter": "ok"}
    done = diag("--port", port, "test-ticket")
    assert done.returncode == 5 and "NOT printed: out of paper" in done.stderr


def test_nothing_answers():
    with silent_pty() as path:
        done = diag("--port", path, "status")
    assert done.returncode == 4 and path in done.stderr and "DLE EOT 1" in done.stderr

"""`kiosk sim printer` as a process: where it serves, its console, its tickets."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import serial

from tests.drivers.sim_printer.vectors import BARRIER, EOT, REFERENCE_TICKET

KIOSK = str(Path(sys.executable).with_name("kiosk"))


class Console:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([KIOSK, "sim", "printer", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self, prefix: str = "", timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            line = self.lines.get(timeout=left)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r}")

    def say(self, command: str, expect: str) -> str:
        assert self.proc.stdin
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.line(expect)

    def quit(self) -> int:
        assert self.proc.stdin
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        return self.proc.wait(timeout=10)


def test_kiosk_sim_printer_on_tcp(tmp_path):
    console = Console("--tcp", "0", "--out", str(tmp_path), "--speed", "0", "--cut-ms", "0")
    try:
        first = console.line()
        assert first.startswith("tcp: tcp://127.0.0.1:") and "socket://127.0.0.1:" in first
        port = int(first.split()[1].rsplit(":", 1)[1])
        assert console.line("out: ") == f"out: {tmp_path}"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(REFERENCE_TICKET + BARRIER)
            assert conn.recv(1) == b"\x00"
            notice = console.line("ticket ")
            assert str(tmp_path / "0001.png") in notice and "partial_cut, complete" in notice
            assert console.say("paper out", "paper") == "paper out"
            conn.sendall(EOT[1] + EOT[2])
            assert conn.recv(2) == bytes.fromhex("1A 32")
            assert console.say("state", "OFFLINE").startswith("OFFLINE: paper out")
            assert console.say("tickets", str(tmp_path)).startswith(str(tmp_path / "0001.png"))
            assert "commands:" in console.say("bogus", "commands:")
            assert console.say("paper ok", "paper") == "paper ok"
        assert console.quit() == 0
    finally:
        console.proc.kill()
    assert (tmp_path / "0001.txt").read_text(encoding="utf-8").startswith("某某市政务服务中心\nA023\n")


def test_kiosk_sim_printer_on_a_pty_without_cutter(tmp_path):
    link = tmp_path / "ttyPRN"
    console = Console("--link", str(link), "--out", str(tmp_path / "t"), "--no-cutter", "--width", "384",
                      "--charset", "gbk", "--speed", "0")
    try:
        assert console.line().startswith("pty: /dev/pts/")
        with serial.Serial(str(link), 9600, timeout=2) as port:
            port.write(REFERENCE_TICKET + BARRIER)
            assert port.read(1) == b"\x00"
        assert console.say("tickets", "no tickets") == "no tickets"
        assert console.say("tear", "ticket ").startswith(f"ticket {tmp_path / 't' / '0001.png'}  torn_off, complete")
        assert console.line("torn off") == "torn off"
        assert console.quit() == 0
    finally:
        console.proc.kill()

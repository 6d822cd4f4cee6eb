"""The printer simulator reached as a real device would be: a pty (pyserial) and TCP (a socket)."""

from __future__ import annotations

import socket
import time

import serial

from drivers.sim.printer import PrinterSimulator
from drivers.sim.serve import PtyServer, TcpServer
from tests.drivers.sim_printer.vectors import BARRIER, EOT, REFERENCE_LINES, REFERENCE_TICKET, URL
from tests.support import wait_for


def read_exactly(read, n: int, timeout: float = 3.0) -> bytes:
    out, deadline = b"", time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        out += read(n - len(out))
    return out


def test_over_a_pty_with_pyserial(make_printer, tmp_path):
    sim = make_printer(baud="38400")
    with PtyServer(sim, link=tmp_path / "printer") as server:
        with serial.Serial(str(tmp_path / "printer"), 38400, timeout=0.2) as port:
            port.write(EOT[1])
            assert read_exactly(port.read, 1) == b"\x12"
            port.write(REFERENCE_TICKET + BARRIER)  # one write, then the barrier (§3)
            assert read_exactly(port.read, 1) == b"\x00"
            sim.set_paper("out")
            port.reset_input_buffer()
            port.write(EOT[1] + EOT[2] + EOT[4])
            assert read_exactly(port.read, 3) == bytes.fromhex("1A 32 7E")
        assert server.path
    [ticket] = sim.tickets
    assert list(ticket.lines) == REFERENCE_LINES and ticket.qr_payloads == (URL,)


def test_a_host_at_the_wrong_baud_rate_gets_no_answer(make_printer):
    sim = make_printer(baud="115200")
    with PtyServer(sim) as server, serial.Serial(server.path, 9600, timeout=0.2) as port:
        port.write(EOT[1])
        assert port.read(1) == b""


def test_over_tcp_with_a_socket(make_printer):
    sim: PrinterSimulator = make_printer()
    with TcpServer(sim) as server, socket.create_connection(("127.0.0.1", server.port), timeout=3) as conn:
        conn.sendall(REFERENCE_TICKET + BARRIER)
        assert read_exactly(lambda n: conn.recv(n), 1) == b"\x00"
        sim.set_cover(True)
        conn.sendall(EOT[1] + EOT[2] + BARRIER)
        assert read_exactly(lambda n: conn.recv(n), 2) == bytes.fromhex("1A 16")
        assert wait_for(lambda: sim.status().buffered_ops == 3)  # DLE EOTs stay in the receive buffer too
        sim.set_cover(False)
        assert read_exactly(lambda n: conn.recv(n), 1) == b"\x00"  # the held GS r, after the cover closed
    assert len(sim.tickets) == 1

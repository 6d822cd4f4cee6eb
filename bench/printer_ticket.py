"""Ticket printer benchmark (issue 4). Not a test: prints figures, asserts nothing.

1. Bytes per standard 80 mm queue ticket, native QR vs raster QR (target ≤ 600 with native QR).
2. Rendering cost, ticket model → bytes, as a ratio to python-escpos 3.1 building the same
   ticket into its Dummy printer in the same process (target ≤ 1.5).
3. End to end over the simulator paced at 115200 bit/s: "issue ticket" → "confirmed printed",
   as a ratio to the wire time of the bytes and status exchanges involved (target ≤ 1.3).
   The simulator runs in its own process (`kiosk sim printer`) on a pty, printing instantly
   (speed 0, cut 0 ms: no mechanism time), so the figure isolates the link and our driver.

Run: .venv/bin/python bench/printer_ticket.py [--renders 300] [--prints 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

from drivers.printer.layout import Ticket, render
from drivers.printer.model import PrinterModel

TICKET = Ticket(
    hall="某某市政务服务中心", service="不动产登记", number="A023", waiting=12,
    issued_at=dt.datetime(2024, 5, 1, 9, 31, 5), qr_url="https://zwfw.example.gov.cn/q?t=A023&d=20240501",
    footer=("请留意叫号，过号需重新取号",),
)
BAUD = 115200


def escpos_dummy(t: Ticket) -> bytes:
    """The same ticket the way an integrator would build it with python-escpos 3.1."""
    from escpos.printer import Dummy

    p = Dummy()
    p._raw(b"\x1b@\x1c&")
    p.set(align="center", bold=True, custom_size=True, width=2, height=2)
    p.text(t.hall + "\n")
    p.set(align="center", bold=True, custom_size=True, width=4, height=4)
    p.text(t.number + "\n")
    p.set(align="center", normal_textsize=True)
    p.text(f"业务：{t.service}\n您前面还有 {t.waiting} 人等候\n{t.issued_at:%Y-%m-%d %H:%M:%S}\n")
    p.qr(t.qr_url, native=True, size=6, ec=1)
    for line in t.footer:
        p.text(line + "\n")
    p._raw(b"\x1d\x56\x42\x00")
    return p.output


def timed(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def end_to_end(prints: int) -> None:
    from drivers.printer.printer import EscPosPrinter, PrintJob
    from drivers.transport import SerialSettings

    kiosk = str(Path(sys.executable).with_name("kiosk"))
    sim = subprocess.Popen([kiosk, "sim", "printer", "--baud", str(BAUD), "--speed", "0", "--cut-ms", "0"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pty = sim.stdout.readline().split()[1]
        model = PrinterModel(speed_mm_s=1000)
        printer = EscPosPrinter("bench", pty, model=model, serial=SerialSettings(baudrate=BAUD))
        printer.open()
        data = render(TICKET.blocks(), model)
        times = []
        for _ in range(prints):
            start = time.perf_counter()
            result = printer.print(PrintJob(render(TICKET.blocks(), model)))
            times.append(time.perf_counter() - start)
            assert result.printed, result
        printer.close()
    finally:
        sim.terminate()
        sim.wait(10)
    # on the wire: before and after, DLE EOT 1 and 4 (3 bytes out, 1 back each), the ticket,
    # the 3-byte GS r barrier and its reply
    wire_bytes = 2 * 2 * 4 + len(data) + 3 + 1
    wire = wire_bytes * 10 / BAUD
    med = statistics.median(times)
    print(f"end to end at {BAUD} bit/s: median {med * 1000:.1f} ms over {prints} tickets; "
          f"wire time {wire * 1000:.1f} ms ({wire_bytes} bytes) -> ratio {med / wire:.2f} (target <= 1.3)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--renders", type=int, default=300)
    ap.add_argument("--prints", type=int, default=10)
    args = ap.parse_args()
    native = render(TICKET.blocks(), PrinterModel())
    raster = render(TICKET.blocks(), PrinterModel(qr_native=False))
    print(f"bytes per ticket: native QR {len(native)} (target <= 600), raster QR {len(raster)} ({len(raster) / len(native):.1f} x)")
    escpos_dummy(TICKET)  # warm imports
    render(TICKET.blocks(), PrinterModel())
    base = timed(lambda: escpos_dummy(TICKET), args.renders)
    ours = timed(lambda: render(TICKET.blocks(), PrinterModel()), args.renders)
    print(f"rendering: ours {ours * 1e6:.0f} us, python-escpos Dummy {base * 1e6:.0f} us -> ratio {ours / base:.2f} (target <= 1.5)")
    end_to_end(args.prints)


if __name__ == "__main__":
    main()

"""Lock-board bus benchmark (issue 5). Not a test: prints figures, asserts nothing.

The bus simulator runs in its own process (`kiosk sim locker`, 4 Kerong boards × 16 locks,
replies paced at 19200 bit/s, both directions, board processing time 0) on a pty.

1. Full-status polling rate of the 4 boards, as a ratio to the wire limit (the sweeps per
   second the frames involved would allow with nothing else on the line). Measured for the
   driver's sweep (one 0x32 broadcast) and for a baseline in the same process that asks each
   board with 0x30, hand-written, with the spec's 10 ms inter-frame gap. Target ≥ 50 %.
2. Unlock → door observed open, against the target: one confirm-poll period plus the board's
   reply time (the simulator's door springs open 100 ms after the pulse).
3. The same against a board answering 0.9–1.5 s after each command (issue 15's slow board):
   unlock frames the board heard per unlock (must be 1) and the time to the door seen open, as
   a ratio to the on-time median of 2.

Run: .venv/bin/python bench/locker_bus.py [--seconds 5] [--unlocks 10] [--late-unlocks 4]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from drivers.locker import kerong
from drivers.locker.bus import BoardSpec, BusTimings, LockerBus, Protocol
from drivers.transport import SerialSettings, open_transport

BAUD, BOARDS, LOCKS = 19200, 4, 16
BYTE = 10 / BAUD


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--unlocks", type=int, default=10)
    ap.add_argument("--late-unlocks", type=int, default=4)
    args = ap.parse_args()
    kiosk = str(Path(sys.executable).with_name("kiosk"))
    sim = subprocess.Popen([kiosk, "sim", "locker", "--protocol", "kerong-cu", "--boards", str(BOARDS), "--baud", str(BAUD),
                            "--reply-ms", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pty = sim.stdout.readline().split()[1]
        timings = BusTimings()  # the profile's defaults: 10 ms gap, 250 ms confirm poll
        bus = LockerBus("bench", pty, protocol=Protocol.KERONG_CU, timings=timings,
                        boards=[BoardSpec(b, LOCKS) for b in range(BOARDS)], serial=SerialSettings(baudrate=BAUD))
        bus.open()

        # -- polling rate --------------------------------------------------------------------
        sweeps, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            bus.poll()
            sweeps += 1
        driver_rate = sweeps / (time.perf_counter() - start)
        broadcast_wire = (5 + BOARDS * 9) * BYTE
        bus.close()

        t = open_transport(pty, SerialSettings(baudrate=BAUD))
        sweeps, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            for b in range(BOARDS):
                t.reset_input()
                t.write(kerong.encode_status(b))
                t.read_exactly(9, 0.5)
                time.sleep(0.010)
            sweeps += 1
        base_rate = sweeps / (time.perf_counter() - start)
        t.close()
        per_board_wire = BOARDS * (5 + 9) * BYTE
        print(f"full status of {BOARDS} boards x {LOCKS} locks at {BAUD} bit/s:")
        print(f"  driver (0x32 broadcast): {driver_rate:.1f} sweeps/s; wire limit {1 / broadcast_wire:.1f}/s "
              f"-> {driver_rate * broadcast_wire:.0%} of it (target >= 50 %)")
        print(f"  baseline (0x30 per board, 10 ms gaps, hand-written): {base_rate:.1f} sweeps/s; wire limit "
              f"{1 / per_board_wire:.1f}/s -> {base_rate * per_board_wire:.0%}; driver = {driver_rate / base_rate:.2f} x baseline")

        # -- unlock to door observed open ---------------------------------------------------
        bus = LockerBus("bench", pty, protocol=Protocol.KERONG_CU, timings=timings,
                        boards=[BoardSpec(b, LOCKS) for b in range(BOARDS)], serial=SerialSettings(baudrate=BAUD))
        bus.open()
        def control(line: str) -> str:
            sim.stdin.write(line + "\n")
            sim.stdin.flush()
            return sim.stdout.readline().strip()

        def unlocks(count: int, first: int) -> tuple[list[float], list[int]]:
            latencies, frames = [], []
            for n in range(first, first + count):
                board, lock = n % BOARDS, n % LOCKS + 1
                heard = int(control(f"unlocks {board} {lock}").split(": ")[1].split()[0])
                start = time.perf_counter()
                result = bus.unlock(board, lock)
                latencies.append(time.perf_counter() - start)
                assert result.opened, result
                frames.append(int(control(f"unlocks {board} {lock}").split(": ")[1].split()[0]) - heard)
                control(f"close {board} {lock}")
            return latencies, frames

        latencies, _ = unlocks(args.unlocks, 0)
        reply = (5 + 9) * BYTE
        med, worst = statistics.median(latencies), max(latencies)
        target = timings.confirm_poll + 0.100 + reply
        print(f"unlock -> door observed open: median {med * 1000:.0f} ms, max {worst * 1000:.0f} ms over {len(latencies)} "
              f"(door opens 100 ms after the pulse); target poll period + reply = {target * 1000:.0f} ms "
              f"-> max/target {worst / target:.2f}; frames' own wire time {reply * 1000:.1f} ms per exchange")

        # -- the same with every board answering 0.9-1.5 s late ------------------------------
        for b in range(BOARDS):
            control(f"late {b} 900-1500")
        late, frames = unlocks(args.late_unlocks, args.unlocks)
        bus.close()
        print(f"with replies 0.9-1.5 s late: unlock frames heard per unlock {sorted(set(frames))} (must be [1]); "
              f"door observed open: median {statistics.median(late):.2f} s, max {max(late):.2f} s over {len(late)} "
              f"-> {statistics.median(late) / med:.1f} x the on-time median (an unlock reply and a status reply, "
              f"each late)")
    finally:
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()

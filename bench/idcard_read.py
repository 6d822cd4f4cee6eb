"""ID card reader benchmark (issue 3). Not a test: prints figures, asserts nothing.

The simulator runs in its own process (`kiosk sim idcard`, processing delays 0, answers paced
at 115200 bit/s) and is reached through a real pty, so the figures measure wire time plus our
driver, not the simulator.

1. Card placed → identity event, over N trials with the card placed at a random moment of the
   find poll. Reported as a ratio to the protocol's own wire time for find + select + read, and
   to a baseline measured in the same process: the same three exchanges written by hand
   (write frame, read the known answer length), without framer, retries or events.
   Target: latency ≤ one poll period + 1.3 × wire time.
2. CPU used by the driver while polling an empty, armed reader: process CPU time / wall time.
   Target: below 1 % of one core.
3. Decoding a text block into a sound record (every field checked, issue 15), as a ratio to a
   baseline in the same process: the same fields split by the layout and decoded without checks.

Run: .venv/bin/python bench/idcard_read.py [--trials 20] [--idle 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from drivers.device import Unsolicited
from drivers.idcard.cards import DECK
from drivers.idcard.decode import card_type_of, decode_text
from drivers.idcard.frames import Command, encode_command
from drivers.idcard.layout import spans
from drivers.idcard.reader import IdCardReader
from drivers.transport import SerialSettings, open_transport

BAUD = 115200
FIND_PERIOD = 0.3
# bytes on the wire: three 10-byte commands, answers of 15 (find), 19 (select), 1295 (read)
WIRE = (3 * 10 + 15 + 19 + 1295) * 10 / BAUD


class Sim:
    def __init__(self) -> None:
        kiosk = str(Path(sys.executable).with_name("kiosk"))
        self.proc = subprocess.Popen(
            [kiosk, "sim", "idcard", "--delay-scale", "0", "--baud", str(BAUD)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.pty = self.proc.stdout.readline().split()[1]

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def baseline(sim: Sim, trials: int) -> list[float]:
    """The three exchanges by hand: the least any driver could do on this line."""
    t = open_transport(sim.pty, SerialSettings(baudrate=BAUD))
    times = []
    try:
        for _ in range(trials):
            sim.say("place 0")
            start = time.perf_counter()
            for command, answer in ((Command.FIND, 15), (Command.SELECT, 19), (Command.READ_BASE, 1295)):
                t.write(encode_command(command))
                t.read_exactly(answer, 3.0)
            times.append(time.perf_counter() - start)
            sim.say("lift")
    finally:
        t.close()
    return times


def latency(sim: Sim, trials: int) -> list[float]:
    got = threading.Event()

    def listener(event: object) -> None:
        if isinstance(event, Unsolicited) and event.name == "idcard.card_read":
            got.set()

    reader = IdCardReader("bench", sim.pty, baud=BAUD, find_period=FIND_PERIOD, read_address=False, listener=listener)
    reader.open()
    stop = threading.Event()

    def poller() -> None:  # what the supervisor does, without its bus
        while not stop.is_set():
            reader.wake.wait(reader.poll_interval(FIND_PERIOD))
            reader.wake.clear()
            reader.poll()

    thread = threading.Thread(target=poller, daemon=True)
    thread.start()
    times = []
    try:
        for _ in range(trials):
            got.clear()
            reader.arm()
            time.sleep(random.uniform(0, FIND_PERIOD))
            start = time.perf_counter()
            sim.say("place 0")
            got.wait(5)
            times.append(time.perf_counter() - start)
            sim.say("lift")
            while reader.status.card.value != "absent":
                time.sleep(0.01)
    finally:
        stop.set()
        reader.wake.set()
        thread.join(5)
        reader.close()
    return times


def idle_cpu(sim: Sim, seconds: float) -> float:
    reader = IdCardReader("bench", sim.pty, baud=BAUD, find_period=FIND_PERIOD)
    reader.open()
    reader.arm()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    deadline = wall0 + seconds
    polls = 0
    while time.perf_counter() < deadline:
        reader.wake.wait(reader.poll_interval(FIND_PERIOD))
        reader.wake.clear()
        reader.poll()
        polls += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    reader.close()
    print(f"idle armed polling: {polls} finds in {wall:.1f} s, CPU {cpu * 1000:.0f} ms")
    return cpu / wall


def decode_cost(rounds: int) -> tuple[float, float]:
    """Seconds per block: decode_text, and the bare split-and-decode baseline."""
    blocks = [card.text_block() for card in DECK[:-1]]  # the last card of the deck is damaged

    def bare(block: bytes) -> dict[str, str]:
        where = spans(card_type_of(block))
        return {f: block[o : o + n].decode("utf-16-le", "replace").rstrip(" \x00") for f, (o, n) in where.items()}

    def per_block(fn) -> float:
        start = time.perf_counter()
        for _ in range(rounds):
            for block in blocks:
                fn(block)
        return (time.perf_counter() - start) / (rounds * len(blocks))

    per_block(decode_text)  # warm up
    return per_block(decode_text), per_block(bare)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument("--decodes", type=int, default=2000, help="rounds over the deck for figure 3")
    args = ap.parse_args()
    checked, bare = decode_cost(args.decodes)
    sim = Sim()
    try:
        base = statistics.median(baseline(sim, args.trials))
        lat = latency(sim, args.trials)
        cpu = idle_cpu(sim, args.idle)
    finally:
        sim.close()
    med, worst = statistics.median(lat), max(lat)
    print(f"wire time find+select+read at {BAUD}: {WIRE * 1000:.1f} ms; find poll period {FIND_PERIOD * 1000:.0f} ms")
    print(f"baseline (hand-written exchanges, same process): median {base * 1000:.1f} ms = {base / WIRE:.2f} x wire")
    print(f"card placed -> identity event: median {med * 1000:.1f} ms, max {worst * 1000:.1f} ms over {len(lat)} trials")
    print(f"  median = {med / WIRE:.2f} x wire = {med / base:.2f} x baseline")
    print(f"  max - poll period = {(worst - FIND_PERIOD) / WIRE:.2f} x wire (target <= 1.3)")
    print(f"driver CPU while polling an empty armed reader: {cpu * 100:.2f} % of one core (target < 1 %)")
    print(f"decoding a text block into a sound record: {checked * 1e6:.0f} us = {checked / bare:.1f} x the unchecked"
          f" split-and-decode baseline ({bare * 1e6:.0f} us); {checked / WIRE * 100:.2f} % of the read's wire time")


if __name__ == "__main__":
    main()

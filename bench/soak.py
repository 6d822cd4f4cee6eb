"""Soak of the kiosk's services (issue 15, memory). Not a test: prints figures, asserts nothing.

The kiosk is built by the composition root in this process and started as `kiosk run` starts
it (supervisor, backend link), without Kivy; the devices are `kiosk sim` processes on ptys and
the backend a `kiosk intake-server` process (bench/terminal_hall.py), so this process's memory
is the kiosk's alone. Scripted journeys run back to back for --minutes, in rounds of four:
  1. 取号 without a card: a number from the backend, the ticket printed over the pty;
  2. 取号 with an ID card: the card laid on the reader (`place N`), read through a CardSession,
     the number issued for that person (a card already holding a number reprints it), card lifted;
  3. 预约签到 look-up of a demo booking at the backend;
  4. locker: a deposit (door opened by the bus, item put in and door shut through the lock-board
     simulator's control lines) and its pickup by code.
Events of every journey go through the outbox to the backend as on a terminal.

Figures: the baseline VmRSS once the first 10 rounds have warmed up (caches, first imports), VmRSS growth per 1,000 journeys (least squares over the samples after the
baseline; target < 1 MB), and CPU (user + system) of this process: idle (the devices polled, no
journey; the baseline, measured first in the same process) and while soaking, as % of one core,
with the CPU time per journey.

Run: .venv/bin/python bench/soak.py [--minutes 2] [--idle-seconds 10]
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import Breakdown  # noqa: E402
from terminal_hall import TerminalHall  # noqa: E402

from devicecfg import load_config  # noqa: E402
from drivers.device import DeviceState  # noqa: E402
from kiosk.composition import build_kiosk  # noqa: E402
from kiosk.lockers import Status  # noqa: E402
from kiosk.services.check_in import Booking  # noqa: E402
from kiosk.services.take_number import TakeStatus  # noqa: E402
from kiosk.logs import setup_logging  # noqa: E402

WARM_ROUNDS = 10  # rounds before the baseline is taken
CARDS = (0, 2, 3, 4)  # synthetic people of the simulated reader's deck (`kiosk sim idcard`, `cards`)
BOOKING = "YY0001"  # one of the reference server's demo bookings


def rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Journeys:
    def __init__(self, hall: TerminalHall, kiosk) -> None:
        self.hall, self.kiosk = hall, kiosk
        self.services = {s.code: s.name for g in kiosk.config.service_groups for s in g.services}
        self.counts: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self._n = 0

    def _tally(self, name: str, ok: bool) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        if not ok:
            self.failures[name] = self.failures.get(name, 0) + 1

    def round(self) -> None:
        self._n += 1
        result = self.kiosk.take_number.take("intake", self.services["intake"])
        self._tally("ticket", result.status is TakeStatus.PRINTED)
        self._tally("ticket with card", self._card_ticket(CARDS[self._n % len(CARDS)]))
        self._tally("check-in look-up", self.kiosk.check_in.look_up(BOOKING).booking is not Booking.OFFLINE)
        self._tally("locker deposit + pickup", self._locker())

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _card_ticket(self, card: int) -> bool:
        session = self.kiosk.card_session()
        read: queue.Queue = queue.Queue()
        self.hall.command("idcard", f"place {card}")
        try:
            session.start(read.put, lambda zh, en: read.put(None))
            identity = read.get(timeout=15)
            if identity is None:
                return False
            result = self.kiosk.take_number.take("tax", self.services["tax"], identity)
            if result.status is TakeStatus.ALREADY_WAITING:  # as the screen offers: reprint it
                result = self.kiosk.take_number.reprint(result.ticket, self.services["tax"])
            return result.status is TakeStatus.PRINTED
        except queue.Empty:
            return False
        finally:
            session.close()
            self.hall.command("idcard", "lift")

    def _locker(self) -> bool:
        lockers = self.kiosk.lockers
        board = {c.key: (c.board, c.lock) for c in lockers.compartments.values()}

        def fill(cabinet: str, number: int) -> None:
            b, lock = board[(cabinet, number)]
            self.hall.command("locker", f"put {b} {lock}")
            self.hall.command("locker", f"close {b} {lock}")

        def empty(cabinet: str, number: int) -> None:
            b, lock = board[(cabinet, number)]
            self.hall.command("locker", f"take {b} {lock}")
            self.hall.command("locker", f"close {b} {lock}")

        deposit = lockers.deposit("staff-demo", f"SOAK{self._n:06d}", "M", on_open=fill)
        if deposit.code is None:
            return False
        code = deposit.code
        deposit.forget()
        return lockers.pickup_by_code(code, on_open=empty).status is Status.OK


def wait_online(kiosk, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    devices = kiosk.supervisor.devices
    while any(d.state is not DeviceState.ONLINE for d in devices.values()):
        if time.monotonic() > deadline:
            states = {k: d.state.value for k, d in devices.items()}
            raise SystemExit(f"devices not online after {timeout:g} s: {states}")
        time.sleep(0.2)


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per journey."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=2.0, help="how long the journeys run (after warm-up)")
    ap.add_argument("--idle-seconds", type=float, default=10.0, help="idle CPU baseline before the journeys")
    ap.add_argument("--trace", type=int, metavar="N", default=0,
                    help="also trace Python allocations from the baseline on and print the N lines that grew most "
                         "(tracemalloc: slower, and its own memory inflates VmRSS)")
    args = ap.parse_args()
    setup_logging("WARNING")  # the journeys' INFO lines are not the figure

    # the camera streams (and the kiosk reads it) as on a terminal, at 1280x720 and 5 fps to leave
    # the CPU to the journeys; no journey here uses it
    with TerminalHall(camera_size="1280x720", camera_fps=5) as hall:
        kiosk = build_kiosk(config=load_config(hall.config), data=hall.data)
        kiosk.start()
        try:
            wait_online(kiosk)
            rss_start = rss_mb()
            cpu0, t0 = cpu_s(), time.monotonic()
            time.sleep(args.idle_seconds)
            idle_cpu = (cpu_s() - cpu0) / (time.monotonic() - t0)

            journeys = Journeys(hall, kiosk)
            for _ in range(WARM_ROUNDS):
                journeys.round()
            if args.trace:
                tracemalloc.start(8)
                before = tracemalloc.take_snapshot()
            base_j, base_rss, base_parts = journeys.total, rss_mb(), Breakdown.of(os.getpid())
            samples = [(0, base_rss)]
            cpu0, t0 = cpu_s(), time.monotonic()
            while time.monotonic() - t0 < args.minutes * 60:
                journeys.round()
                samples.append((journeys.total - base_j, rss_mb()))
            wall, busy = time.monotonic() - t0, cpu_s() - cpu0
            end_parts = Breakdown.of(os.getpid())
            grew = tracemalloc.take_snapshot().compare_to(before, "traceback")[:args.trace] if args.trace else []
        finally:
            kiosk.stop()
    done = journeys.total - base_j
    growth = slope(samples) * 1000
    late = slope(samples[len(samples) // 2:]) * 1000
    print(f"soak: {done} journeys in {wall / 60:.1f} min after {base_j} warm-up ({done / wall:.1f}/s); "
          + ", ".join(f"{k} {v}" for k, v in journeys.counts.items())
          + (f"; FAILED: {journeys.failures}" if journeys.failures else "; none failed"))
    print(f"  VmRSS: {rss_start:.0f} MB started, baseline {base_rss:.1f} MB after warm-up, {samples[-1][1]:.1f} MB at the end "
          f"(max {max(r for _, r in samples):.1f})")
    print(f"  growth {growth:+.2f} MB per 1,000 journeys (least squares over {len(samples)} samples; target < 1 MB); "
          f"second half alone {late:+.2f} MB per 1,000")
    files = sum(end_parts.files.values()) - sum(base_parts.files.values())
    print(f"  where it grew: heap {end_parts.heap - base_parts.heap:+.1f} MB, other anonymous {end_parts.anon - base_parts.anon:+.1f} MB, "
          f"mapped files {files:+.1f} MB; threads {base_parts.threads} -> {end_parts.threads}")
    print(f"  CPU: idle {idle_cpu:.1%} of one core (baseline); soaking {busy / wall:.1%} "
          f"= {busy / wall / idle_cpu if idle_cpu else float('inf'):.1f} x idle; {busy / done * 1000:.1f} ms CPU per journey")
    for stat in grew:
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback[-5:]))
        print(f"  traced {stat.size_diff / 1024:+8.1f} KiB {stat.count_diff:+6d} blocks  {where}")


if __name__ == "__main__":
    main()

"""Memory of `kiosk run` (issue 15). Not a test: prints figures, asserts nothing.

1. Resident memory (VmRSS) of `kiosk run` under SDL_VIDEODRIVER=offscreen once the UI has
   settled, on two setups measured in the same run:
   * the simulated hall (the baseline): the bundled config, every device an in-process
     simulator, the reference intake server and the hall's control page in the kiosk process;
   * terminal-shaped (bench/terminal_hall.py): the same site with every device served by a
     `kiosk sim` process on a pty (the camera's MJPEG over HTTP, 2592×1944 as the uvc-generic
     profile) and the backend in a `kiosk intake-server` process, so the kiosk process holds
     only what a terminal's does. Target ≤ 250 MB.
   Settled: the median of the samples taken in the last third of the run (the home screen is
   up within a few seconds; the figure then moves by < 1 MB). Each setup is run --runs times,
   interleaved; the median run is broken down from /proc/PID/smaps (heap, anonymous maps, the
   largest shared objects' resident pages) and its thread count.
2. --imports: VmRSS after each step of the kiosk's own import chain in a fresh interpreter
   (what each package costs before anything runs).

--env NAME=VALUE (repeatable) adds a third setup: terminal-shaped with that environment, e.g.
--env MALLOC_ARENA_MAX=2, to measure a setting before it goes into systemd/kiosk.service.

Run: .venv/bin/python bench/memory.py [--seconds 20] [--runs 3] [--imports] [--env MALLOC_ARENA_MAX=2]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from terminal_hall import TerminalHall, kiosk_exe  # noqa: E402

TARGET_MB = 250
UI_ENV = {"SDL_VIDEODRIVER": "offscreen", "KIVY_WINDOW": "sdl2", "KIVY_NO_ARGS": "1", "KIVY_NO_FILELOG": "1"}
# The kiosk's import chain, in the order `kiosk run` meets it (python -X importtime).
IMPORT_STEPS = ("pydantic", "devicecfg", "drivers.transport", "drivers.idcard.reader", "drivers.printer.printer",
                "drivers.locker.bus", "numpy", "cv2", "drivers.camera.camera", "httpx", "cryptography.hazmat.primitives.ciphers.aead",
                "kiosk.composition", "kiosk.cli", "fastapi", "uvicorn", "intake.server", "kivy.app", "ui.app")


def rss_mb(pid: int | str = "self") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


@dataclass
class Breakdown:
    """Resident memory of one process by where it lives, in MB."""

    heap: float
    anon: float  # anonymous maps: malloc arenas of other threads, large allocations, GL buffers
    files: Counter  # resident pages per mapped file (code and data of shared objects)
    threads: int

    @classmethod
    def of(cls, pid: int) -> Breakdown:
        heap = anon = 0
        files: Counter = Counter()
        name = ""
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            head = re.match(r"[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
            if head:
                name = head.group(1)
            elif line.startswith("Rss:"):
                kb = int(line.split()[1])
                if name == "[heap]":
                    heap += kb
                elif not name or name.startswith("["):
                    anon += kb
                else:
                    files[Path(name).name] += kb / 1024
        threads = len(os.listdir(f"/proc/{pid}/task"))
        return cls(heap / 1024, anon / 1024, files, threads)

    def lines(self) -> list[str]:
        top = ", ".join(f"{n} {mb:.0f}" for n, mb in self.files.most_common(6))
        return [f"    heap {self.heap:.0f} MB, other anonymous maps {self.anon:.0f} MB, {self.threads} threads",
                f"    mapped files {sum(self.files.values()):.0f} MB; largest: {top}"]


@dataclass
class Run:
    rss: float
    peak: float
    breakdown: Breakdown


def measure(args: list[str], seconds: float, env: dict[str, str]) -> Run:
    """`kiosk run ARGS --exit-after SECONDS` offscreen; its settled VmRSS and a breakdown."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([kiosk_exe(), "run", *args, "--exit-after", str(seconds)], stdout=log, stderr=log,
                                env={**os.environ, **UI_ENV, **env})
        samples: list[tuple[float, float]] = []
        breakdown = None
        start = time.monotonic()
        while proc.poll() is None:
            time.sleep(0.5)
            elapsed, rss = time.monotonic() - start, rss_mb(proc.pid)
            if rss is None or elapsed > seconds - 0.5:  # the run is ending: its teardown is not the figure
                continue
            samples.append((elapsed, rss))
            if breakdown is None and elapsed > seconds * 0.8:
                breakdown = Breakdown.of(proc.pid)
        if proc.wait() != 0 or breakdown is None:
            log.seek(0)
            raise RuntimeError(f"kiosk run {' '.join(args)} exited {proc.returncode}:\n{log.read().decode()[-3000:]}")
    settled = [rss for t, rss in samples if t > seconds * 2 / 3]
    return Run(statistics.median(settled), max(rss for _, rss in samples), breakdown)


def imports() -> None:
    code = ("import importlib, sys\n"
            "def rss_mb():\n    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024\n"
            "prev = rss_mb()\nprint(f'{prev:6.1f} MB  python itself', flush=True)\n"
            "for m in sys.argv[1:]:\n    importlib.import_module(m)\n    now = rss_mb()\n"
            "    print(f'{now:6.1f} MB  +{now - prev:5.1f}  {m}', flush=True)\n    prev = now\n")
    print("VmRSS after each import of the kiosk's chain (fresh interpreter):")
    subprocess.run([sys.executable, "-c", code, *IMPORT_STEPS], check=True,
                   env={**os.environ, **UI_ENV}, stderr=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each `kiosk run`")
    ap.add_argument("--runs", type=int, default=3, help="runs per setup (interleaved)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="a third setup: terminal with this")
    ap.add_argument("--imports", action="store_true", help="also the RSS of each step of the import chain")
    args = ap.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.env)

    if args.imports:
        imports()
        print()
    results: dict[str, list[Run]] = {}
    with TerminalHall() as hall, tempfile.TemporaryDirectory() as hall_data:
        setups = {
            "simulated hall (baseline)": (["--data-dir", hall_data], {}),
            "terminal-shaped": (["--config", str(hall.config), "--data-dir", str(hall.data)], {}),
        }
        if extra:
            setups["terminal-shaped, " + " ".join(args.env)] = setups["terminal-shaped"][0], extra
        for _ in range(args.runs):
            for name, (run_args, env) in setups.items():
                results.setdefault(name, []).append(measure(run_args, args.seconds, env))

    base = statistics.median(r.rss for r in results["simulated hall (baseline)"])
    print(f"kiosk run, offscreen, VmRSS settled after {args.seconds * 2 / 3:.0f}-{args.seconds:.0f} s "
          f"(median of {args.runs} runs; all runs; peak):")
    for name, runs in results.items():
        med = statistics.median(r.rss for r in runs)
        ratio = f"{med / base:.2f} x baseline" + (f"; target <= {TARGET_MB} MB" if name.startswith("terminal") else "")
        print(f"  {name}: {med:.0f} MB ({ratio}); runs {', '.join(f'{r.rss:.0f}' for r in runs)}; "
              f"peak {max(r.peak for r in runs):.0f} MB")
        middle = sorted(runs, key=lambda r: r.rss)[len(runs) // 2]
        print("\n".join(middle.breakdown.lines()))


if __name__ == "__main__":
    main()

"""A terminal-shaped hall for the memory and soak benchmarks: the kiosk process holds only what a
real terminal's does.

Every device is a `kiosk sim` process serving its wire protocol on a pty (ID reader, printer,
lock-board line) or over HTTP (the document camera's MJPEG stream, as a network camera would
be), and the reference backend is `kiosk intake-server` in a process of its own. The site config
is the simulated hall's catalogue, matters, staff and cabinets with only `[backend]` and the
devices' ports changed, written into the hall's temporary directory.

    with TerminalHall() as hall:
        hall.config          # the site TOML for `kiosk run --config`
        hall.data            # a data directory with the provisioned backend secret
        hall.command("idcard", "place 2")   # a control line to a simulator (see `kiosk sim --help`)
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import devicecfg

KIOSK_ID = "sim-01"  # the simulated hall's id, so its demo bookings and catalogue apply


def kiosk_exe() -> str:
    return str(Path(sys.executable).with_name("kiosk"))


class TerminalHall:
    def __init__(self, camera_size: str = "2592x1944", camera_fps: float = 15, keep: Path | None = None) -> None:
        self._tmp = None if keep else tempfile.TemporaryDirectory(prefix="terminal-hall-")
        self.dir = keep or Path(self._tmp.name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.camera_size, self.camera_fps = camera_size, camera_fps
        self.procs: dict[str, subprocess.Popen] = {}
        self._lines: dict[str, queue.Queue[str]] = {}  # each process's output, drained so it never blocks
        self.config = self.dir / "terminal.toml"
        self.data = self.dir / "kiosk-data"

    # -- processes ----------------------------------------------------------------------------
    def _start(self, name: str, *args: str) -> str:
        """Start a `kiosk …` process and return its first line of output (where it serves)."""
        proc = subprocess.Popen([kiosk_exe(), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, cwd=self.dir)
        self.procs[name] = proc
        lines = self._lines[name] = queue.Queue()
        threading.Thread(target=_drain, args=(proc.stdout, lines), daemon=True).start()
        return self._next_line(name, 30)

    def _next_line(self, name: str, timeout: float) -> str:
        try:
            return self._lines[name].get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"`kiosk {name}` said nothing for {timeout:g} s (ended: {self.procs[name].poll()})") from None

    def command(self, name: str, line: str) -> str:
        """One control line to a simulator (`kiosk sim` reads them on stdin); its reply line."""
        proc = self.procs[name]
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return self._next_line(name, 10).strip()

    def __enter__(self) -> TerminalHall:
        try:
            self._start_all()
        except BaseException:
            self.close()
            raise
        return self

    def _start_all(self) -> None:
        server_data = self.dir / "intake-server"
        secret = subprocess.run([kiosk_exe(), "intake-server", "--data", str(server_data), "--provision", KIOSK_ID],
                                check=True, capture_output=True, text=True).stdout.strip()
        self.data.mkdir(exist_ok=True)
        credentials = self.data / "backend.secret"
        credentials.write_text(secret + "\n")
        credentials.chmod(0o600)
        url = re.search(r"(http://\S+)/api/v1", self._start("backend", "intake-server", "--data", str(server_data),
                                                            "--port", "0")).group(1)
        ports = {
            "idcard": self._pty("idcard", "idcard", "--delay-scale", "0"),
            "printer": self._pty("printer", "printer", "--out", str(self.dir / "tickets"), "--speed", "0",
                                 "--cut-ms", "0"),
            "locker0": self._pty("locker", "locker", "--protocol", "kerong-cu", "--boards", "2", "--reply-ms", "5"),
        }
        camera = self._start("camera", "sim", "camera", "--tcp", "0", "--size", self.camera_size,
                             "--fps", str(self.camera_fps))
        ports["camera"] = re.search(r"(http://\S+/stream)", camera).group(1)
        self.config.write_text(site_toml(url, credentials, ports))
        site = devicecfg.load_config(self.config)  # a bad substitution fails here, not in the kiosk
        assert not site.backend.start_reference_server and not any(d.port.startswith("sim:") for d in site.devices)

    def _pty(self, name: str, *args: str) -> str:
        line = self._start(name, "sim", *args)
        if name == "printer":
            self._next_line(name, 10)  # "out: DIR"
        return line.split()[1]

    def close(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __exit__(self, *exc) -> None:
        self.close()


def _drain(stream, lines: queue.Queue[str]) -> None:
    for line in stream:
        if not line.startswith("ticket "):  # the printer's announcements: dropped, kept they would grow the soak's memory
            lines.put(line)


def site_toml(backend_url: str, credentials: Path, ports: dict[str, str]) -> str:
    """The simulated hall's config with the backend elsewhere and the devices on these ports."""
    text = Path(devicecfg.DEFAULT_CONFIG).read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[backend\]\n.*?(?=^\n)",
                  f'[backend]\nurl = "{backend_url}/"\ncredentials = "{credentials}"\ntimeout_s = 10\n', text)
    models = {"printer": "generic-80mm", "idcard": "sam-generic", "camera": "uvc-generic", "locker0": "kerong-cu16"}
    for device, port in ports.items():
        block = re.search(rf'(?ms)^\[\[devices\]\]\nid = "{device}".*?(?=^\n)', text).group(0)
        new = re.sub(r'(?m)^port = ".*"$', f'port = "{port}"', block)
        new = re.sub(r'(?m)^model = ".*"$', f'model = "{models[device]}"', new)
        text = text.replace(block, new)
    text = re.sub(r"(?s)\A.*?(?=^\[kiosk\])", "# Generated by bench/terminal_hall.py: the simulated hall's site with every device\n"
                  "# served by a `kiosk sim` process and the backend in a `kiosk intake-server` process.\n\n", text,
                  flags=re.M)
    return text


if __name__ == "__main__":  # serve a terminal-shaped hall by hand until Enter
    with TerminalHall(keep=Path(sys.argv[1]) if len(sys.argv) > 1 else None) as hall:
        print(f"kiosk run --config {hall.config} --data-dir {hall.data}")
        print(f"  simulators: {', '.join(f'{n} (pid {p.pid})' for n, p in hall.procs.items())}")
        input("Enter stops the hall. ")

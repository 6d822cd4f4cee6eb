"""The `kiosk` command line.

The UI sits above this package, so `kiosk run` gets the function that shows it injected by the
console-script entry (ui/launcher.py); kiosk/ itself never imports ui/.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from kiosk.core import Kiosk

log = logging.getLogger("kiosk")


@dataclass(frozen=True)
class RunOptions:
    fullscreen: bool = True
    exit_after: float | None = None  # seconds; for smoke runs and screenshots
    screenshot: Path | None = None


UiRunner = Callable[[Kiosk, RunOptions], int]


def _version() -> str:
    try:
        return version("hall-kiosk")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kiosk",
        description="Controller for government service hall self-service terminals (政务服务自助终端).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="start the devices and the touch UI (default config: the simulated hall)")
    run.add_argument("--config", type=Path, help="site config TOML (default: the bundled simulated hall)")
    run.add_argument("--data-dir", type=Path, help="state directory (default: $STATE_DIRECTORY or ~/.local/share/kiosk)")
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen (development)")
    run.add_argument("--exit-after", type=float, metavar="SECONDS", help="quit after this long (smoke tests)")
    run.add_argument("--screenshot", type=Path, metavar="PNG", help="with --exit-after: save the screen just before quitting")

    config = sub.add_parser("config", help="configuration tools")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", help="validate a site config; print every problem with its key and line")
    check.add_argument("file", type=Path, nargs="?", help="TOML file (default: the bundled simulated hall)")

    maint = sub.add_parser("maintenance", help="purge delivered events and uploaded materials past retention (nightly timer)")
    maint.add_argument("--config", type=Path, help="site config TOML (default: the bundled simulated hall)")
    maint.add_argument("--data-dir", type=Path, help="state directory (default: $STATE_DIRECTORY or ~/.local/share/kiosk)")

    from kiosk import diag_camera, diag_idcard, diag_locker, diag_printer, sim_cli

    diag = sub.add_parser("diag", help="talk to one device directly (technicians, integrators)")
    dsub = diag.add_subparsers(dest="device", metavar="DEVICE", required=True)
    diag_idcard.add_parser(dsub)
    diag_printer.add_parser(dsub)
    diag_locker.add_parser(dsub)
    diag_camera.add_parser(dsub)
    from kiosk import diag_bundle, diag_health, diag_trace

    diag_health.add_parser(dsub)  # over all configured devices (issue 9's CLI parity)
    diag_trace.add_parser(dsub)
    diag_bundle.add_parser(dsub)

    sim = sub.add_parser("sim", help="serve a device simulator on a pty or TCP port")
    ssub = sim.add_subparsers(dest="device", metavar="DEVICE", required=True)
    sim_cli.add_parser(ssub)

    from kiosk import intake_cli, lockers_cli, staff_cli

    intake_cli.add_parser(sub)
    staff_cli.add_parser(sub)
    lockers_cli.add_parser(sub)
    return p


def cmd_config_check(file: Path | None) -> int:
    from devicecfg import DEFAULT_CONFIG, check_config

    path = file or DEFAULT_CONFIG
    problems = check_config(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{path}: {len(problems)} problem(s); the kiosk will not start with this file.", file=sys.stderr)
        return 1
    print(f"{path}: OK")
    return 0


def cmd_maintenance(config_file: Path | None, data: Path | None) -> int:
    from devicecfg import load_config_or_report
    from kiosk.maintenance import run_maintenance
    from kiosk.paths import data_dir

    config = load_config_or_report(config_file)
    if config is None:
        return 1
    print(run_maintenance(config, data_dir(data, config.kiosk.data_dir)))
    return 0


def cmd_run(args: argparse.Namespace, run_ui: UiRunner | None) -> int:
    from devicecfg import ConfigError
    from kiosk.composition import build_kiosk

    if run_ui is None:
        print("kiosk run: this entry point has no UI; use the `kiosk` console script", file=sys.stderr)
        return 2
    try:
        kiosk = build_kiosk(args.config, args.data_dir)
    except ConfigError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    # From here a SIGTERM or SIGINT only notes the stop (kiosk.core.Drain), also while the devices
    # start: the UI's clock acts on it as soon as it runs, so a stop early in start-up is clean too.
    kiosk.drain.listen()
    log.info("kiosk starting", extra={"kiosk_id": kiosk.config.kiosk.id, "version": _version()})
    kiosk.start()
    control = None
    from kiosk.simcontrol import ControlServer, uses_simulators

    if uses_simulators(kiosk.config):  # the simulated hall: a loopback page to play the hardware
        control = ControlServer()
    try:
        return run_ui(kiosk, RunOptions(not args.windowed, args.exit_after, args.screenshot))
    finally:
        if control is not None:
            control.stop()
        kiosk.stop()
        log.info("kiosk stopped")


def main(argv: Sequence[str] | None = None, run_ui: UiRunner | None = None) -> int:
    from kiosk.logs import setup_logging

    args = build_parser().parse_args(argv)
    # `kiosk run` logs to stdout for journald; the tools (config, diag, sim) print their report
    # there (scripts parse --json), so their log lines go to stderr
    setup_logging(args.log_level, stream=None if args.command == "run" else sys.stderr)
    if args.command == "config":
        return cmd_config_check(args.file)
    if args.command == "run":
        return cmd_run(args, run_ui)
    if args.command == "maintenance":
        return cmd_maintenance(args.config, args.data_dir)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

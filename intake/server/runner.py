"""Running the server: in a background thread (tests, `kiosk run` on loopback) or blocking (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from intake.server.app import create_app
from intake.server.state import Backend


@dataclass
class ServerHandle:
    url: str  # "http://127.0.0.1:PORT"
    data_dir: Path
    app: FastAPI
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def backend(self) -> Backend:
        state: Backend = self.app.state.intake
        return state

    @property
    def staff_token(self) -> str:
        return self.backend.staff_token

    def stop(self, timeout: float = 10) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self.backend.close()


def _config(app: FastAPI) -> uvicorn.Config:
    # log_config=None: uvicorn's records go through the root logger (JSON lines under the CLI)
    # instead of uvicorn installing its own handlers; no access log, it would name every path.
    return uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=5)


def _bind(host: str, port: int) -> tuple[socket.socket, str]:
    """A listening socket, bound here so that the real port (port 0: any free one) is known
    before uvicorn runs, and the URL that reaches it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: h11 writes a response's head and body separately, and
    # Nagle would hold the body back for the client's delayed ACK (≈ 40 ms per request)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    shown = f"[{host}]" if ":" in host else host
    return sock, f"http://{shown}:{sock.getsockname()[1]}"


def run_in_thread(data_dir: Path, host: str = "127.0.0.1", port: int = 0, **create_app_kwargs: Any) -> ServerHandle:
    """Serve in a daemon thread; returns once the server accepts connections. Port 0: any free one."""
    app = create_app(data_dir, **create_app_kwargs)
    try:
        sock, url = _bind(host, port)
    except OSError:
        app.state.intake.close()
        raise
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="intake-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            app.state.intake.close()
            raise RuntimeError("the intake server did not start")
        time.sleep(0.01)
    return ServerHandle(url, Path(data_dir), app, server, thread)


def serve(host: str, port: int, data_dir: Path, on_ready: Callable[[str, FastAPI], None] | None = None,
          **create_app_kwargs: Any) -> None:
    """Serve until SIGINT/SIGTERM: the CLI's `kiosk intake-server`.

    ``on_ready(url, app)`` is called once the socket listens (connections wait in its backlog
    until uvicorn accepts them): the CLI prints the URL and the staff token there.
    """
    app = create_app(data_dir, **create_app_kwargs)
    try:
        sock, url = _bind(host, port)
        if on_ready is not None:
            on_ready(url, app)
        uvicorn.Server(_config(app)).run(sockets=[sock])
    finally:
        app.state.intake.close()

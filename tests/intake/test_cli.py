"""`kiosk intake-server`: --openapi, --provision, and serving (a real process on a free port)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from intake import signing
from kiosk.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_prints_the_checked_in_document(capsys):
    assert main(["intake-server", "--openapi"]) == 0
    assert capsys.readouterr().out == (ROOT / "intake" / "openapi.json").read_text(encoding="utf-8")


def test_provision_prints_a_secret_and_replaces_it(tmp_path, capsys):
    assert main(["intake-server", "--data", str(tmp_path), "--provision", "k-0101"]) == 0
    first = capsys.readouterr().out.strip()
    assert len(first) == 64 and int(first, 16) >= 0
    assert main(["intake-server", "--data", str(tmp_path), "--provision", "k-0101"]) == 0
    assert capsys.readouterr().out.strip() != first
    assert main(["intake-server", "--data", str(tmp_path), "--provision", "no spaces"]) == 2
    assert main(["intake-server", "--provision", "k-0101"]) == 2  # where to? --data is needed
    assert "--data" in capsys.readouterr().err


def test_serve_prints_the_url_and_staff_token_and_serves(tmp_path, capsys):
    assert main(["intake-server", "--data", str(tmp_path), "--provision", "k-0101"]) == 0
    secret = capsys.readouterr().out.strip()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "intake-server", "--port", "0", "--data", str(tmp_path),
         "--staff-token", "duty-pw"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline(), proc.stdout.readline()
        url = first.split()[2].removesuffix("/api/v1")
        assert first.startswith("intake server: http://127.0.0.1:")
        assert "token: duty-pw" in second
        deadline = time.monotonic() + 10
        while True:
            try:
                assert httpx.get(url + "/api/v1/health").json() == {"status": "ok"}
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        headers = signing.sign("GET", "/api/v1/config", b"", "k-0101", secret)
        assert httpx.get(url + "/api/v1/config", headers=headers).status_code == 200
        assert httpx.get(url + "/staff", params={"token": "duty-pw"}).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0

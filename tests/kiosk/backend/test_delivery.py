"""Delivery faults against the reference server: a long outage, a link cut mid-upload, a bad secret."""

from __future__ import annotations

import hashlib
import json
import socket
import threading

from intake.contract import EventClass
from kiosk.backend.client import BackendRejected, BackendUnavailable
from kiosk.materials import MaterialState

from tests.kiosk.backend.conftest import KIOSK, make_kiosk, save_material
from tests.support import wait_for


def test_outage_then_everything_delivered_in_order_exactly_once(kiosk, server):
    kiosk.sender.start()
    recorded = []
    for n in range(1000):
        recorded.append(kiosk.outbox.record_now("test.event", EventClass.BUSINESS, {"n": n}).key)
        if n % 50 == 49:  # 20 materials among the events
            m = save_material(kiosk, n)
            recorded.append(kiosk.outbox.pending(2000)[-1].key)
            assert kiosk.outbox.pending(2000)[-1].material_id == m.id
    assert kiosk.sender.delivered == 0 and "no connection" in kiosk.sender.last_error  # it kept trying
    assert kiosk.outbox.stats().pending == 1020

    server.start()  # the link comes back
    assert wait_for(lambda: kiosk.outbox.stats().pending == 0, 120), kiosk.sender.last_error
    rows = server.query("SELECT key, seq FROM events WHERE kiosk_id = ? ORDER BY id", (KIOSK,))
    assert [k for k, _ in rows] == recorded  # in order, each once
    assert [s for _, s in rows] == sorted(s for _, s in rows)
    held = dict(server.query("SELECT sha256, complete FROM materials"))
    materials = kiosk.materials.list()
    assert len(materials) == 20 and all(m.state is MaterialState.UPLOADED for m in materials)
    assert all(held.get(m.sha256) == 1 for m in materials)  # the backend verified every one
    assert server.query("SELECT COUNT(*) FROM submissions WHERE kiosk_id = ?", (KIOSK,)) == [(20,)]
    # the submitted event left only after its material was whole at the backend
    submitted = [json.loads(p)["material"] for (p,) in server.query(
        "SELECT payload FROM events WHERE type = 'material.submitted' ORDER BY id")]
    assert submitted == [m.id for m in materials]


class CuttingProxy:
    """TCP proxy kiosk → server that cuts every connection once after `cut_after` upstream bytes
    (the first time only), and logs the PATCH offsets that pass (the real HTTP request lines)."""

    def __init__(self, target_port: int, cut_after: int) -> None:
        self.target_port, self.cut_after = target_port, cut_after
        self.cut_done = threading.Event()
        self.upstream = 0
        self.lines: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        try:
            while data := src.recv(65536):
                if up:
                    for line in data.split(b"\r\n"):
                        if line.startswith(b"PATCH "):
                            self.lines.append(line.decode("latin-1"))
                    self.upstream += len(data)
                    if not self.cut_done.is_set() and self.upstream > self.cut_after:
                        self.cut_done.set()
                        raise OSError("link cut")
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._listener.close()


def test_link_cut_mid_upload_resumes_from_the_acknowledged_offset(tmp_path, server, secret):
    server.start()
    proxy = CuttingProxy(server.port, cut_after=1_400_000)
    k = make_kiosk(tmp_path / "k", f"http://127.0.0.1:{proxy.port}", secret, chunk=256 * 1024)
    try:
        material = save_material(k, 7, height=2200, width=1600)  # noise: about 2.7 MB of PDF
        size = len(k.materials.pdf_bytes(material))
        assert size > 2_000_000
        k.sender.start()
        assert wait_for(lambda: k.outbox.stats().pending == 0, 60), k.sender.last_error
        assert proxy.cut_done.is_set()
        offsets = [int(line.split("offset=")[1].split()[0]) for line in proxy.lines]
        # before the cut: 0, 256 KiB, …; after it the upload went on from what the backend held,
        # not from 0: no offset was sent twice but the one in flight when the link was cut
        assert offsets[0] == 0 and offsets[-1] == (size - 1) // (256 * 1024) * 256 * 1024
        resumed_at = next(i for i in range(1, len(offsets)) if offsets[i] <= offsets[i - 1])
        assert offsets[resumed_at] > 0
        assert len(offsets) - len(set(offsets)) <= 1
        held = server.query("SELECT complete FROM materials WHERE sha256 = ?", (material.sha256,))
        assert held == [(1,)]
        # the server keeps the verified bytes: they are the PDF, byte for byte
        stored = [p for p in (server.data / "materials").iterdir() if p.name.startswith(material.sha256)]
        assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in stored] == [material.sha256]
        assert k.materials.get(material.id).state is MaterialState.UPLOADED
    finally:
        k.sender.stop()
        proxy.close()
        k.store.close()


def test_client_errors_are_typed(tmp_path, server, secret):
    k = make_kiosk(tmp_path / "k", server.url, secret)
    try:
        try:
            k.client.settings()
        except BackendUnavailable as e:
            assert "no connection" in str(e)  # server not started yet
        else:
            raise AssertionError("expected BackendUnavailable")
        server.start()
        assert k.client.settings().services
        wrong = make_kiosk(tmp_path / "w", server.url, "11" * 32)
        try:
            wrong.client.settings()
        except BackendRejected as e:
            assert e.status == 401 and "11" * 8 not in str(e)  # the reason, never the secret
        else:
            raise AssertionError("expected BackendRejected")
        finally:
            wrong.store.close()
    finally:
        k.store.close()


def test_a_material_damaged_at_rest_is_reported_lost_and_its_end_never_leaves(tmp_path, server, secret):
    server.start()
    alarms = []
    k = make_kiosk(tmp_path / "k", server.url, secret, chunk=256 * 1024, on_alarm=lambda n, d: alarms.append((n, d)))
    try:
        material = save_material(k, 3, height=1400, width=1000)
        after = k.outbox.record_now("test.after", EventClass.BUSINESS, {"n": 1}).key
        path = k.materials.directory_of(material) / "material.pdf"
        sealed = bytearray(path.read_bytes())
        sealed[-100] ^= 0x01  # one bit in the last piece's ciphertext
        path.write_bytes(bytes(sealed))
        k.sender.start()
        assert wait_for(lambda: k.outbox.stats().pending == 0, 30), k.sender.last_error
        assert alarms == [("material.lost", {"material": material.id})]
        # the window hears of it (content_lost) and what followed is not held up
        events = [(t, json.loads(p)) for t, p in server.query(
            "SELECT type, payload FROM events WHERE kiosk_id = ? ORDER BY id", (KIOSK,))]
        assert events[0][0] == "material.submitted" and events[0][1]["content_lost"] is True
        assert server.query("SELECT key FROM events WHERE type = 'test.after'") == [(after,)]
        # pieces before the damaged one went out; the last, and so the whole, never did
        assert server.query("SELECT complete FROM materials WHERE sha256 = ?", (material.sha256,)) == [(0,)]
        held = (server.data / "materials" / f"{material.sha256}.partial").stat().st_size
        assert 0 < held < k.materials.pdf_size(material)
    finally:
        k.sender.stop()
        k.store.close()

"""A kiosk process for the kill -9 test: records numbered events while its sender delivers them.

    python -m tests.kiosk.backend.crash_child DIR URL SECRET record|drain

``record`` goes on from the highest number already in its outbox and prints each number once its
transaction has committed; ``drain`` records nothing and exits 0 when the outbox is empty.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from intake.contract import EventClass
from tests.kiosk.backend.conftest import make_kiosk, save_material


def main(directory: str, url: str, secret: str, mode: str) -> int:
    k = make_kiosk(Path(directory), url, secret, batch=50)
    rows = k.store.query("SELECT payload FROM outbox WHERE type = 'test.event'")
    n = max((json.loads(p)["n"] for (p,) in rows), default=-1) + 1
    k.sender.start()
    if mode == "drain":
        while k.outbox.stats().pending:
            time.sleep(0.05)
        k.sender.stop()
        return 0
    while True:
        if n % 100 == 99:
            save_material(k, n, height=300, width=200)
        k.outbox.record_now("test.event", EventClass.BUSINESS, {"n": n})
        print(n, flush=True)
        n += 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))

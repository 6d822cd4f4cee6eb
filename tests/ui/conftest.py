"""Kivy fixtures: one offscreen window per session, frames pumped by hand (kivy-notes §4.1).

No App.run(), no GraphicUnitTest, no mock GL backend: `app._run_prepare()` builds the real app
into the session window, and tests tap widgets with UnitTestTouch between EventLoop.idle() frames.
"""

from ui import kivyenv  # noqa: I001  (first: CJK font and config before any other kivy import)

kivyenv.configure(fullscreen=False, size=(1920, 1080), maxfps=0, touch_input=False)

import pytest  # noqa: E402

from kiosk.core import Kiosk  # noqa: E402
from tests.ui.fakes import make_kiosk  # noqa: E402
from tests.ui.kivyhelp import SIZE, pump, pump_until, settle  # noqa: E402


@pytest.fixture(scope="session")
def window():
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    from kivy.core.window import Window

    assert tuple(Window.size) == SIZE, "another test resized the shared window"
    return Window


@pytest.fixture
def kiosk() -> Kiosk:
    return make_kiosk()


@pytest.fixture
def app(window, kiosk):
    from ui.app import KioskApp

    app = KioskApp(kiosk)
    app._run_prepare()
    pump(3)
    yield app
    forget_app(app, window)


@pytest.fixture
def hall_app(window, tmp_path):
    """The UI on the real simulated hall: composition root, supervisor, simulators and the
    in-process intake server, with the printer, ID reader and lockers online."""
    from drivers.device import DeviceState
    from drivers.sim import registry
    from kiosk.composition import build_kiosk
    from kiosk.services.voice import Voice
    from ui.app import KioskApp

    kiosk = build_kiosk(data=tmp_path)
    kiosk.voice = Voice(enabled=False)  # prompts recorded (voice.last), not spoken by every test
    kiosk.start()
    app = KioskApp(kiosk)
    app._run_prepare()
    pump(3)
    devices = kiosk.supervisor.devices
    assert pump_until(lambda: all(devices[d].state is DeviceState.ONLINE for d in ("printer", "idcard", "locker0")), 15)
    yield app, kiosk
    forget_app(app, window)
    kiosk.stop()
    registry.forget_instances()


@pytest.fixture
def stop():
    """Ends a simulated person's watching of the locker doors (`person_closes_doors`), at the latest
    at teardown."""
    import threading

    event = threading.Event()
    yield event
    event.set()


def forget_app(app, window) -> None:
    """Undo `_run_prepare()` so the next test's app starts clean in the same window."""
    from kivy.app import App
    from kivy.lang.parser import global_idmap

    app.dispatch("on_stop")
    for child in list(window.children):
        window.remove_widget(child)
    pump(1)
    App._running_app = None
    # kv's `app` is a proxy that caches the running app and forgets it on that app's on_stop;
    # a kv rule evaluated during the teardown above would cache the old app again.
    object.__setattr__(global_idmap["app"], "_obj", None)


@pytest.fixture
def home(app):
    settle(app)
    return app.sm.get_screen("home")

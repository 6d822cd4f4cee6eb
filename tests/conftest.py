# Kivy reads its environment at its first import, wherever that happens: set it before any test
# module is collected (kivy-notes §4.1). The Kivy fixtures live in tests/ui/conftest.py.
import os

os.environ.setdefault("KIVY_NO_ARGS", "1")  # Kivy must not parse pytest's argv
os.environ.setdefault("KIVY_NO_CONFIG", "1")  # no ~/.kivy/config.ini
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # plain logging, so caplog works
os.environ.setdefault("KIVY_WINDOW", "sdl2")  # never the x11 provider that exits the process
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")


import pytest  # noqa: E402


@pytest.fixture
def echo_sim():
    """sim://echo (tests/support.py) registered for one test; instances forgotten afterwards."""
    from drivers.sim import registry
    from tests.support import EchoSimulator

    registry.register("echo", EchoSimulator)
    yield
    registry.forget_instances()
    registry._factories.pop("echo", None)


@pytest.fixture
def json_log():
    """The project's JSON logging at DEBUG into a buffer (the canary tests read it); the root
    logger restored afterwards."""
    import io
    import logging

    from kiosk.logs import setup_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buf = io.StringIO()
    setup_logging("DEBUG", stream=buf)
    yield buf
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])

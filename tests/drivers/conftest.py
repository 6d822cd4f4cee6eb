import pytest

from drivers.sim import registry
from tests.support import EchoSimulator


@pytest.fixture
def echo_sim():
    """sim://echo registered for the test; instances forgotten afterwards."""
    registry.register("echo", EchoSimulator)
    yield
    registry.forget_instances()
    registry._factories.pop("echo", None)

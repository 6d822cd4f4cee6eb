"""Generated reply schedules against the lock-board bus, both families: replies late (within the
bus's late window), duplicated, lost, cut short, interleaved between two boards and with status
sweeps. Whatever the schedule: one unlock frame per `unlock()`, no exception, and no door reported
open that the board reads closed."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.errors import TransportError
from drivers.locker.bus import BoardSpec, BusTimings, LockerBus, Protocol
from drivers.locker.types import Door
from drivers.sim import registry
from drivers.sim.locker import ReplyFate

_ids = itertools.count()
SIM = {"reply_ms": "1", "open_delay_ms": "10", "fire_ms": "10", "boards": "2"}

# -- generated reply schedules ---------------------------------------------------------------------
# The bus's late window is `command + late`; a reply leaves up to 0.9 of it after its command, its
# copy up to one window after the first; or it is lost, or cut short.
FAST = BusTimings(command=0.02, late=0.06, gap=0.001, retries=1, confirm=0.2, confirm_poll=0.01)
WINDOW = FAST.command + FAST.late
in_window = st.floats(0.0, 0.9 * WINDOW)
fate = st.one_of(
    st.just(ReplyFate()),
    st.builds(ReplyFate, delay=in_window),
    st.builds(ReplyFate, delay=st.none() | in_window, duplicate=st.floats(0.0, WINDOW)),
    st.just(ReplyFate(lost=True)),
    st.builds(ReplyFate, truncate=st.integers(1, 8)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol=st.sampled_from(Protocol), lock=st.integers(1, 12), jammed=st.booleans(), was_open=st.booleans(),
       polls=st.integers(0, 2), schedule=st.lists(fate, max_size=12), other=st.lists(fate, max_size=6))
def test_generated_reply_schedules(protocol, lock, jammed, was_open, polls, schedule, other):
    """Whatever the replies do: one unlock frame per call, no exception, and no door reported open
    that the board reads closed (a jammed lock; every lock nobody opened)."""
    opts = SIM | {"protocol": protocol.value, "id": f"gen{next(_ids)}"}
    sim = registry.simulator_for("locker", opts)
    board, neighbour = sorted(sim.boards)
    port = "sim://locker?" + "&".join(f"{k}={v}" for k, v in opts.items())
    bus = LockerBus("locker0", port, protocol=protocol, timings=FAST,
                    boards=[BoardSpec(a, 12, item_sensor=protocol is Protocol.KERONG_CU) for a in (board, neighbour)])
    try:
        bus.open()
        sim.script(board, schedule)
        sim.script(neighbour, other)
        if was_open:  # readings of this lock open may still be on their way when it is unlocked
            sim.open_door(board, lock)
            _poll(bus)
            sim.close_door(board, lock)
        sim.jam(board, lock, jammed)
        for _ in range(polls):
            _poll(bus)
        result = bus.unlock(board, lock)
        assert len(sim.unlocks(board, lock)) == 1
        if jammed:
            assert not result.opened
            # Unless the board once read it open and has not answered since, the last reading is closed.
            assert was_open or bus.door(board, lock) is not Door.OPEN
        if result.opened:
            assert sim.door(board, lock) is Door.OPEN
        assert not [(a, n) for a in (board, neighbour) for n in range(1, 13)
                    if (a, n) != (board, lock) and bus.door(a, n) is Door.OPEN]
    finally:
        bus.close()
        registry.forget_instances()


def _poll(bus: LockerBus) -> None:
    try:
        bus.poll()
    except TransportError:  # every board silent this sweep: typed, and the bus goes on
        pass

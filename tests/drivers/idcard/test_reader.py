"""The reader driver against the simulator, in-process (sim://) and through a real pty."""

import itertools
import logging

import pytest

from drivers.device import DeviceState, StatusChanged, Unsolicited
from drivers.errors import PortClosed, PortNotFound, PortTimeout, ProtocolError, TransportError
from drivers.idcard.cards import DECK, card_by_type, parse_damage
from drivers.idcard.frames import Command
from drivers.idcard.identity import CardType
from drivers.idcard.reader import (
    DAMAGED_WORDS,
    CardPresence,
    CardRead,
    IdCardReader,
    ProblemCode,
    ReaderTimings,
    SamState,
)
from drivers.idcard.reply import NoReply, ReplyLimits, ReplyStopped, ReplyTooSlow
from drivers.sim import registry
from drivers.sim.idcard import CardState, Fault, IdCardSimulator
from drivers.sim.serve import PtyServer
from kiosk.bus import EventBus
from kiosk.supervisor import Backoff, Supervisor
from tests.drivers.idcard.canary import CANARY, assert_no_canary
from tests.support import wait_for

_ids = itertools.count()


class Rig:
    def __init__(self, how: str, baud: int | None = 115200, sim_baud: int = 115200, **reader_opts) -> None:
        options = {"baud": str(sim_baud), "delay_scale": "0.05"}
        if how == "sim":
            sid = f"t{next(_ids)}"
            self.sim = registry.simulator_for("idcard", options | {"id": sid})
            port = f"sim://idcard?id={sid}&baud={sim_baud}&delay_scale=0.05"
            self.server = None
        else:
            self.sim = IdCardSimulator(options)
            self.server = PtyServer(self.sim)
            port = self.server.path
        self.events = []
        self.reader = IdCardReader("idcard", port, baud=baud, find_period=0.01, listener=self.events.append, **reader_opts)

    def names(self):
        return [e.name for e in self.events if isinstance(e, Unsolicited)]

    def payloads(self, name):
        return [e.payload for e in self.events if isinstance(e, Unsolicited) and e.name == name]

    def close(self):
        self.reader.close()
        if self.server:
            self.server.close()


@pytest.fixture(params=["sim", "pty"])
def rig(request):
    r = Rig(request.param)
    yield r
    r.close()
    registry.forget_instances()


def test_open_reads_sam_status_and_id(rig):
    rig.reader.open()
    assert rig.reader.info.serial_number == "05.01-20080808-0123456789-1234567890"
    assert rig.reader.status.sam is SamState.OK and rig.reader.status.card is CardPresence.ABSENT
    assert rig.sim.commands[:2] == [Command.SAM_STATUS, Command.SAM_ID]


def test_quiet_unless_armed(rig):
    rig.reader.open()
    rig.sim.place(0)
    rig.reader.status_period = 0
    rig.reader.poll()
    assert rig.sim.commands[-1] is Command.SAM_STATUS and rig.sim.state is CardState.PRESENT
    assert rig.names() == []


@pytest.mark.parametrize("card", range(len(DECK) - 1))  # the last one is damaged
def test_read_each_card_of_the_deck_then_removal(rig, card):
    rig.reader.open()
    rig.reader.arm()
    rig.reader.poll()  # nothing there yet
    assert rig.names() == []
    rig.sim.place(card)
    rig.reader.poll()
    assert rig.names() == ["idcard.card_read", "idcard.remove_card"]
    (read,) = rig.payloads("idcard.card_read")
    assert isinstance(read, CardRead) and read.identity.card_type is DECK[card].card_type
    assert read.identity.reveal()["id_number"] == DECK[card].fields["id_number"]
    assert read.identity.id_number_valid
    assert read.newest_address() == DECK[card].appended_address
    assert not rig.reader.armed  # one read per arming
    # still on the antenna: find would say 80, but the driver does not take that as "removed"
    rig.reader.poll()
    rig.reader.poll()
    assert "idcard.card_removed" not in rig.names()
    assert rig.reader.status.card is CardPresence.READ_AWAITING_REMOVAL
    rig.sim.lift()
    rig.reader.poll()
    assert rig.names()[-1] == "idcard.card_removed" and rig.reader.status.card is CardPresence.ABSENT
    assert rig.reader.stats.snapshot()["reads_ok"] == 1


def test_fingerprints_are_read_but_not_kept(rig):
    rig.reader.read_fingerprints = True
    rig.reader.open()
    rig.reader.arm()
    rig.sim.place(1)  # the card with two fingerprints
    rig.reader.poll()
    (read,) = rig.payloads("idcard.card_read")
    assert read.fingerprint_length == 1024 and Command.READ_BASE_FP in rig.sim.commands
    assert not any(isinstance(v, bytes) and len(v) == 1024 and v is not read.identity.photo for v in vars(read).values())


def test_no_second_read_without_lifting(rig):
    rig.reader.open()
    rig.reader.arm()
    rig.sim.place(0)
    rig.reader.poll()
    rig.reader.removal_probe = False
    rig.reader.arm()  # the next citizen's flow arms again, but the card was never lifted
    rig.reader.poll()
    assert rig.names().count("idcard.card_read") == 1  # find answers 80: no phantom read


@pytest.mark.parametrize("fault", [Fault.BAD_CHECKSUM, Fault.SILENCE, Fault.GARBAGE, Fault.TRUNCATED])
def test_one_damaged_answer_is_retried(rig, fault):
    rig.reader.open()
    rig.reader.arm()
    rig.sim.place(0)
    rig.sim.inject(fault)
    rig.reader.poll()
    assert rig.names()[:1] == ["idcard.card_read"]
    errors = rig.reader.stats.snapshot()["communication_errors"]
    assert errors == (0 if fault is Fault.GARBAGE else 1)


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.BAD_CHECKSUM, ProtocolError), (Fault.SILENCE, NoReply), (Fault.TRUNCATED, ReplyStopped)],
)
def test_persistent_damage_raises_a_typed_error_naming_the_port(rig, fault, error):
    rig.reader.open()
    rig.sim.inject(fault, persistent=True)
    rig.reader.status_period = 0
    with pytest.raises(error) as info:
        rig.reader.poll()
    assert rig.reader.port in str(info.value)


def test_card_lifted_mid_read(rig):
    rig.reader.open()
    rig.reader.arm()
    rig.sim.place(0)
    rig.sim.inject(Fault.LIFT_MID_READ)
    rig.reader.poll()
    assert rig.names() == [] and rig.reader.armed  # no event yet: try again from find
    rig.sim.place(0)
    rig.reader.poll()
    assert rig.names()[0] == "idcard.card_read"


def test_repeated_read_failures_ask_to_replace_the_card(rig):
    rig.reader.open()
    rig.reader.arm()
    for _ in range(3):
        rig.sim.place(0)
        rig.sim.inject(Fault.LIFT_MID_READ)
        rig.reader.poll()
    (problem,) = rig.payloads("idcard.read_failed")
    assert problem.sw3 == 0x41 and "请重新放置证件" in problem.text


def test_rejected_card(rig):
    rig.reader.open()
    rig.reader.arm()
    rig.sim.place(0)
    rig.sim.inject(Fault.CARD_REJECTED)
    rig.reader.poll()
    assert rig.names() == ["idcard.card_rejected", "idcard.remove_card"]
    assert rig.payloads("idcard.card_rejected")[0].sw3 == 0x32


@pytest.mark.parametrize(("fault", "sw3"), [(Fault.SAM_SELF_TEST, 0x60), (Fault.SAM_UNAUTHORISED, 0x66)])
def test_sam_faults_put_the_reader_out_of_service(rig, fault, sw3):
    rig.reader.open()
    rig.sim.inject(fault)
    rig.reader.status_period = 0
    rig.reader.poll()
    assert rig.reader.state is DeviceState.HARDWARE_ERROR and rig.reader.status.sam is SamState.FAULT
    faults = [e for e in rig.events if type(e).__name__ == "FaultRaised"]
    assert faults[-1].fault.code == f"sw3_{sw3:02x}" and faults[-1].fault.hint.value == "maintenance"
    rig.reader.poll()  # the SAM answers again
    assert rig.reader.state is DeviceState.ONLINE and rig.reader.status.sam is SamState.OK


def test_statistics_by_sw3(rig):
    rig.reader.open()
    rig.reader.arm()
    rig.reader.poll()
    stats = rig.reader.stats.snapshot()
    assert stats["sw3_80"] == 1 and stats["sw3_90"] == 2


def test_status_changes_are_deltas(rig):
    rig.reader.open()
    deltas = [e.delta for e in rig.events if isinstance(e, StatusChanged)]
    assert deltas[0] == {"sam": SamState.OK}


# -- the line rate ---------------------------------------------------------------------------
def test_probe_finds_a_reader_at_9600_over_a_pty():
    r = Rig("pty", baud=None, sim_baud=9600)
    try:
        r.reader.open()
        assert r.reader.baud == 9600 and "baud:9600" in r.reader.info.capabilities
        r.reader.arm()
        r.sim.place(0)
        r.reader.poll()
        assert r.names()[0] == "idcard.card_read"
    finally:
        r.close()


def test_wrong_configured_rate_fails_cleanly_over_a_pty():
    r = Rig("pty", baud=115200, sim_baud=9600)
    try:
        with pytest.raises(NoReply, match="no reply to SAM_STATUS within 0.30 s"):
            r.reader.open()
        assert not r.reader.is_open
    finally:
        r.close()


def test_slow_line_paces_the_answer():
    """At 9600 bit/s the 1295-byte answer needs 1.35 s of wire time: the driver waits for it."""
    r = Rig("sim", sim_baud=9600, baud=9600)
    try:
        r.reader.open()
        r.reader.arm()
        r.sim.place(0)
        r.reader.poll()
        assert r.names()[0] == "idcard.card_read"
        assert r.reader.timeout_for(Command.READ_BASE) > 1.5 + 1.5 * 1.3
    finally:
        r.close()
        registry.forget_instances()


# -- unplug and replug through the supervisor ------------------------------------------------
def test_unplug_and_replug_through_the_supervisor(tmp_path):
    sim = IdCardSimulator({"delay_scale": "0.05"})
    link = tmp_path / "idcard"
    server = PtyServer(sim, link=link)
    bus = EventBus()
    reads = []
    bus.subscribe("idcard.card_read", reads.append)
    reader = IdCardReader("idcard", str(link), baud=115200, find_period=0.01, status_period=0.05)
    sup = Supervisor([reader], bus, poll_intervals={"idcard": 0.05}, backoff=Backoff(0.02, 2, 0.1))
    sup.start()
    try:
        assert wait_for(lambda: reader.state is DeviceState.ONLINE)
        server.close()
        assert wait_for(lambda: reader.state is DeviceState.NO_DEVICE)
        server = PtyServer(sim, link=link)
        assert wait_for(lambda: reader.state is DeviceState.ONLINE)
        reader.arm()
        sim.place(card_by_type(CardType.FOREIGN_2023))
        assert wait_for(lambda: len(reads) == 1)
        assert reads[0].payload.identity.card_type is CardType.FOREIGN_2023
    finally:
        sup.stop()
        server.close()


def test_nothing_on_the_port():
    with pytest.raises(PortNotFound, match="/dev/kiosk-none/idcard"):
        IdCardReader("idcard", "/dev/kiosk-none/idcard").open()


def test_sim_unplugged_mid_session():
    r = Rig("sim")
    try:
        r.reader.open()
        r.sim.unplug()
        r.reader.status_period = 0
        with pytest.raises(PortClosed):
            r.reader.poll()
    finally:
        r.close()
        registry.forget_instances()


# -- damaged cards (issue 15) ----------------------------------------------------------------
@pytest.mark.parametrize("damage", ["name:surrogate", "address:noncharacter", "issuer:control", "birth:impossible",
                                    "id_number:impossible", "appended_address:surrogate"])
def test_damaged_card_is_never_a_good_read(rig, damage, caplog):
    caplog.set_level(logging.DEBUG)
    rig.sim.set_damage([parse_damage(damage)])
    rig.reader.open()
    rig.reader.arm()
    rig.sim.place(CANARY)
    rig.reader.poll()
    assert "idcard.card_read" not in rig.names()
    assert rig.names()[0] == "idcard.card_rejected"
    (problem,) = rig.payloads("idcard.card_rejected")
    assert problem.code is ProblemCode.CARD_DAMAGED and (problem.text, problem.text_en) == DAMAGED_WORDS
    assert damage.partition(":")[0] in problem.detail and rig.reader.stats.snapshot()["cards_damaged"] == 1
    # nothing of the person reaches an event, a log line or the statistics
    assert_no_canary(caplog.text, repr(rig.events), repr([vars(p) for p in rig.payloads("idcard.card_rejected")]))
    # the citizen lays the card again: the reader is still armed and reads it once it is sound
    rig.sim.set_damage([])
    rig.sim.lift()
    rig.reader.poll()
    rig.sim.place(CANARY)
    rig.reader.poll()
    (read,) = rig.payloads("idcard.card_read")
    assert read.identity.id_number_valid and read.newest_address() == "丁戊己庚路10号"


# -- reply deadlines that follow the bytes (issue 15) ----------------------------------------
def test_slow_but_steady_answers_are_awaited(rig):
    """A byte every 20 ms: SAM ID's 27 bytes take 0.54 s, more than its 0.30 s reply time."""
    rig.sim.set_pace(20)
    rig.reader.open()
    assert rig.reader.info.serial_number == "05.01-20080808-0123456789-1234567890"
    rig.reader.arm()
    rig.reader.poll()  # find, 11 bytes: no card
    assert rig.sim.commands[-1] is Command.FIND and rig.reader.stats.snapshot()["sw3_80"] == 1


def test_a_whole_card_read_a_byte_every_20_ms():
    """The 1295-byte answer to 30 01 takes 26 s at that pace; the deadline follows the bytes."""
    r = Rig("sim")
    try:
        r.reader.open()
        r.reader.arm()
        r.sim.place(0)
        r.sim.set_pace(20)
        r.reader.poll()
        assert r.names()[0] == "idcard.card_read"
        assert r.reader.stats.snapshot().get("communication_errors", 0) == 0
    finally:
        r.close()
        registry.forget_instances()


def test_answer_that_stops_mid_frame_says_how_far_it_got(rig):
    rig.sim.set_pace(20)
    rig.sim.inject(Fault.TRUNCATED, persistent=True)  # the 11-byte status answer stops after 8
    with pytest.raises(TransportError) as info:
        rig.reader.open()
    assert "stopped after 8 of 11 bytes" in str(info.value) and rig.reader.port in str(info.value)
    assert isinstance(info.value, ReplyStopped) and (info.value.received, info.value.expected) == (8, 11)


def test_answer_slower_than_the_cap_is_too_slow_and_not_asked_again():
    # in-process: a loaded machine cannot open a gap in its paced bytes (over a pty it could
    # stall the simulator's thread, and the answer would stop instead)
    r = Rig("sim", timings=ReaderTimings(cap_factor=1))  # the whole answer within its reply time
    try:
        r.sim.set_pace(20)  # SAM ID: 27 bytes take 0.54 s, its reply time is 0.30 s
        with pytest.raises(ReplyTooSlow, match=r"reply to SAM_ID too slow: \d+ of 27 bytes") as info:
            r.reader.open()
        assert r.reader.port in str(info.value) and 7 <= info.value.received < 27
        assert r.sim.commands.count(Command.SAM_ID) == 1
    finally:
        r.close()
        registry.forget_instances()


# -- the reply limits, clock-free ------------------------------------------------------------
LIMITS = ReplyLimits(reply=0.3, gap=0.1, cap=6.0)


def test_the_deadline_follows_the_bytes_up_to_the_cap():
    assert LIMITS.wait(0.0, None) == pytest.approx(0.3)
    assert LIMITS.wait(0.31, None) <= 0  # nothing came in time
    assert LIMITS.wait(5.0, 0.02) == pytest.approx(0.08)  # long past the reply time, bytes still coming
    assert LIMITS.wait(5.95, 0.0) == pytest.approx(0.05)  # the cap comes before the next gap would
    assert LIMITS.wait(6.0, 0.0) <= 0


@pytest.mark.parametrize(
    ("elapsed", "quiet", "error", "words"),
    [
        (0.3, None, NoReply, "no reply to READ_BASE within 0.30 s"),
        (2.0, 0.1, ReplyStopped, "reply to READ_BASE stopped after 600 of 1295 bytes"),
        (6.0, 0.02, ReplyTooSlow, "reply to READ_BASE too slow: 600 of 1295 bytes in 6.0 s"),
    ],
)
def test_giving_up_says_what_happened(elapsed, quiet, error, words):
    e = LIMITS.give_up("/dev/ttyUSB0", "READ_BASE", elapsed, quiet, 600, 1295, True)
    assert type(e) is error and isinstance(e, PortTimeout) and str(e).startswith(f"/dev/ttyUSB0: {words}")


def test_before_the_length_field_the_size_is_the_expected_one():
    e = LIMITS.give_up("/dev/ttyUSB0", "FIND", 1.0, 0.1, 3, 15, False)
    assert "stopped after 3 of 15 expected bytes" in str(e)


@pytest.mark.parametrize(("baud", "gap"), [(115200, 0.1), (9600, 1.2)])
def test_limits_scale_with_the_rate(baud, gap):
    reader = IdCardReader("idcard", "sim://idcard", baud=baud)
    limits = reader.limits_for(Command.READ_BASE)
    wire = 1295 * 10 / baud
    assert limits.reply == pytest.approx(1.5 + 1.5 * wire) and limits.gap == pytest.approx(gap)
    assert limits.cap == pytest.approx(20 * limits.reply) and limits.cap > 1295 * 0.020  # a byte every 20 ms fits


def test_damaged_card_words_are_the_uis():
    from ui.i18n import STRINGS

    assert DAMAGED_WORDS == STRINGS[f"idcard.{ProblemCode.CARD_DAMAGED.value}"]

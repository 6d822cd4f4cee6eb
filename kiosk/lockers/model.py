"""What the locker ledger talks about: compartments from the config, their states, the steps of
one physical operation, and the results handed back to the journeys (domain.md §7,
locker-boards.md §9.3)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from devicecfg.schema import Cabinet, CompartmentSize
from drivers.locker.types import Door, Item

__all__ = ["Door", "Item", "Size", "Compartment", "compartments_from_config", "CompartmentState", "DepositState",
           "OpKind", "Step", "Status", "UnlockOutcome", "LockHardware", "DepositResult", "ReleaseResult", "DepositInfo"]

Size = CompartmentSize
_SIZE_ORDER = {Size.S: 0, Size.M: 1, Size.L: 2}


@dataclass(frozen=True)
class Compartment:
    cabinet: str
    number: int
    device: str  # the RS-485 line ([[devices]] id)
    board: int  # board address on that line
    lock: int
    size: Size
    has_sensor: bool
    enabled: bool

    @property
    def key(self) -> tuple[str, int]:
        return (self.cabinet, self.number)

    def fits(self, wanted: Size) -> bool:
        return _SIZE_ORDER[self.size] >= _SIZE_ORDER[wanted]

    def size_rank(self) -> int:
        return _SIZE_ORDER[self.size]


def compartments_from_config(cabinets: Iterable[Cabinet]) -> list[Compartment]:
    """Compartment N on a board maps to lock N - first_compartment + 1."""
    out: list[Compartment] = []
    for cab in cabinets:
        for b in cab.boards:
            disabled = set(b.disabled)
            for lock in range(1, b.locks + 1):
                number = b.first_compartment + lock - 1
                out.append(Compartment(cab.id, number, b.device, b.address, lock, Size(b.size), b.item_sensor,
                                       number not in disabled))
    return out


class CompartmentState(enum.StrEnum):
    EMPTY = "empty"
    RESERVED = "reserved"  # a deposit is under way
    OCCUPIED = "occupied"
    RELEASING = "releasing"  # a pickup or recovery is under way
    OUT_OF_SERVICE = "out_of_service"  # jammed, door left open, item left: staff must look


class DepositState(enum.StrEnum):
    PENDING = "pending"  # door opened for the deposit, not yet confirmed
    ACTIVE = "active"  # in the compartment, awaiting pickup (overdue is derived from expires_at)
    PICKED_UP = "picked_up"
    RECOVERED = "recovered"
    CANCELLED = "cancelled"  # never went in


class OpKind(enum.StrEnum):
    DEPOSIT = "deposit"
    PICKUP = "pickup"
    RECOVERY = "recovery"


class Step(enum.StrEnum):
    PLANNED = "planned"
    UNLOCKING = "unlocking"  # committed before the unlock frame goes out: from here the door may open
    UNLOCK_SENT = "unlock_sent"  # the driver's unlock returned (frame sent, door watched for ~3 s)
    DOOR_OPENED = "door_opened"
    DOOR_CLOSED = "door_closed"
    VERIFIED = "verified"
    DONE = "done"
    FAILED = "failed"


TERMINAL_STEPS = (Step.DONE, Step.FAILED)


class Status(enum.StrEnum):
    OK = "ok"
    NO_COMPARTMENT = "no_compartment"
    WRONG_CODE = "wrong_code"
    NOT_FOUND = "not_found"  # no deposit for this ID card / deposit id
    LOCKED_OUT = "locked_out"
    LOCK_JAMMED = "lock_jammed"  # pickup: the citizen is told to contact staff
    DOOR_LEFT_OPEN = "door_left_open"
    NO_ITEM = "no_item"  # deposit: the sensor saw nothing after the door closed
    ITEM_LEFT = "item_left"  # pickup: the sensor still sees the item
    BOARD_OFFLINE = "board_offline"


class UnlockOutcome(Protocol):
    """drivers.locker.bus.UnlockResult, structurally."""

    @property
    def opened(self) -> bool: ...
    @property
    def door(self) -> Door: ...
    @property
    def detail(self) -> str: ...


class LockHardware(Protocol):
    """One RS-485 line of lock boards (drivers.locker.bus.LockerBus)."""

    def unlock(self, board: int, lock: int) -> UnlockOutcome: ...  # never blindly retried; polls until open or ~3 s
    def door(self, board: int, lock: int) -> Door: ...  # last polled; UNKNOWN when the board is offline
    def item(self, board: int, lock: int) -> Item: ...  # UNKNOWN where there is no sensor
    def refresh(self) -> None: ...  # poll every board now


@dataclass
class DepositResult:
    status: Status
    deposit_id: int | None = None
    cabinet: str | None = None
    number: int | None = None
    message: str = ""
    # Handed back once, never stored in clear nor logged; the journey sends it to the backend
    # (SMS) and calls forget() — kiosk.logs.SENSITIVE masks it in any log line until then.
    code: str | None = field(default=None, repr=False)

    def forget(self) -> None:
        from kiosk.logs import SENSITIVE

        if self.code:
            SENSITIVE.discard(self.code)
            self.code = None


@dataclass(frozen=True)
class ReleaseResult:
    status: Status
    deposit_id: int | None = None
    cabinet: str | None = None
    number: int | None = None
    message: str = ""
    retry_after_s: float = 0.0  # when LOCKED_OUT


@dataclass(frozen=True)
class DepositInfo:
    id: int
    cabinet: str
    number: int
    staff_id: str
    state: DepositState
    created_at: float
    expires_at: float
    case_number: str = field(repr=False)  # shown to staff on screen, never logged

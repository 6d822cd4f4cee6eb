"""24-hour certificate pickup lockers: the ledger, deposit/pickup/recovery operations, alarms and
start-up reconciliation (domain.md §7, locker-boards.md §9)."""

from kiosk.lockers.alarms import Alarm, AlarmKind
from kiosk.lockers.clock import Clock, LockerSettings, SystemClock
from kiosk.lockers.codes import load_or_create_secret
from kiosk.lockers.model import (
    Compartment,
    CompartmentState,
    DepositInfo,
    DepositResult,
    DepositState,
    LockHardware,
    OpKind,
    ReleaseResult,
    Size,
    Status,
    Step,
    UnlockOutcome,
    compartments_from_config,
)
from kiosk.lockers.operations import Lockers
from kiosk.lockers.reconcile import ReconcileReport

__all__ = [
    "Alarm", "AlarmKind", "Clock", "Compartment", "CompartmentState", "DepositInfo", "DepositResult", "DepositState",
    "LockHardware", "LockerSettings", "Lockers", "OpKind", "ReconcileReport", "ReleaseResult", "Size", "Status", "Step",
    "SystemClock", "UnlockOutcome", "compartments_from_config", "load_or_create_secret",
]

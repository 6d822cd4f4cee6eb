"""Typed results shared by both board families, and the polarity that turns bits into door/item
states (the same bit means "closed" on one lock type and "open" on another: spec §2.4, §3.3)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Door(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    UNKNOWN = "unknown"


class Item(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class DoorPolarity(enum.Enum):
    """Which feedback value means closed. LOCK_SHORTED: bit 1 / status 11 = closed (the default of
    both families); UNLOCK_SHORTED: bit 1 / status 11 = open."""

    LOCK_SHORTED = "lock_shorted"
    UNLOCK_SHORTED = "unlock_shorted"


class ItemPolarity(enum.Enum):
    """Which IR bit value means an item is in the box (Kerong D3/D4)."""

    PRESENT_IS_1 = "normal"
    PRESENT_IS_0 = "inverted"


_DOOR_ALIASES = {"lock_shorted": DoorPolarity.LOCK_SHORTED, "normal": DoorPolarity.LOCK_SHORTED,
                 "unlock_shorted": DoorPolarity.UNLOCK_SHORTED, "inverted": DoorPolarity.UNLOCK_SHORTED}
_ITEM_ALIASES = {"normal": ItemPolarity.PRESENT_IS_1, "inverted": ItemPolarity.PRESENT_IS_0}


@dataclass(frozen=True)
class Polarity:
    """Per-board configuration, applied when bits are interpreted (and by simulators when encoding)."""

    door: DoorPolarity = DoorPolarity.LOCK_SHORTED
    item: ItemPolarity = ItemPolarity.PRESENT_IS_1

    @classmethod
    def parse(cls, door: str = "lock_shorted", item: str = "normal") -> Polarity:
        """From config strings: door `lock_shorted|unlock_shorted` (or `normal|inverted`), item `normal|inverted`."""
        try:
            return cls(_DOOR_ALIASES[door.strip().lower()], _ITEM_ALIASES[item.strip().lower()])
        except KeyError as exc:
            raise ValueError(
                f"unknown polarity {exc.args[0]!r}: door takes lock_shorted|unlock_shorted, item takes normal|inverted"
            ) from None

    def door_of(self, bit: bool) -> Door:
        return Door.CLOSED if bit == (self.door is DoorPolarity.LOCK_SHORTED) else Door.OPEN

    def door_bit(self, door: Door) -> bool:
        return (door is Door.CLOSED) == (self.door is DoorPolarity.LOCK_SHORTED)

    def item_of(self, bit: bool) -> Item:
        return Item.PRESENT if bit == (self.item is ItemPolarity.PRESENT_IS_1) else Item.ABSENT

    def item_bit(self, item: Item) -> bool:
        return (item is Item.PRESENT) == (self.item is ItemPolarity.PRESENT_IS_1)


@dataclass(frozen=True)
class BoardStatus:
    """Every lock of one board; `locks[0]` is lock 1. `items` is None where the board has no IR sensors."""

    board: int
    locks: tuple[Door, ...]
    items: tuple[Item, ...] | None = None

    def door(self, lock: int) -> Door:
        """UNKNOWN for a lock the reading does not cover (an 8A/80 bitmap holds 24)."""
        return self.locks[lock - 1] if 1 <= lock <= len(self.locks) else Door.UNKNOWN

    def item(self, lock: int) -> Item:
        return self.items[lock - 1] if self.items is not None and 1 <= lock <= len(self.items) else Item.UNKNOWN


class FramingErrorKind(enum.Enum):
    BAD_CHECKSUM = "bad_checksum"
    BAD_LENGTH = "bad_length"  # the end marker is not where the frame's code says it must be
    UNKNOWN_CODE = "unknown_code"  # a start byte followed by a code no frame of this family has


@dataclass(frozen=True)
class FramingError:
    kind: FramingErrorKind
    detail: str


class DecodeError(ValueError):
    """A well-framed frame that is not the kind the caller asked to decode."""


def bits_le(data: bytes, count: int) -> tuple[bool, ...]:
    """Bits of `data` little-endian by byte and by bit: bit 0 of data[0] first."""
    return tuple(bool(data[i // 8] >> (i % 8) & 1) for i in range(count))


def pack_bits_le(bits: list[bool] | tuple[bool, ...], nbytes: int) -> bytes:
    out = bytearray(nbytes)
    for i, bit in enumerate(bits):
        if bit:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)

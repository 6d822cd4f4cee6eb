"""Decoding of read responses: the 256-byte text block of the four card layouts, photo,
fingerprints and the newest appended address. Pure functions; errors are typed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from drivers.idcard.frames import Command, ResponseFrame
from drivers.idcard.identity import LONG_TERM, CardType, Identity, id_number_valid
from drivers.idcard.status import Sw3

TEXT_LEN = 256
TYPE_OFFSET = 248


class DecodeError(ValueError):
    """A response whose content does not fit its layout (never carries decoded personal values)."""


@dataclass(frozen=True)
class BaseInfo:
    identity: Identity
    fingerprint_length: int  # bytes of fingerprint data the card returned (never kept)


def _text(block: bytes, offset: int, size: int) -> str:
    return block[offset : offset + size].decode("utf-16-le", errors="replace").rstrip(" \x00")


def _date(raw: str) -> str:
    if raw == LONG_TERM:
        return LONG_TERM
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date().isoformat()
    except ValueError:
        return raw  # kept verbatim; a wrong date is visible, not hidden


def card_type_of(block: bytes) -> CardType:
    return {
        b" \x00": CardType.RESIDENT,
        b"J\x00": CardType.HK_MO_TW,
        b"I\x00": CardType.FOREIGN_2017,
        b"Y\x00": CardType.FOREIGN_2023,
    }.get(bytes(block[TYPE_OFFSET : TYPE_OFFSET + 2]), CardType.UNKNOWN)


def decode_text(block: bytes, photo: bytes = b"") -> Identity:
    if len(block) != TEXT_LEN:
        raise DecodeError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    kind = card_type_of(block)
    t = lambda off, size: _text(block, off, size)  # noqa: E731
    if kind is CardType.FOREIGN_2017:
        number = t(122, 30)
        return Identity(
            card_type=kind, sex_code=t(120, 2), nation_code=None, birth_date=_date(t(220, 16)),
            valid_from=_date(t(188, 16)), valid_to=_date(t(204, 16)),
            # 3 letters + 12 digits, no check character: validate the shape only
            id_number_valid=len(number) == 15 and number[:3].isalpha() and number[3:].isdigit(),
            _name=t(158, 30), _id_number=number, _english_name=t(0, 120), nationality=t(152, 6), photo=photo,
        )
    if kind is CardType.FOREIGN_2023:
        number = t(122, 36)
        return Identity(
            card_type=kind, sex_code=t(30, 2), nation_code=None, birth_date=_date(t(36, 16)),
            valid_from=_date(t(188, 16)), valid_to=_date(t(204, 16)),
            id_number_valid=number.startswith("9") and id_number_valid(number),
            _name=t(0, 30), _id_number=number,
            # two parts, split at character 35: join them before stripping the padding
            _english_name=(block[52:122] + block[220:242]).decode("utf-16-le", errors="replace").strip(" \x00"),
            nationality=t(242, 6), photo=photo,
        )
    if kind is CardType.UNKNOWN:
        raise DecodeError(f"unknown card type marker {block[TYPE_OFFSET:TYPE_OFFSET + 2].hex(' ')} at text offset 248")
    number = t(122, 36)
    return Identity(
        card_type=kind, sex_code=t(30, 2), nation_code=t(32, 4) if kind is CardType.RESIDENT else None,
        birth_date=_date(t(36, 16)), valid_from=_date(t(188, 16)), valid_to=_date(t(204, 16)),
        id_number_valid=id_number_valid(number),
        _name=t(0, 30), _id_number=number, _address=t(52, 70), _issuer=t(158, 30),
        _pass_number=t(220, 18) if kind is CardType.HK_MO_TW else None,
        _issue_count=t(238, 4) if kind is CardType.HK_MO_TW else None,
        photo=photo,
    )


def decode_base_info(response: ResponseFrame, command: Command) -> BaseInfo:
    """The layout is chosen by the command that was sent, never guessed; LEN is a cross-check."""
    if response.sw3 != Sw3.OK:
        raise DecodeError(f"SW3 {response.sw3:02X} is not a data response")
    data = response.data
    header = 6 if command is Command.READ_BASE_FP else 4
    if command not in (Command.READ_BASE, Command.READ_BASE_FP):
        raise DecodeError(f"{command.name} does not return base info")
    if len(data) < header:
        raise DecodeError(f"base info of {len(data)} bytes is shorter than its {header}-byte header")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = int.from_bytes(data[4:6], "big") if command is Command.READ_BASE_FP else 0
    if header + text_len + photo_len + fp_len != len(data):
        raise DecodeError(
            f"lengths text {text_len} + photo {photo_len} + fingerprints {fp_len} do not match the {len(data) - header} data bytes"
        )
    text = data[header : header + text_len]
    photo = data[header + text_len : header + text_len + photo_len]
    return BaseInfo(decode_text(text, photo), fp_len)


def decode_address(response: ResponseFrame) -> str | None:
    """The newest appended address, or None when the card has none (SW3 91, or 90 + spaces)."""
    if response.sw3 == Sw3.NO_CONTENT:
        return None
    if response.sw3 != Sw3.OK:
        raise DecodeError(f"SW3 {response.sw3:02X} is not an address response")
    if len(response.data) != 70:
        raise DecodeError(f"appended address is {len(response.data)} bytes, expected 70")
    text = _text(response.data, 0, 70)
    return text or None


def decode_sam_id(response: ResponseFrame) -> str:
    """Display form 'AA.BB-N-NNNNNNNNNN-NNNNNNNNNN'; the raw 16 bytes stay available in the frame."""
    d = response.data
    if len(d) != 16:
        raise DecodeError(f"SAM ID is {len(d)} bytes, expected 16")
    u32 = lambda off: int.from_bytes(d[off : off + 4], "little")  # noqa: E731
    return f"{d[0]:02d}.{d[2]:02d}-{u32(4)}-{u32(8):010d}-{u32(12):010d}"

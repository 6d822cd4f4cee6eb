"""Decoding of read responses: the 256-byte text block of the four card layouts, photo,
fingerprints and the newest appended address. Pure functions; errors are typed.

A record comes back only when it is sound; anything else is a `DamagedCard`. What a sound card
cannot hold (spec §7–§9), in any field of its layout:

* text that is not valid UTF-16: an unpaired surrogate (a pair split across two fields counts);
* a control or format character (C0/C1, bidi and zero-width marks, line/paragraph separators),
  a non-character (U+FDD0–U+FDEF, U+xFFFE/U+xFFFF) or U+FFFD: nothing printed on a card is one.
  Trailing spaces and NULs are padding (§7); a NUL inside the text is not. Private-use characters
  are kept: rare characters in names are stored there;
* a field that starts with a space (fields are padded on the right), or a required field left
  blank (REQUIRED; a foreigner's card may lack a Chinese name, §7.3);
* a date that is not a YYYYMMDD calendar date (`长期` only as a resident card's valid-to), a birth
  after the card's first valid day, or a valid-to before it;
* a sex code outside GB/T 2261.1 (0, 1, 2, 9), or a nation field that is not two digits (a code
  outside the GB 3304 table is kept verbatim, §8.2: a table newer than ours is no damage);
* an ID number of the wrong shape for its card type (§7, §9), a wrong MOD 11-2 check character,
  or one whose birth date digits disagree with the birth date field (the 2017 foreigner's number
  has no check character and is checked by shape only); a residence permit number outside
  810000/820000/830000;
* a pass number that is not letters and digits, an issue count that is not two digits, a
  nationality that is not three letters (2017) or three letters or digits (2023).

The sex field disagreeing with the parity of the sequence code is not damage (§9: warn only).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from drivers.idcard.frames import Command, ResponseFrame
from drivers.idcard.identity import LONG_TERM, CardType, Identity, id_number_valid
from drivers.idcard.layout import MARKER, TEXT_LEN, TYPE_OFFSET, spans
from drivers.idcard.status import Sw3
from drivers.idcard.tables import SEX

PERMIT_PREFIXES = ("810000", "820000", "830000")  # Hong Kong, Macau, Taiwan (§7.2)
_COMMON = ("sex", "birth", "id_number", "valid_from", "valid_to")
# Fields a sound card never leaves blank. A foreigner's card may lack a Chinese name (§7.3).
REQUIRED: dict[CardType, tuple[str, ...]] = {
    CardType.RESIDENT: ("name", "nation", "address", "issuer", *_COMMON),
    CardType.HK_MO_TW: ("name", "address", "issuer", "pass_number", "issue_count", *_COMMON),
    CardType.FOREIGN_2017: ("english_name", "nationality", *_COMMON),
    CardType.FOREIGN_2023: ("english_name", "nationality", *_COMMON),
}


class DecodeError(ValueError):
    """A response whose content does not fit its layout (never carries decoded personal values)."""


class DamagedCard(DecodeError):
    """The card answered, but a field holds what no sound card can (see the module's rules).

    Names the field and what is wrong with it, never its value: the card may be damaged, or the
    bytes were spoilt on the way; either way the citizen lays the card again."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"damaged card: the {field} field {problem}")


@dataclass(frozen=True)
class BaseInfo:
    identity: Identity
    fingerprint_length: int  # bytes of fingerprint data the card returned (never kept)


def _bad_char(c: str) -> str | None:
    cp = ord(c)
    if 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE:
        return "a non-character"
    if c == "\ufffd":
        return "a replacement character"
    return {"Cc": "a control character", "Cf": "a format character", "Zl": "a line separator",
            "Zp": "a paragraph separator"}.get(unicodedata.category(c))


def text_field(raw: bytes, field: str, continued: bool = False) -> str:
    """The field's text without its padding; DamagedCard if it is not sound text. Padding is on
    the right only: a leading space is damage, except in the second part of a split field."""
    # decode outside an except block: the decoder's exception holds the raw bytes, and a chained
    # traceback must not carry them
    position = None
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError as e:
        position = e.start // 2 + 1
    if position is not None:
        raise DamagedCard(field, f"is not valid UTF-16 (an unpaired surrogate at character {position})")
    text = text.rstrip(" \x00")
    if text[:1].isspace() and not continued:
        raise DamagedCard(field, "starts with a space")
    for i, c in enumerate(text, start=1):
        if (what := _bad_char(c)) is not None:
            raise DamagedCard(field, f"holds {what} (U+{ord(c):04X}) at character {i}")
    return text


def _digits(text: str, size: int) -> bool:
    return len(text) == size and text.isascii() and text.isdigit()


def _date(field: str, raw: str, long_term: bool = False) -> str:
    if long_term and raw == LONG_TERM:
        return LONG_TERM
    if _digits(raw, 8):
        try:
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
        except ValueError:
            pass
    raise DamagedCard(field, "is not a date (YYYYMMDD" + (" or 长期)" if long_term else ")"))


def card_type_of(block: bytes) -> CardType:
    marker = bytes(block[TYPE_OFFSET : TYPE_OFFSET + 2])
    return next((kind for kind, m in MARKER.items() if m.encode("utf-16-le") == marker), CardType.UNKNOWN)


def decode_text(block: bytes, photo: bytes = b"") -> Identity:
    """The identity on a sound card; DamagedCard otherwise, DecodeError for an unknown layout."""
    if len(block) != TEXT_LEN:
        raise DecodeError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    kind = card_type_of(block)
    if kind is CardType.UNKNOWN:
        raise DecodeError(f"unknown card type marker {block[TYPE_OFFSET:TYPE_OFFSET + 2].hex(' ')} at text offset 248")
    # every field of the layout is checked, also those the identity does not carry
    t = {
        field: text_field(block[off : off + size], field, continued=field == "english_name_2")
        for field, (off, size) in spans(kind).items()
    }
    for field in REQUIRED[kind]:
        if not t[field]:
            raise DamagedCard(field, "is blank")
    if t["sex"] not in SEX:
        raise DamagedCard("sex", "holds a code outside GB/T 2261.1")
    if kind is CardType.RESIDENT and not (len(t["nation"]) == 2 and t["nation"].isascii() and t["nation"].isdigit()):
        raise DamagedCard("nation", "is not a two-digit code")
    birth = _date("birth", t["birth"])
    valid_from = _date("valid_from", t["valid_from"])
    valid_to = _date("valid_to", t["valid_to"], long_term=kind is CardType.RESIDENT)
    if birth > valid_from:
        raise DamagedCard("birth", "is after the card's first valid day")
    if valid_to != LONG_TERM and valid_to < valid_from:
        raise DamagedCard("valid_to", "is before the card's first valid day")
    _check_number(kind, t["id_number"], t["birth"])
    english = None
    if kind is CardType.FOREIGN_2017:
        english = t["english_name"]
        if not (len(t["nationality"]) == 3 and t["nationality"].isascii() and t["nationality"].isalpha()):
            raise DamagedCard("nationality", "is not a three-letter code")
    elif kind is CardType.FOREIGN_2023:
        # two parts, split at character 35: join them before stripping the padding
        english = text_field(block[52:122] + block[220:242], "english_name")
        if not (len(t["nationality"]) == 3 and t["nationality"].isascii() and t["nationality"].isalnum()):
            raise DamagedCard("nationality", "is not a three-character code")
    elif kind is CardType.HK_MO_TW:
        if not (t["pass_number"].isascii() and t["pass_number"].isalnum()):
            raise DamagedCard("pass_number", "is not letters and digits")
        if not _digits(t["issue_count"], 2):
            raise DamagedCard("issue_count", "is not two digits")
    permit = kind is CardType.HK_MO_TW
    return Identity(
        card_type=kind, sex_code=t["sex"], nation_code=t.get("nation"), birth_date=birth, valid_from=valid_from,
        valid_to=valid_to, id_number_valid=True,  # nothing unsound gets this far
        _name=t["name"] or None, _id_number=t["id_number"], _address=t.get("address"), _issuer=t.get("issuer"),
        _pass_number=t["pass_number"] if permit else None, _issue_count=t["issue_count"] if permit else None,
        _english_name=english, nationality=t.get("nationality"), photo=photo,
    )


def _check_number(kind: CardType, number: str, birth: str) -> None:
    if kind is CardType.FOREIGN_2017:  # 3 letters + 12 digits, no check character
        if not (len(number) == 15 and number[:3].isascii() and number[:3].isupper() and _digits(number[3:], 12)):
            raise DamagedCard("id_number", "is not 3 letters and 12 digits")
        return
    if not id_number_valid(number) or number != number.upper():
        raise DamagedCard("id_number", "fails its check character (GB 11643)")
    if number[6:14] != birth:
        raise DamagedCard("id_number", "disagrees with the birth field")
    if kind is CardType.FOREIGN_2023 and not number.startswith("9"):
        raise DamagedCard("id_number", "does not start with 9")
    if kind is CardType.HK_MO_TW and not number.startswith(PERMIT_PREFIXES):
        raise DamagedCard("id_number", "is not a Hong Kong, Macau or Taiwan permit number")


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
    return text_field(response.data, "appended_address") or None


def decode_sam_id(response: ResponseFrame) -> str:
    """Display form 'AA.BB-N-NNNNNNNNNN-NNNNNNNNNN'; the raw 16 bytes stay available in the frame."""
    d = response.data
    if len(d) != 16:
        raise DecodeError(f"SAM ID is {len(d)} bytes, expected 16")
    u32 = lambda off: int.from_bytes(d[off : off + 4], "little")  # noqa: E731
    return f"{d[0]:02d}.{d[2]:02d}-{u32(4)}-{u32(8):010d}-{u32(12):010d}"

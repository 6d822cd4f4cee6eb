"""Encoding of card text blocks: what a card holds, for the simulator's deck and for tests.

All people here are fictitious; ID numbers are synthetic with valid check characters (or
deliberately invalid ones, marked as damaged)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.idcard.identity import CardType, id_check_char
from drivers.idcard.layout import LAYOUTS, MARKER, spans


def synthetic_id(body17: str) -> str:
    """A synthetic number: 17 digits plus their computed check character (no real person)."""
    return body17 + id_check_char(body17)


def _f(value: str, chars: int) -> bytes:
    if len(value) > chars:
        raise ValueError(f"{len(value)} characters do not fit a {chars}-character field")
    return (value + " " * (chars - len(value))).encode("utf-16-le")


class TextDamage(enum.Enum):
    """What a damaged card holds in one field, for the simulator (written at the field's first character)."""

    SURROGATE = "surrogate"  # an unpaired high surrogate, D800: invalid UTF-16
    NONCHARACTER = "noncharacter"  # U+FFFF
    CONTROL = "control"  # U+001B ESC
    IMPOSSIBLE = "impossible"  # well-formed text, impossible content (see IMPOSSIBLE)


# Field → an impossible value of the right shape (13th month, codes out of their tables).
IMPOSSIBLE = {"birth": "19491331", "valid_from": "20151301", "valid_to": "20301301", "sex": "7", "nation": "7Z"}
_BAD_CHAR = {TextDamage.SURROGATE: 0xD800, TextDamage.NONCHARACTER: 0xFFFF, TextDamage.CONTROL: 0x001B}


@dataclass(frozen=True)
class SimCard:
    card_type: CardType
    fields: dict[str, str]
    photo: bytes = bytes(1024)
    fingerprints: bytes = b""  # 0, 512 or 1024 bytes
    appended_address: str | None = None
    label: str = ""  # for the simulator's control menu; never personal

    def text_block(self, damage: Iterable[tuple[str, TextDamage]] = ()) -> bytes:
        values = dict(self.fields, type=MARKER[self.card_type])
        if self.card_type is CardType.FOREIGN_2023:
            english = values.get("english_name", "")
            values["english_name"], values["english_name_2"] = english[:35], english[35:]
        bad: dict[str, TextDamage] = {}
        for key, how in damage:
            if how is not TextDamage.IMPOSSIBLE:
                bad[key] = how
            elif key not in values:
                continue
            elif key == "id_number":  # same number, wrong check character
                number = values[key]
                values[key] = number[:-1] + "10X98765432"[("10X98765432".index(number[-1]) + 1) % 11]
            elif key in IMPOSSIBLE:
                values[key] = IMPOSSIBLE[key]
            else:
                raise ValueError(f"no impossible value for {key}; damage it with {', '.join(d.value for d in _BAD_CHAR)}")
        block = bytearray(b"".join(_f(values.get(key, "") if key else "", chars) for key, chars in LAYOUTS[self.card_type]))
        where = spans(self.card_type)
        for key, how in bad.items():
            if key not in where:
                continue  # a field this card type does not have (the address of a foreigner's card)
            offset = where[key][0]
            block[offset : offset + 2] = _BAD_CHAR[how].to_bytes(2, "little")
        return bytes(block)

    def address_block(self, damage: Iterable[tuple[str, TextDamage]] = ()) -> bytes | None:
        """The 70 bytes of the newest appended address (spec §6.3), or None without one."""
        if self.appended_address is None:
            return None
        block = bytearray(_f(self.appended_address, 35))
        for key, how in damage:
            if key == "appended_address" and how in _BAD_CHAR:
                block[0:2] = _BAD_CHAR[how].to_bytes(2, "little")
        return bytes(block)


def parse_damage(spec: str) -> tuple[str, TextDamage]:
    """'FIELD:KIND', e.g. 'issuer:surrogate' (the `kiosk sim idcard --damage` form)."""
    field, _, kind = spec.strip().partition(":")
    fields = sorted({key for layout in LAYOUTS.values() for key, _ in layout if key not in ("", "type")} | {"appended_address"})
    if field not in fields or kind not in {d.value for d in TextDamage}:
        raise ValueError(
            f"damage {spec!r}: give FIELD:KIND, FIELD one of {', '.join(fields)}, KIND one of {', '.join(d.value for d in TextDamage)}"
        )
    return field, TextDamage(kind)


DECK: tuple[SimCard, ...] = (
    SimCard(
        CardType.RESIDENT,
        {"name": "张三", "sex": "1", "nation": "01", "birth": "19491231", "address": "北京市朝阳区示例路1号",
         "id_number": synthetic_id("11010519491231002"), "issuer": "北京市公安局朝阳分局", "valid_from": "20150601", "valid_to": "长期"},
        appended_address="北京市朝阳区示例路2号",
        label="resident, long-term (spec §14)",
    ),
    SimCard(
        CardType.RESIDENT,
        {"name": "李四娃", "sex": "2", "nation": "08", "birth": "19850712", "address": "广西壮族自治区南宁市青秀区示例大道88号",
         "id_number": synthetic_id("44030419850712001"), "issuer": "南宁市公安局青秀分局", "valid_from": "20200101", "valid_to": "20400101"},
        fingerprints=bytes(1024),
        label="resident, two fingerprints",
    ),
    SimCard(
        CardType.HK_MO_TW,
        {"name": "陈大文", "sex": "1", "birth": "19900101", "address": "广东省深圳市福田区示例路3号",
         "id_number": synthetic_id("81000019900101001"), "issuer": "深圳市公安局", "valid_from": "20210301", "valid_to": "20260301",
         "pass_number": "H12345678", "issue_count": "01"},
        label="HK/Macau/Taiwan residence permit ('J')",
    ),
    SimCard(
        CardType.FOREIGN_2017,
        {"english_name": "SMITH, JOHN ALEXANDER", "sex": "1", "id_number": "CAN310085012345", "nationality": "CAN",
         "name": "史密斯", "valid_from": "20180115", "valid_to": "20280115", "birth": "19850101", "version": "01",
         "authority": "1100"},
        label="foreigner permanent residence, 2017 ('I')",
    ),
    SimCard(
        CardType.FOREIGN_2023,
        {"name": "玛丽", "sex": "2", "renewals": "00", "birth": "19850101",
         "english_name": "WILLIAMSON-MONTGOMERY, MARY ELIZABETH ANNE", "id_number": synthetic_id("93268219850101001"),
         "valid_from": "20240101", "valid_to": "20340101", "nationality": "GBR"},
        label="foreigner permanent residence, 2023 ('Y')",
    ),
    SimCard(
        CardType.RESIDENT,
        {"name": "王五", "sex": "1", "nation": "01", "birth": "19491231", "address": "北京市东城区示例胡同5号",
         "id_number": "11010519491231002" + "9", "issuer": "北京市公安局东城分局", "valid_from": "20100101", "valid_to": "20300101"},
        label="resident, damaged: ID number with a wrong check character (9, expects X)",
    ),
)


def card_by_type(kind: CardType) -> SimCard:
    return next(c for c in DECK if c.card_type is kind)

"""Encoding of card text blocks: what a card holds, for the simulator's deck and for tests.

All people here are fictitious; ID numbers are synthetic with valid check characters (or
deliberately invalid ones, marked as such)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.idcard.identity import CardType, id_check_char


def synthetic_id(body17: str) -> str:
    """A synthetic number: 17 digits plus their computed check character (no real person)."""
    return body17 + id_check_char(body17)


def _f(value: str, chars: int) -> bytes:
    if len(value) > chars:
        raise ValueError(f"{len(value)} characters do not fit a {chars}-character field")
    return (value + " " * (chars - len(value))).encode("utf-16-le")


@dataclass(frozen=True)
class SimCard:
    card_type: CardType
    fields: dict[str, str]
    photo: bytes = bytes(1024)
    fingerprints: bytes = b""  # 0, 512 or 1024 bytes
    appended_address: str | None = None
    label: str = ""  # for the simulator's control menu; never personal

    def text_block(self) -> bytes:
        f = self.fields.get
        match self.card_type:
            case CardType.RESIDENT | CardType.HK_MO_TW:
                block = (
                    _f(f("name", ""), 15) + _f(f("sex", ""), 1) + _f(f("nation", ""), 2) + _f(f("birth", ""), 8)
                    + _f(f("address", ""), 35) + _f(f("id_number", ""), 18) + _f(f("issuer", ""), 15)
                    + _f(f("valid_from", ""), 8) + _f(f("valid_to", ""), 8)
                )
                if self.card_type is CardType.RESIDENT:
                    return block + _f("", 18)
                return block + _f(f("pass_number", ""), 9) + _f(f("issue_count", ""), 2) + _f("", 3) + _f("J", 1) + _f("", 3)
            case CardType.FOREIGN_2017:
                return (
                    _f(f("english_name", ""), 60) + _f(f("sex", ""), 1) + _f(f("id_number", ""), 15)
                    + _f(f("nationality", ""), 3) + _f(f("name", ""), 15) + _f(f("valid_from", ""), 8)
                    + _f(f("valid_to", ""), 8) + _f(f("birth", ""), 8) + _f(f("version", ""), 2)
                    + _f(f("authority", ""), 4) + _f("I", 1) + _f("", 3)
                )
            case CardType.FOREIGN_2023:
                english = f("english_name", "")
                return (
                    _f(f("name", ""), 15) + _f(f("sex", ""), 1) + _f(f("renewals", ""), 2) + _f(f("birth", ""), 8)
                    + _f(english[:35], 35) + _f(f("id_number", ""), 18) + _f("", 15) + _f(f("valid_from", ""), 8)
                    + _f(f("valid_to", ""), 8) + _f(english[35:], 11) + _f(f("nationality", ""), 3) + _f("Y", 1)
                    + _f(f("old_number_link", ""), 3)
                )
        raise ValueError(f"cannot encode a {self.card_type} card")


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
        label="resident, ID number with a wrong check character (9, expects X)",
    ),
)


def card_by_type(kind: CardType) -> SimCard:
    return next(c for c in DECK if c.card_type is kind)

"""A sound card whose personal values must never show in an error, an event or a log line."""

from drivers.idcard.cards import SimCard, synthetic_id
from drivers.idcard.identity import CardType

CANARY = SimCard(
    CardType.RESIDENT,
    {"name": "甲乙丙", "sex": "2", "nation": "03", "birth": "19800229", "address": "丁戊己庚路9号",
     "id_number": synthetic_id("64010219800229004"), "issuer": "银川市公安局兴庆分局", "valid_from": "20100101",
     "valid_to": "20300101"},
    appended_address="丁戊己庚路10号",
    label="canary: its personal values must never show",
)
# the values, and parts of them a careless mask would leave
CANARY_VALUES = ("甲乙丙", "乙丙", CANARY.fields["id_number"], CANARY.fields["id_number"][3:-4], "丁戊己庚路", "戊己庚路")


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for value in CANARY_VALUES:
            assert value not in text

"""The identity read from a card, masked by construction.

`repr`, `str`, and `masked()` never show a full personal value; the full values come only from
`reveal()`, which a journey calls where the item needs them (and which nothing logs).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass
from typing import Any

from drivers.masking import mask_id_number, mask_name, mask_secret

LONG_TERM = "长期"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class CardType(enum.StrEnum):
    RESIDENT = "resident"  # 居民身份证
    HK_MO_TW = "hk_mo_tw"  # 港澳台居民居住证 ('J')
    FOREIGN_2017 = "foreign_2017"  # 外国人永久居留身份证 2017 ('I')
    FOREIGN_2023 = "foreign_2023"  # 外国人永久居留身份证 2023 ('Y')
    UNKNOWN = "unknown"


def id_check_char(body17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def id_number_valid(number: str) -> bool:
    """GB 11643-1999 (ISO 7064 MOD 11-2) check character and a real birth date."""
    number = number.strip().upper()
    # ASCII digits: str.isdigit() also takes "¹", which int() then refuses (card data is untrusted)
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()) or number[17] != id_check_char(number[:17]):
        return False
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, repr=False)
class Identity:
    card_type: CardType
    sex_code: str
    nation_code: str | None  # resident cards only
    birth_date: str  # YYYY-MM-DD, or the raw text when it is not a date
    valid_from: str
    valid_to: str  # YYYY-MM-DD or 长期
    id_number_valid: bool
    _name: str | None  # None: a foreigner's card without a Chinese name
    _id_number: str
    _address: str | None = None  # resident and 'J' cards only: None where the card type has none
    _issuer: str | None = None  # likewise
    _pass_number: str | None = None  # 'J'
    _issue_count: str | None = None  # 'J'
    _english_name: str | None = None  # 'I', 'Y'
    nationality: str | None = None  # 'I', 'Y'
    photo: bytes = b""  # WLT-compressed, opaque; sensitive (GB/T 45574-2025)

    def reveal(self) -> dict[str, Any]:
        """Every field in full, as the `--json` output and the backend need them."""
        return {
            "card_type": str(self.card_type),
            "name": self._name,
            "sex_code": self.sex_code,
            "nation_code": self.nation_code,
            "birth_date": self.birth_date,
            "address": self._address,
            "id_number": self._id_number,
            "issuer": self._issuer,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "id_number_valid": self.id_number_valid,
            "pass_number": self._pass_number,
            "issue_count": self._issue_count,
            "english_name": self._english_name,
            "nationality": self.nationality,
            "photo_sha256": self.photo_sha256,
        }

    def masked(self) -> dict[str, Any]:
        """The same keys with personal values masked: safe for logs, traces and screens."""
        out = self.reveal()
        out["name"] = mask_name(self._name)
        out["id_number"] = mask_id_number(self._id_number)
        out["address"] = mask_secret(self._address) if self._address else None
        out["birth_date"] = self.birth_date[:4] + "-**-**" if self.birth_date else ""
        if self._english_name:
            out["english_name"] = mask_name(self._english_name)
        if self._pass_number:
            out["pass_number"] = mask_id_number(self._pass_number)
        out["photo_sha256"] = None  # a hash of a photo is still a biometric identifier
        return out

    def shown_name(self) -> str:
        """The masked name to show a person: the Chinese name, else (a foreigner's card may lack
        one) the English name, else nothing."""
        return mask_name(self._name or self._english_name or "")

    @property
    def photo_sha256(self) -> str | None:
        return hashlib.sha256(self.photo).hexdigest() if self.photo else None

    def personal_values(self) -> tuple[str, ...]:
        """The strings a journey registers with the log redactor while it holds this identity."""
        return tuple(
            v for v in (self._name, self._id_number, self._address, self._english_name, self._pass_number) if v
        )

    def __repr__(self) -> str:
        m = self.masked()
        return f"Identity({self.card_type}, {m['name']}, {m['id_number']}, valid={self.id_number_valid})"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # pickling would be an unmasked copy on disk
        raise TypeError("Identity is not serialisable; use masked() or reveal() explicitly")

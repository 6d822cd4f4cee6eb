"""Where each field sits in the 256-byte text block, per card type (spec §7), in characters.

One table for both directions: the decoder reads fields by these spans, the simulator's deck
writes them, and its damage faults find a field's bytes with them. A key of "" is reserved
(spaces); "type" is the discriminator at text offset 248.
"""

from __future__ import annotations

from drivers.idcard.identity import CardType

TEXT_LEN = 256
TYPE_OFFSET = 248

MARKER: dict[CardType, str] = {
    CardType.RESIDENT: " ", CardType.HK_MO_TW: "J", CardType.FOREIGN_2017: "I", CardType.FOREIGN_2023: "Y",
}

LAYOUTS: dict[CardType, tuple[tuple[str, int], ...]] = {
    CardType.RESIDENT: (  # §7.1
        ("name", 15), ("sex", 1), ("nation", 2), ("birth", 8), ("address", 35), ("id_number", 18), ("issuer", 15),
        ("valid_from", 8), ("valid_to", 8), ("", 14), ("type", 1), ("", 3),
    ),
    CardType.HK_MO_TW: (  # §7.2; the nation slot is reserved
        ("name", 15), ("sex", 1), ("", 2), ("birth", 8), ("address", 35), ("id_number", 18), ("issuer", 15),
        ("valid_from", 8), ("valid_to", 8), ("pass_number", 9), ("issue_count", 2), ("", 3), ("type", 1), ("", 3),
    ),
    CardType.FOREIGN_2017: (  # §7.3: its own offsets
        ("english_name", 60), ("sex", 1), ("id_number", 15), ("nationality", 3), ("name", 15), ("valid_from", 8),
        ("valid_to", 8), ("birth", 8), ("version", 2), ("authority", 4), ("type", 1), ("", 3),
    ),
    CardType.FOREIGN_2023: (  # §7.4: the English name comes in two parts, 35 + 11 characters
        ("name", 15), ("sex", 1), ("renewals", 2), ("birth", 8), ("english_name", 35), ("id_number", 18), ("", 15),
        ("valid_from", 8), ("valid_to", 8), ("english_name_2", 11), ("nationality", 3), ("type", 1),
        ("old_number_link", 3),
    ),
}


def spans(kind: CardType) -> dict[str, tuple[int, int]]:
    """field → (byte offset, byte size) in the text block; reserved slots left out."""
    out: dict[str, tuple[int, int]] = {}
    offset = 0
    for key, chars in LAYOUTS[kind]:
        if key:
            out[key] = (offset, 2 * chars)
        offset += 2 * chars
    return out


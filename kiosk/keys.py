"""Purpose-bound keys derived from the kiosk's backend secret (HKDF-SHA256): no two uses share one."""

from __future__ import annotations

MATERIALS_AT_REST = b"hall-kiosk materials at rest v1"
ID_HASH = b"hall-kiosk id hash v1"


def derived_key(secret_hex: str, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(bytes.fromhex(secret_hex))

"""Masking of personal values for display, logs and traces (GB/T 35273-2020 §7.2 display restriction).

Lives at the bottom layer so that identity types in drivers/ can mask themselves in repr/str.
"""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """An 18-character number keeps its first three and last four: 110***********002X."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张三丰 → 张**; a Latin name keeps its first letter only."""
    if not value:
        return value
    return value[0] + "*" * max(1, len(value) - 1)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_secret(value: str) -> str:
    """Pickup codes, addresses, PINs: nothing of the value is kept, not even its length."""
    return "******"

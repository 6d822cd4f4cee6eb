"""What the driver needs to know about a printer model (built from devicecfg's profile by the
composition root; drivers/ never reads configuration itself)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PrinterModel:
    name: str = "generic-80mm"
    dots: int = 576
    charset: str = "gbk"
    font_missing: Sequence[tuple[int, int]] = ()
    cutter: bool = True
    cut_command: bytes = b"\x1d\x56\x42\x00"  # feed to the cutter, partial cut
    qr_native: bool = True
    status_dle_eot: bool = True
    barrier_gs_r: bool = True
    clear_dle_dc4: bool = False
    recover_dle_enq: bool = True
    raster_band_rows: int = 255
    speed_mm_s: float = 150.0
    dpi: int = 203

    def print_seconds(self, data: bytes) -> float:
        """A rough print-time estimate for the barrier timeout: 8 mm per 100 bytes of ticket."""
        mm = 80 + len(data) / 100 * 8
        return mm / self.speed_mm_s + (0.5 if self.cutter else 0.0)

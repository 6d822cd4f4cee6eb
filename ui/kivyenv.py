"""Kivy's environment and config for every UI entry point: import this before anything from kivy.

Importing it (kivy-notes §2–§6):
* sets environment defaults Kivy reads at its own import: no argv parsing, the sdl2 window
  provider (never the x11 fallback that exits the process), the `offscreen` SDL driver when
  there is no DISPLAY, logging through Python's `logging`, no log files, and no
  `~/.kivy/config.ini` unless KIVY_HOME points at a state directory;
* registers the Noto Sans SC face as Kivy's default font (before `kivy.core.text` is imported,
  which is when Kivy reads it), so Chinese never renders as tofu boxes;
* applies the kiosk hardening and production window settings: no ESC exit, one input provider
  (`mouse = mouse,disable_multitouch`: SDL's mouse events carry the touchscreen, a second provider
  would double every tap), tolerant tap settings, 30 fps, full screen, no cursor, no screensaver.

`configure()` changes the window settings (tests: fixed size, unthrottled frames, no input
provider). Call it before the window exists; afterwards it adjusts the live window.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

if "kivy.core.text" in sys.modules:  # pragma: no cover - an import-order bug, caught by any UI test
    raise RuntimeError(
        "ui.kivyenv was imported after kivy.core.text: the CJK default font cannot be registered "
        "any more and Chinese would render as boxes. Import ui.kivyenv first (ui.app does)."
    )

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_WINDOW", "sdl2")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
if "KIVY_HOME" not in os.environ:
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")  # kmsdrm sites set it explicitly

from kivy.config import Config  # noqa: E402  (after the environment above, on purpose)

FONT_NAME = "KioskCJK"
_WQY = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def find_cjk_font() -> Path:
    """The font file for all text: $KIOSK_FONT, else Noto Sans SC from the `pylopdf-fonts-zh-cn`
    package, else WenQuanYi Micro Hei from Debian's fonts-wqy-microhei.

    Never a Noto CJK .ttc: Kivy opens face 0, the Japanese one (kivy-notes §2)."""
    override = os.environ.get("KIOSK_FONT")
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(f"KIOSK_FONT={override} does not exist; unset it or point it at an .otf/.ttf")
        return path
    try:
        import pylopdf_fonts_zh_cn

        path = Path(pylopdf_fonts_zh_cn.sans_path())
        if path.is_file():
            return path
    except ImportError:
        pass
    for candidate in _WQY:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "no Chinese font: install the Python package pylopdf-fonts-zh-cn (or apt install "
        "fonts-wqy-microhei), or set KIOSK_FONT to a Simplified Chinese .otf/.ttf"
    )


FONT_PATH = find_cjk_font()
Config.set("kivy", "default_font", str([FONT_NAME, str(FONT_PATH), str(FONT_PATH), str(FONT_PATH), str(FONT_PATH)]))

# -- hardening (kivy-notes §6) ---------------------------------------------------------------------
Config.set("kivy", "exit_on_escape", "0")  # read when kivy.core.window is imported
Config.set("kivy", "keyboard_mode", "system")  # never pop up a virtual keyboard by itself
for _option in Config.options("modules") if Config.has_section("modules") else ():
    Config.remove_option("modules", _option)  # no inspector/monitor/screen debug modules
if Config.has_section("input"):
    for _option in Config.options("input"):
        Config.remove_option("input", _option)
else:
    Config.add_section("input")
# One touch source only (kivy-notes §6.1). A site with a calibrated multitouch panel sets
# KIOSK_TOUCH_INPUT, e.g. "mtdev,/dev/input/by-id/usb-...-event-if00".
if os.environ.get("KIOSK_TOUCH_INPUT"):
    Config.set("input", "touch", os.environ["KIOSK_TOUCH_INPUT"])
else:
    Config.set("input", "mouse", "mouse,disable_multitouch")
# Tolerant tap detection for older users.
Config.set("postproc", "double_tap_time", "400")
Config.set("postproc", "double_tap_distance", "40")
Config.set("postproc", "jitter_distance", "10")

# -- production window ---------------------------------------------------------------------------
Config.set("graphics", "maxfps", "30")  # fanless boxes: no need for 60 fps
Config.set("graphics", "fullscreen", "auto")
Config.set("graphics", "borderless", "1")
Config.set("graphics", "show_cursor", "0")
Config.set("graphics", "allow_screensaver", "0")
Config.set("graphics", "resizable", "0")

# Kivy's own size defaults, used when `configure(fullscreen=False)` is given no size.
DEFAULT_SIZE = (1920, 1080)


def _window_exists() -> bool:
    core_window = sys.modules.get("kivy.core.window")
    return bool(core_window is not None and getattr(core_window, "Window", None) is not None)


def configure(
    *,
    fullscreen: bool = True,
    size: tuple[int, int] | None = None,
    maxfps: int | None = None,
    touch_input: bool = True,
    show_cursor: bool | None = None,
) -> None:
    """Window settings. Production is the default at import; tests call
    `configure(fullscreen=False, size=(1920, 1080), maxfps=0, touch_input=False)` before the
    first window. `size` is only used when not full screen."""
    if maxfps is not None:
        Config.set("graphics", "maxfps", str(int(maxfps)))
        clock = sys.modules.get("kivy.clock")
        if clock is not None and getattr(clock, "Clock", None) is not None:
            clock.Clock._max_fps = float(maxfps)  # Kivy reads maxfps only when the Clock is built
    if not touch_input:
        for option in Config.options("input"):
            Config.remove_option("input", option)
    if show_cursor is None:
        show_cursor = not fullscreen
    width, height = size or DEFAULT_SIZE
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "1" if show_cursor else "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    if _window_exists():
        from kivy.core.window import Window

        Window.borderless = fullscreen
        Window.show_cursor = show_cursor
        if fullscreen:
            Window.fullscreen = "auto"
        else:
            Window.fullscreen = False
            Window.size = (width, height)

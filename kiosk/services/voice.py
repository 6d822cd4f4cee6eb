"""Voice prompts (语音提示): each step's words spoken in Mandarin (or English), for people who
cannot read the screen well.

espeak-ng speaks them (Debian's package; no network, no recorded clips to keep in step with the
texts). The newest prompt wins: a prompt still being spoken when the screen moves on is cut off,
so the voice never lags behind the screen. Speaking runs in its own process, never on the UI's
thread; a kiosk without espeak-ng (or with voice off) stays silent and says so once in the log.
Prompts are the screen's own words, which never carry a person's data unmasked.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn", "en": "en"}
RATE = {False: 150, True: 120}  # words per minute: slower in 大字模式 (elder mode)


class Voice:
    def __init__(self, enabled: bool = True, *, volume: int = 100, program: str = "espeak-ng",
                 output: str | None = None) -> None:
        """``output``: a WAV file to write instead of the sound card (tests, and checking a
        prompt on a machine without speakers)."""
        self.program = shutil.which(program) if enabled else None
        self.volume = max(0, min(200, volume))
        self.output = output
        self._lock = threading.Lock()
        self._speaking: subprocess.Popen | None = None
        self.last = ""  # the last prompt given (what a "repeat" button would say again)
        if enabled and self.program is None:
            log.warning("voice prompts are off: %s is not installed", program)

    @property
    def available(self) -> bool:
        return self.program is not None

    def command(self, text: str, lang: str = "zh", slow: bool = False) -> list[str]:
        cmd = [self.program or "espeak-ng", "-v", VOICES.get(lang, "cmn"), "-s", str(RATE[slow]), "-a", str(self.volume)]
        if self.output:
            cmd += ["-w", self.output]
        return cmd + ["--", text]

    def say(self, text: str, lang: str = "zh", slow: bool = False) -> None:
        """Speak ``text`` now, cutting off whatever is still being said."""
        text = " ".join(text.split())
        if not text:
            return
        self.last = text
        if self.program is None:
            return
        with self._lock:
            self._cut()
            try:
                self._speaking = subprocess.Popen(self.command(text, lang, slow), stdin=subprocess.DEVNULL,
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError as e:
                log.warning("voice prompt failed: %s", e.strerror or type(e).__name__)

    def wait(self, timeout: float = 10.0) -> bool:
        """Until the prompt being spoken has ended (tests; the UI never waits)."""
        with self._lock:
            speaking = self._speaking
        if speaking is None:
            return True
        try:
            speaking.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> None:
        with self._lock:
            self._cut()
        self.last = ""

    def _cut(self) -> None:
        if self._speaking is not None and self._speaking.poll() is None:
            self._speaking.terminate()
            try:
                self._speaking.wait(1.0)
            except subprocess.TimeoutExpired:
                self._speaking.kill()
        self._speaking = None

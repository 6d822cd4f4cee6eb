"""Voice prompts through the real espeak-ng (installed by ./dev), written to WAV files."""

from __future__ import annotations

import wave

from kiosk.services.voice import Voice


def _seconds(path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_a_mandarin_prompt_is_spoken_slower_in_elder_mode(tmp_path):
    normal, slow = tmp_path / "normal.wav", tmp_path / "slow.wav"
    text = "3 号柜门已打开，请取走您的证件，并关好柜门"
    for path, elder in ((normal, False), (slow, True)):
        voice = Voice(output=str(path))
        assert voice.available
        voice.say(text, "zh", slow=elder)
        assert voice.wait(20)
    assert 2.0 < _seconds(normal) < _seconds(slow)  # spoken, and slower for the elderly
    assert Voice(output=str(tmp_path / "x.wav")).command(text, "zh")[1:3] == ["-v", "cmn"]
    assert Voice(output=str(tmp_path / "x.wav")).command("Door 3 is open", "en")[1:3] == ["-v", "en"]


def test_the_newest_prompt_cuts_off_the_one_being_spoken(tmp_path):
    voice = Voice(output=str(tmp_path / "out.wav"))
    voice.say("请把材料平放在拍摄区，放稳后自动拍摄。" * 40)  # long: still being spoken
    first = voice._speaking
    voice.say("已拍第 1 页")
    assert first.poll() is not None and first.returncode != 0  # cut off
    assert voice.wait(20) and voice.last == "已拍第 1 页"
    voice.stop()
    assert voice.last == ""  # forgotten at the privacy reset


def test_without_espeak_ng_the_kiosk_stays_silent_and_says_why(caplog, tmp_path):
    voice = Voice(program="no-such-speech-program")
    assert not voice.available and "not installed" in caplog.text
    voice.say("取号")  # no error: the screen still shows the words
    assert voice.last == "取号" and voice.wait(1)

"""Where the kiosk keeps its state under systemd: StateDirectory=kiosk hands it
$STATE_DIRECTORY, and the example site config does not override it."""

from pathlib import Path

from devicecfg import load_config
from kiosk.paths import data_dir

ROOT = Path(__file__).resolve().parents[2]


def test_state_directory_from_systemd_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("STATE_DIRECTORY", f"{tmp_path}/state:{tmp_path}/other")  # several: the first
    config = load_config(ROOT / "devicecfg/sites/township-example.toml")
    assert config.kiosk.data_dir == ""  # else the unit's StateDirectory= would be ignored
    assert data_dir(None, config.kiosk.data_dir) == tmp_path / "state"
    assert data_dir(tmp_path / "explicit", config.kiosk.data_dir) == tmp_path / "explicit"


def test_without_systemd_the_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data_dir(None, "") == tmp_path / "kiosk"

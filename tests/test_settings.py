"""Environment switches are read at call time, in one place."""

from pathlib import Path

import pytest

from labkit import settings


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True),
                                             ("0", False), ("", False), ("no", False)])
def test_flags_are_read_at_call_time(monkeypatch, value, expected):
    for name, read in [("LABKIT_OFFLINE", settings.offline), ("LABKIT_QUIET", settings.quiet),
                       ("LABKIT_FAST", settings.fast)]:
        monkeypatch.setenv(name, value)
        assert read() is expected


def test_data_root_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("LABKIT_DATA", raising=False)
    assert settings.data_root() == Path.home() / ".cache" / "labkit" / "data"
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path))
    assert settings.data_root() == tmp_path
    assert not any(tmp_path.iterdir())  # reading the setting creates nothing


def test_check_seed(monkeypatch):
    monkeypatch.delenv("LABKIT_SEED", raising=False)
    assert settings.check_seed() is None
    monkeypatch.setenv("LABKIT_SEED", " 7 ")
    assert settings.check_seed() == 7


def test_expected_outcome(monkeypatch):
    monkeypatch.setenv("LABKIT_EXPECT", "Not-Attempted")
    assert settings.expected_outcome() == "not-attempted"
    monkeypatch.setenv("LABKIT_EXPECT", "")
    assert settings.expected_outcome() is None

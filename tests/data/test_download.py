"""Downloads have a time limit of their own and leave process-wide settings alone."""

import hashlib
import io
import socket
import urllib.request

import pytest

from labkit.data import download
from labkit.data.download import fetch, fetch_first, scratch_folder


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_scratch_folder_leaves_the_socket_timeout_alone(tmp_path):
    """Does the scratch folder leave the process-wide socket timeout as it was?"""
    before = socket.getdefaulttimeout()
    with scratch_folder(tmp_path, ".x-") as scratch:
        assert scratch.is_dir()
        assert socket.getdefaulttimeout() == before
    assert not scratch.exists()


def test_fetch_gives_its_own_request_a_time_limit(tmp_path, monkeypatch):
    """Does fetch pass the time limit to its request and check the MD5?"""
    calls = []

    def urlopen(request, timeout=None):
        calls.append((request.full_url, timeout))
        return FakeResponse(b"payload")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    md5 = hashlib.md5(b"payload").hexdigest()
    fetch("https://example.org/a.gz", tmp_path / "raw" / "a.gz", md5=md5)
    assert calls == [("https://example.org/a.gz", download.DOWNLOAD_TIMEOUT_S)]
    assert (tmp_path / "raw" / "a.gz").read_bytes() == b"payload"
    with pytest.raises(OSError, match="MD5"):
        fetch("https://example.org/a.gz", tmp_path / "a.gz", md5="0" * 32)


def test_fetch_first_tries_the_next_mirror(tmp_path, monkeypatch):
    """Does a failing mirror lead to the next one, and the last error come out?"""
    def urlopen(request, timeout=None):
        if "down" in request.full_url:
            raise TimeoutError("timed out")
        return FakeResponse(b"ok")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    fetch_first(["https://down.example/x", "https://up.example/x"], tmp_path / "x")
    assert (tmp_path / "x").read_bytes() == b"ok"
    with pytest.raises(TimeoutError):
        fetch_first(["https://down.example/x"], tmp_path / "y")


def test_fetch_shows_the_bytes_received_against_the_size(tmp_path, monkeypatch):
    """Does a download drive a progress bar up to the size the server announced?"""
    class Sized(FakeResponse):
        headers = {"Content-Length": "300000"}

    bars = []

    class Bar:
        def __init__(self, total, label):
            self.total, self.label, self.done = total, label, 0
            bars.append(self)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def update(self, n):
            self.done += n

    monkeypatch.setattr(urllib.request, "urlopen", lambda r, timeout=None: Sized(b"x" * 300000))
    monkeypatch.setattr(download, "progress_bar", Bar)
    fetch("https://example.org/big.tar.gz", tmp_path / "big.tar.gz", label="CIFAR-10")
    assert [(b.total, b.label, b.done) for b in bars] == [(300000, "CIFAR-10", 300000)]


def test_the_bar_is_silent_in_quiet_mode(monkeypatch):
    monkeypatch.setenv("LABKIT_QUIET", "1")
    with download.progress_bar(10, "x") as bar:
        assert bar.disable
    monkeypatch.setenv("LABKIT_QUIET", "0")
    with download.progress_bar(10, "x") as bar:
        assert not bar.disable and bar.total == 10


def test_cifar_says_what_it_fetches_and_where(tmp_path, monkeypatch, capsys):
    """Before the 170 MB download starts, does one line name the address and the folder?"""
    from torchvision import datasets

    from labkit.data import cifar

    fetched = []

    def fake_fetch(urls, target, md5=None, label=None):
        fetched.append((urls, label))
        raise OSError("stop here")

    monkeypatch.setattr(cifar, "fetch_first", fake_fetch)
    monkeypatch.setenv("LABKIT_OFFLINE", "0")
    assert cifar.cifar10_or_none(tmp_path) is None
    out = capsys.readouterr().out
    folder = tmp_path / datasets.CIFAR10.base_folder
    assert f"downloading {datasets.CIFAR10.url} (about 170 MB) into {folder}" in out
    assert fetched == [([datasets.CIFAR10.url], "CIFAR-10")]
    assert "the download failed (stop here)" in out

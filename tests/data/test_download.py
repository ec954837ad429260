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

"""CIFAR-10 is optional: a dataset when it can be had, None with one clear line otherwise."""

import hashlib

import pytest
import torchvision

from labkit.data.cifar import cifar10_or_none

FILES = {"data_batch_1": b"train images", "test_batch": b"test images",
         "batches.meta": b"label names"}


def _md5(payload: bytes) -> str:
    return hashlib.md5(payload).hexdigest()


class FakeCifar10:
    """Stands in for torchvision's CIFAR10: same class attributes, tiny files, no network."""

    base_folder = "cifar-10-batches-py"
    train_list = [["data_batch_1", _md5(FILES["data_batch_1"])]]
    test_list = [["test_batch", _md5(FILES["test_batch"])]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": _md5(FILES["batches.meta"])}
    fail_download = None  # an exception to raise after writing half of the files
    downloads = []

    def __init__(self, root, train=True, transform=None, download=False):
        self.root, self.train, self.transform = root, train, transform
        folder = root / self.base_folder
        if download:
            FakeCifar10.downloads.append(root)
            folder.mkdir(parents=True, exist_ok=True)
            (root / "cifar-10-python.tar.gz").write_bytes(b"archive")
            (folder / "data_batch_1").write_bytes(FILES["data_batch_1"])
            if self.fail_download is not None:
                raise self.fail_download
            for name in ("test_batch", "batches.meta"):
                (folder / name).write_bytes(FILES[name])
        if not all((folder / name).exists() for name in FILES):
            raise RuntimeError("Dataset not found or corrupted.")


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCifar10)
    monkeypatch.setattr(FakeCifar10, "fail_download", None)
    monkeypatch.setattr(FakeCifar10, "downloads", [])
    return FakeCifar10


def _write_complete(root):
    folder = root / FakeCifar10.base_folder
    folder.mkdir(parents=True)
    for name, payload in FILES.items():
        (folder / name).write_bytes(payload)


def test_offline_returns_none_with_one_line(tmp_path, monkeypatch, fake, capsys):
    """Offline and nothing on disk: None, one line naming the switch, no files, no download."""
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    root = tmp_path / "data"
    assert cifar10_or_none(root, train=True) is None
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "offline" in lines[0] and "LABKIT_OFFLINE" in lines[0]
    assert not root.exists()
    assert fake.downloads == []


def test_offline_uses_files_already_there(tmp_path, monkeypatch, fake, capsys):
    """Offline with intact files on disk: the dataset, without touching the network."""
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    _write_complete(tmp_path)
    marker = object()
    dataset = cifar10_or_none(tmp_path, train=False, transform=marker)
    assert isinstance(dataset, FakeCifar10)
    assert dataset.train is False and dataset.transform is marker
    assert fake.downloads == []
    assert capsys.readouterr().out == ""


def test_failed_download_leaves_nothing_behind(tmp_path, monkeypatch, fake, capsys):
    """A download that breaks halfway: None, the reason printed, no partial files left."""
    monkeypatch.delenv("LABKIT_OFFLINE", raising=False)
    monkeypatch.setattr(fake, "fail_download", OSError("Network is unreachable"))
    assert cifar10_or_none(tmp_path) is None
    out = capsys.readouterr().out
    assert "download failed" in out and "Network is unreachable" in out
    assert len(out.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no scratch folder, no archive, no batches
    assert len(fake.downloads) == 1 and fake.downloads[0] != tmp_path


def test_download_moves_complete_folder_into_place(tmp_path, monkeypatch, fake, capsys):
    """A good download lands where torchvision looks; the scratch folder is removed."""
    monkeypatch.delenv("LABKIT_OFFLINE", raising=False)
    dataset = cifar10_or_none(tmp_path, train=True)
    assert isinstance(dataset, FakeCifar10) and dataset.root == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-batches-py"]
    assert sorted(p.name for p in (tmp_path / "cifar-10-batches-py").iterdir()) == sorted(FILES)
    assert capsys.readouterr().out == ""


def test_damaged_files_are_reported_not_replaced(tmp_path, monkeypatch, fake, capsys):
    """Damaged files from elsewhere: None and a line naming the folder; nothing is deleted."""
    monkeypatch.delenv("LABKIT_OFFLINE", raising=False)
    folder = tmp_path / FakeCifar10.base_folder
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"truncated")
    assert cifar10_or_none(tmp_path) is None
    out = capsys.readouterr().out
    assert str(folder) in out and "delete that folder" in out
    assert (folder / "data_batch_1").read_bytes() == b"truncated"
    assert fake.downloads == []

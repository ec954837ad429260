"""Offline-first MNIST: the files torchvision reads, and what happens when they are damaged."""

import pytest
import torch
import torchvision

from labkit.data import MnistDataError, ensure_mnist, mnist_info
from labkit.data.idx import idx_bytes, idx_header
from labkit.data.mnist import FILES, SUBSET_MARKER


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("LABKIT_OFFLINE", "1")


def test_empty_folder_gives_torchvision_the_subset(tmp_path, capsys):
    """With an empty folder and no network, does torchvision's own MNIST load after one call?"""
    root = ensure_mnist(tmp_path)
    assert root == tmp_path
    train = torchvision.datasets.MNIST(root, train=True)
    test = torchvision.datasets.MNIST(root, train=False)
    assert (len(train), len(test)) == (4000, 1000)
    assert torch.bincount(train.targets).tolist() == [400] * 10  # balanced
    assert torch.bincount(test.targets).tolist() == [100] * 10
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        "MNIST: offline subset, 4,000 training and 1,000 test images: "
        "accuracies will be lower than on full MNIST."
    ]


def test_train_and_test_do_not_overlap(tmp_path):
    root = ensure_mnist(tmp_path, verbose=False)
    train = torchvision.datasets.MNIST(root, train=True).data.reshape(4000, -1)
    test = torchvision.datasets.MNIST(root, train=False).data.reshape(1000, -1)
    train_rows = {bytes(row.numpy()) for row in train}
    assert not any(bytes(row.numpy()) in train_rows for row in test)


def test_images_are_real_digits(tmp_path):
    """Are the pixels real MNIST-like images (0..255, mostly black background)?"""
    root = ensure_mnist(tmp_path, verbose=False)
    images = torchvision.datasets.MNIST(root, train=True).data
    assert images.dtype == torch.uint8 and images.shape == (4000, 28, 28)
    assert images.max() == 255
    assert 0.7 < (images == 0).float().mean() < 0.9


def test_second_call_changes_nothing(tmp_path):
    ensure_mnist(tmp_path, verbose=False)
    raw = tmp_path / "MNIST" / "raw"
    before = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    ensure_mnist(tmp_path, verbose=False)
    assert {p.name: p.stat().st_mtime_ns for p in raw.iterdir()} == before


def _fake_full(raw, n_train=60, n_test=10):
    """Files written by someone else (as a torchvision download would leave them)."""
    raw.mkdir(parents=True)
    for name in FILES:
        n = n_train if name.startswith("train") else n_test
        shape = (n, 28, 28) if "images" in name else (n,)
        (raw / name).write_bytes(idx_bytes(torch.full(shape, 7, dtype=torch.uint8).numpy()))


def test_existing_files_are_used_and_never_overwritten(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    _fake_full(raw)
    before = {name: (raw / name).read_bytes() for name in FILES}
    ensure_mnist(tmp_path)
    assert {name: (raw / name).read_bytes() for name in FILES} == before
    assert not (raw / SUBSET_MARKER).exists()
    assert "MNIST: 60 training and 10 test images" in capsys.readouterr().out


def test_damaged_subset_file_is_rewritten(tmp_path):
    """Is a truncated file that labkit wrote detected and written again?"""
    ensure_mnist(tmp_path, verbose=False)
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    good = path.read_bytes()
    path.write_bytes(good[:1000])
    ensure_mnist(tmp_path, verbose=False)
    assert path.read_bytes() == good


def test_damaged_foreign_file_is_reported_with_the_fix(tmp_path):
    """Is a damaged file that labkit did not write left alone, with the fix in the message?"""
    raw = tmp_path / "MNIST" / "raw"
    _fake_full(raw)
    path = raw / "t10k-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(MnistDataError, match="truncated or damaged.*Delete that file"):
        ensure_mnist(tmp_path)
    assert len(path.read_bytes()) == 8 + 10 - 3  # untouched


def test_partial_foreign_folder_is_reported(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    _fake_full(raw)
    (raw / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(MnistDataError, match="train-labels-idx1-ubyte"):
        ensure_mnist(tmp_path)


def test_failed_download_falls_back_with_a_note(tmp_path, monkeypatch, capsys):
    """Online but the download fails: subset, one note, and no half-written files."""
    import torchvision.datasets

    monkeypatch.setenv("LABKIT_OFFLINE", "0")

    class Unreachable:
        def __init__(self, root, **kwargs):
            (root / "MNIST" / "raw").mkdir(parents=True)
            (root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").write_bytes(b"partial")
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nno network")

    monkeypatch.setattr(torchvision.datasets, "MNIST", Unreachable)
    ensure_mnist(tmp_path)
    out = capsys.readouterr().out
    assert "Could not download full MNIST (no network); using the offline subset." in out
    assert "offline subset, 4,000 training" in out
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "MNIST"]
    assert leftovers == []
    assert mnist_info(tmp_path).is_subset


def test_idx_roundtrip_and_header_checks(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(torch.zeros(3, 2, 2, dtype=torch.uint8).numpy()))
    assert idx_header(path) == (3, 2, 2)
    path.write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="unsigned bytes"):
        idx_header(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        idx_header(path)

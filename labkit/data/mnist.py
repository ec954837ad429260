"""Make sure the MNIST files are where ``torchvision.datasets.MNIST`` looks for them.

Notebooks load MNIST the way every PyTorch user does::

    root = data.ensure_mnist()
    train_set = torchvision.datasets.MNIST(root, train=True, transform=...)

``ensure_mnist`` only takes care of the files under ``root/MNIST/raw/``:

1. files already there are used as they are (never overwritten);
2. otherwise, unless ``LABKIT_OFFLINE=1``, torchvision downloads full MNIST;
3. if that is impossible, labkit writes a small real subset (4,000 training and
   1,000 test images) that ships inside the package. See ``README.md`` beside this
   file for where it comes from and its licence.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from labkit import settings
from labkit.data.download import failure_reason, fetch_first, scratch_folder
from labkit.data.idx import idx_bytes, idx_header
from labkit.i18n import _

FILES = {  # file name -> key in the shipped .npz
    "train-images-idx3-ubyte": "train_images",
    "train-labels-idx1-ubyte": "train_labels",
    "t10k-images-idx3-ubyte": "test_images",
    "t10k-labels-idx1-ubyte": "test_labels",
}
SUBSET_MARKER = "LABKIT_SUBSET.txt"
FULL_TRAIN, FULL_TEST = 60_000, 10_000


class MnistDataError(RuntimeError):
    """The MNIST folder holds something labkit will not touch; the message says the fix."""


@dataclass(frozen=True)
class MnistInfo:
    raw_dir: Path
    n_train: int
    n_test: int
    is_subset: bool

    def describe(self) -> str:
        if self.is_subset:
            return _("MNIST: offline subset, {train:,} training and {test:,} test images: "
                     "accuracies will be lower than on full MNIST.").format(
                train=self.n_train, test=self.n_test)
        if (self.n_train, self.n_test) == (FULL_TRAIN, FULL_TEST):
            text = _("MNIST: full MNIST, {train:,} training and {test:,} test images.")
        else:
            text = _("MNIST: {train:,} training and {test:,} test images.")
        return text.format(train=self.n_train, test=self.n_test)


def ensure_mnist(root: str | os.PathLike | None = None, *, verbose: bool = True) -> Path:
    """Make the four MNIST files exist under ``root/MNIST/raw`` and return ``root``.

    Prints one line saying which data is in use (pass ``verbose=False`` to skip it).
    """
    root = Path(root) if root is not None else settings.data_root()
    raw = root / "MNIST" / "raw"
    present = [name for name in FILES if (raw / name).exists()]

    if len(present) < len(FILES):
        if present and not (raw / SUBSET_MARKER).exists():
            missing = sorted(set(FILES) - set(present))
            raise MnistDataError(
                _("{folder} holds some MNIST files but not {missing}. Put the missing files "
                  "there, or move the folder away and run again.").format(
                    folder=raw, missing=", ".join(missing)))
        note = None if settings.offline() else _download_full(root, raw)
        if not all((raw / name).exists() for name in FILES):
            _write_subset(raw)
            if note and verbose:
                print(note)

    info = _inspect(raw)
    if verbose:
        print(info.describe())
    return root


def mnist_info(root: str | os.PathLike | None = None) -> MnistInfo:
    """Describe the MNIST files under ``root`` without changing anything.

    Raises FileNotFoundError when they are not there yet, MnistDataError when damaged.
    """
    root = Path(root) if root is not None else settings.data_root()
    raw = root / "MNIST" / "raw"
    if not any((raw / name).exists() for name in FILES):
        raise FileNotFoundError(f"no MNIST files in {raw} yet")
    return _inspect(raw, repair=False)


def _inspect(raw: Path, repair: bool = True) -> MnistInfo:
    shapes, damaged = {}, []
    for name in FILES:
        try:
            shapes[name] = idx_header(raw / name)
        except (OSError, ValueError) as err:
            damaged.append((name, err))
    if damaged and repair and (raw / SUBSET_MARKER).exists():
        _write_subset(raw, overwrite=[name for name, _ in damaged])
        return _inspect(raw)
    if damaged:
        name, err = damaged[0]
        raise MnistDataError(
            _("{path} is damaged: {error}. Delete that file (or the whole folder {folder}) "
              "and run again to fetch a fresh copy.").format(path=raw / name, error=err,
                                                             folder=raw))
    return MnistInfo(
        raw_dir=raw,
        n_train=shapes["train-images-idx3-ubyte"][0],
        n_test=shapes["t10k-images-idx3-ubyte"][0],
        is_subset=(raw / SUBSET_MARKER).exists(),
    )


def _download_full(root: Path, raw: Path) -> str | None:
    """Let torchvision download full MNIST; return a note if it failed."""
    from torchvision import datasets

    try:
        with scratch_folder(root, ".mnist-download-") as scratch:
            mnist = datasets.MNIST
            for filename, md5 in getattr(mnist, "resources", ()):  # with a time limit
                fetch_first([f"{mirror}{filename}" for mirror in mnist.mirrors],
                            scratch / "MNIST" / "raw" / filename, md5=md5)
            mnist(scratch, train=True, download=True)  # finds the files: only unpacks
            raw.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                os.replace(scratch / "MNIST" / "raw" / name, raw / name)
        return None
    except Exception as err:  # no network, a mirror down, a proxy: all mean "fall back"
        return f"Could not download full MNIST ({failure_reason(err)}); using the offline subset."


def _write_subset(raw: Path, overwrite: list[str] | None = None) -> None:
    """Write the shipped subset as IDX files; each write is atomic."""
    raw.mkdir(parents=True, exist_ok=True)
    # The marker goes first: a second process that finds it while files are still
    # being written knows they are labkit's, and completes them instead of failing.
    _atomic_write(
        raw / SUBSET_MARKER,
        b"These files were written by labkit from its offline MNIST subset\n"
        b"(4,000 training and 1,000 test images). Delete this folder to try\n"
        b"downloading full MNIST again.\n",
    )
    expected = json.loads(_package_file("mnist_subset.json").read_text())
    with np.load(_package_file("mnist_subset.npz")) as arrays:
        for name, key in FILES.items():
            if (raw / name).exists() and name not in (overwrite or []):
                continue
            payload = idx_bytes(arrays[key])
            if hashlib.sha256(payload).hexdigest() != expected[name]:
                raise MnistDataError(
                    "labkit's bundled MNIST subset does not match its recorded hash: "
                    "the installation is damaged. Reinstall the course package."
                )
            _atomic_write(raw / name, payload)


def _atomic_write(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; data files need not be
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _package_file(name: str):
    return resources.files("labkit.data").joinpath(name)

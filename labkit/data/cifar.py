"""CIFAR-10 when it can be had, ``None`` (with one printed line) when it cannot.

CIFAR-10 (60,000 colour images of 32 x 32 pixels, 10 classes, about 170 MB) has no
offline subset, so chapters treat it as optional::

    train_set = data.cifar10_or_none(root, train=True, transform=...)
    if train_set is None:
        ...  # skip the CIFAR-10 cells

1. files already under ``root/cifar-10-batches-py`` that pass torchvision's checksums
   are used as they are, even offline (reading local files needs no network);
2. otherwise, unless ``LABKIT_OFFLINE=1``, torchvision downloads the archive into a
   scratch folder inside ``root``; only a complete, verified folder is moved to where
   ``torchvision.datasets.CIFAR10`` looks, so a failed download leaves nothing behind;
3. if that is impossible, the function prints one line saying why and returns None.
"""

from __future__ import annotations

import os
from pathlib import Path

from labkit import settings
from labkit.data.download import failure_reason, fetch_first, scratch_folder
from labkit.i18n import _


def cifar10_or_none(root: str | os.PathLike | None = None, *, train: bool = True,
                    transform=None):
    """``torchvision.datasets.CIFAR10(root, train=train, transform=transform)``, or None.

    root: the folder that holds ``cifar-10-batches-py`` (default: labkit's data folder).
    Returns None, after printing one line that says why and what to do, when labkit is
    offline, when the download fails, or when damaged files are in the way.
    """
    from torchvision import datasets

    root = Path(root) if root is not None else settings.data_root()
    folder = root / datasets.CIFAR10.base_folder
    if not _intact(folder):
        if folder.exists():
            print(_("CIFAR-10: skipped. {folder} exists but its files are incomplete or "
                    "damaged; delete that folder and run again to download a fresh copy.")
                  .format(folder=folder))
            return None
        if settings.offline():
            print(_("CIFAR-10: skipped, labkit is offline (LABKIT_OFFLINE=1). Unset "
                    "LABKIT_OFFLINE and run again to download it (about 170 MB)."))
            return None
        reason = _download(root, folder)
        if reason is not None:
            print(_("CIFAR-10: skipped, the download failed ({reason}). Check the internet "
                    "connection and run again.").format(reason=reason))
            return None
    return datasets.CIFAR10(root, train=train, transform=transform, download=False)


def _intact(folder: Path) -> bool:
    """True when every CIFAR-10 batch file is in ``folder`` with the right checksum."""
    from torchvision import datasets
    from torchvision.datasets.utils import check_integrity

    cifar = datasets.CIFAR10
    files = cifar.train_list + cifar.test_list + [[cifar.meta["filename"], cifar.meta["md5"]]]
    return all(check_integrity(str(folder / name), md5) for name, md5 in files)


def _download(root: Path, folder: Path) -> str | None:
    """Download into a scratch folder, then move the verified result into place.

    Returns None on success, otherwise a short reason.
    """
    from torchvision import datasets

    try:
        with scratch_folder(root, ".cifar10-download-") as scratch:
            cifar = datasets.CIFAR10
            if hasattr(cifar, "url"):  # with a time limit; torchvision then only unpacks
                print(_("CIFAR-10: downloading {url} (about 170 MB) into {folder}.").format(
                    url=cifar.url, folder=folder))
                fetch_first([cifar.url], scratch / cifar.filename, md5=cifar.tgz_md5,
                            label="CIFAR-10")
            cifar(scratch, train=True, download=True)
            downloaded = scratch / folder.name
            if not _intact(downloaded):
                return "the downloaded files do not match their checksums"
            try:
                os.replace(downloaded, folder)
            except OSError:
                # Another process may have finished first; its copy is as good as ours.
                if not _intact(folder):
                    raise
        return None
    except Exception as err:  # no network, a mirror down, a proxy: all mean "skip"
        return failure_reason(err)

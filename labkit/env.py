"""The learner's environment: versions, the device to use, seeds, and a doctor report."""

from __future__ import annotations

import platform
import random
import sys
from importlib import metadata

import torch

from labkit.i18n import _


def pick_device() -> torch.device:
    """The best device available: a CUDA GPU, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (all devices) with ``seed``."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency, but stay usable
        pass
    else:
        np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return _("not installed")


def _labkit_version() -> str:
    import labkit

    return labkit.__version__


def report() -> list[tuple[str, str]]:
    """(label, value) rows describing this machine; reads, never changes anything."""
    rows = [
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("PyTorch", torch.__version__),
        ("torchvision", _version("torchvision")),
        ("matplotlib", _version("matplotlib")),
        ("ipywidgets", _version("ipywidgets")),
        ("labkit", _labkit_version()),
    ]
    if torch.version.cuda is None:
        rows.append(("CUDA", _("not in this PyTorch build (a CPU-only build)")))
    elif not torch.cuda.is_available():
        rows.append(("CUDA", _("build {version}, but no CUDA GPU is visible").format(
            version=torch.version.cuda)))
    else:
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        rows.append(("CUDA", _("{version}, {count} GPU(s): {names}").format(
            version=torch.version.cuda, count=torch.cuda.device_count(), names=names)))
        rows.append(("cuDNN", str(torch.backends.cudnn.version())))
    rows.append((_("MPS (Apple GPU)"),
                 _("available") if torch.backends.mps.is_available() else _("no")))
    rows.append((_("Device to use"), str(pick_device())))
    rows.append((_("CPU threads"), str(torch.get_num_threads())))
    rows.append(("MNIST", mnist_status()[1]))
    return rows


def mnist_status() -> tuple[bool, str]:
    """(usable, what is on disk) for the MNIST files, without the dataset's name."""
    from labkit.data.mnist import MnistDataError, mnist_info

    try:
        text = mnist_info().describe()
    except MnistDataError as err:
        return False, str(err)
    except FileNotFoundError:
        return True, _("not on disk yet; the first notebook that needs it will fetch or "
                       "write it")
    for prefix in ("MNIST:", "MNIST："):  # the row's label already names it
        text = text.removeprefix(prefix)
    return True, text.strip()


def format_report(rows: list[tuple[str, str]]) -> str:
    width = max(columns(label) for label, _value in rows)
    return "\n".join(label + " " * (width - columns(label) + 2) + value
                     for label, value in rows)


def columns(text: str) -> int:
    """How many columns a terminal gives ``text``: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

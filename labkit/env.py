"""The learner's environment: versions, the device to use, seeds, and a doctor report."""

from __future__ import annotations

import platform
import random
import sys
from importlib import metadata

import torch


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
        return "not installed"


def report() -> list[tuple[str, str]]:
    """(label, value) rows describing this machine; reads, never changes anything."""
    rows = [
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("PyTorch", torch.__version__),
        ("torchvision", _version("torchvision")),
        ("matplotlib", _version("matplotlib")),
        ("ipywidgets", _version("ipywidgets")),
        ("labkit", _version("labkit")),
    ]
    if torch.version.cuda is None:
        rows.append(("CUDA", "not in this PyTorch build (a CPU-only build)"))
    elif not torch.cuda.is_available():
        rows.append(("CUDA", f"build {torch.version.cuda}, but no CUDA GPU is visible"))
    else:
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        rows.append(("CUDA", f"{torch.version.cuda}, {torch.cuda.device_count()} GPU(s): {names}"))
        rows.append(("cuDNN", str(torch.backends.cudnn.version())))
    rows.append(("MPS (Apple GPU)", "available" if torch.backends.mps.is_available() else "no"))
    rows.append(("Device to use", str(pick_device())))
    rows.append(("CPU threads", str(torch.get_num_threads())))
    rows.append(("MNIST", _mnist_status()))
    return rows


def _mnist_status() -> str:
    from labkit.data.mnist import MnistDataError, mnist_info

    try:
        return mnist_info().describe()
    except MnistDataError as err:
        return str(err)
    except FileNotFoundError:
        return "not on disk yet; the first notebook that needs it will fetch or write it"


def format_report(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)

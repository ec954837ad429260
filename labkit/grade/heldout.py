"""The data a child sees: everything a notebook loads, except held-out labels.

A check that scores a model on held-out data sends the images to the child and keeps
the labels in the grader. The child must not find those labels elsewhere either, or
a "model" that looks each image up in a table would pass. So the child's data folder
holds the training files as they are, the test images, and a test-label file of the
right size and format in which every label is 0; the copy of the offline subset that
ships inside the package is covered by a copy with the same blanking
(``labkit.grade.view`` masks it). Notebook cells that load the test set still run;
only their own accuracy printouts are meaningless, and the grader never reads them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np


def held_out_keys() -> set[str]:
    """Names of the label arrays that checks score against (from labkit.data.mnist)."""
    from labkit.data import mnist

    return {key for key in mnist.FILES.values() if key.startswith("test_labels")}


def prepare(folder: Path, source_root: Path) -> tuple[Path, dict[str, str]]:
    """Fill ``folder`` with the child's data; return it and the masked package files.

    ``source_root`` is the grader's own data folder (``LABKIT_DATA``); MNIST is put
    there first if it is missing."""
    from labkit.data import mnist
    from labkit.data.idx import idx_bytes, idx_header

    mnist.ensure_mnist(source_root, verbose=False)
    raw, target = Path(source_root) / "MNIST" / "raw", folder / "MNIST" / "raw"
    target.mkdir(parents=True, exist_ok=True)
    hidden = held_out_keys()
    for name, key in mnist.FILES.items():
        if key in hidden:
            count = idx_header(raw / name)[0]
            (target / name).write_bytes(idx_bytes(np.zeros(count, dtype=np.uint8)))
        else:
            shutil.copyfile(raw / name, target / name)  # a copy: its mode is ours to set
    if (raw / mnist.SUBSET_MARKER).exists():
        shutil.copyfile(raw / mnist.SUBSET_MARKER, target / mnist.SUBSET_MARKER)
    masked = {}
    package_subset = Path(mnist.__file__).with_name("mnist_subset.npz")
    if package_subset.exists():
        copy = folder / "masked-mnist_subset.npz"
        with np.load(package_subset) as arrays:
            blanked = {k: (np.zeros_like(v) if k in hidden else v) for k, v in arrays.items()}
        np.savez(copy, **blanked)
        masked[str(package_subset.resolve())] = str(copy)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o444)
    return folder, masked


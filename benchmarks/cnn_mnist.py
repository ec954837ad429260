"""Train chapter 04's CNN on MNIST; print its test accuracy and training time.

    python benchmarks/cnn_mnist.py                  # offline subset, 2 threads, seeds 0 1 2
    python benchmarks/cnn_mnist.py --seeds 0 --epochs 3
    python benchmarks/cnn_mnist.py --full           # full MNIST (downloads it once)

The chapter's target: on the offline subset (4,000 training and 1,000 test images), with
2 CPU threads, at least 97 % test accuracy within 60 seconds of training; on full MNIST,
99 %. Model, data pipeline and optimizer are the ones of notebooks/src/04_cnn.py (the
class `CNN` and the cells that build `train_loader` and train `net`); keep them in step.

The training time is the wall time of `fit` (no validation pass). A busy machine makes
it longer: the load average printed first tells whether the numbers are trustworthy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent


class CNN(nn.Module):
    """LeNet's layout (two 5 x 5 convolution + pooling stages, then two dense layers),
    wider, with batch norm and dropout. Same as the chapter's `CNN`."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        side = (image_size // 2 - 4) // 2  # 28 -> 28 -> 14 -> 10 -> 5
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=5, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * side * side, 128),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def mnist_root(full: bool, data: Path | None) -> Path:
    from labkit import settings
    from labkit.data import ensure_mnist, mnist_info

    if full:
        root = ensure_mnist(data or settings.data_root())
        if mnist_info(root).is_subset:
            raise SystemExit("--full needs full MNIST, but only the offline subset is there "
                             f"({root}). Run once with internet access, or drop --full.")
        return root
    os.environ["LABKIT_OFFLINE"] = "1"  # a folder of our own, filled with the subset
    root = ensure_mnist(data or ROOT / "build" / "bench-data")
    if not mnist_info(root).is_subset:
        raise SystemExit(f"{root} holds full MNIST; pass --full, or another --data folder.")
    return root


def run(root: Path, seed: int, epochs: int) -> tuple[float, float]:
    """Train one model from `seed`; return (test accuracy, training seconds)."""
    import torchvision
    from torch.utils.data import DataLoader
    from torchvision.transforms import v2

    from labkit.train import evaluate, fit

    pixels = torchvision.datasets.MNIST(root, train=True).data.float() / 255  # (N, 28, 28)
    mean, std = pixels.mean().item(), pixels.std().item()
    to_input = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize((mean,), (std,))]
    train_transform = v2.Compose([v2.RandomAffine(degrees=8, translate=(0.08, 0.08)), *to_input])
    test_transform = v2.Compose(to_input)
    train_set = torchvision.datasets.MNIST(root, train=True, transform=train_transform)
    test_set = torchvision.datasets.MNIST(root, train=False, transform=test_transform)

    torch.manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=0,
                              generator=torch.Generator().manual_seed(seed))
    test_loader = DataLoader(test_set, batch_size=500, num_workers=0)
    net = CNN()
    start = time.perf_counter()
    fit(net, train_loader, loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(net.parameters(), lr=1e-3), epochs=epochs,
        live=False, progress=False)
    seconds = time.perf_counter() - start
    return evaluate(net, test_loader)["accuracy"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: 15 on the subset, 3 on full MNIST (as the chapter)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="full MNIST instead of the subset")
    parser.add_argument("--data", type=Path, default=None, help="data folder")
    args = parser.parse_args()

    for name in ("LABKIT_FAST", "LABKIT_QUIET"):  # a benchmark always trains in full
        os.environ.pop(name, None)
    torch.set_num_threads(args.threads)
    root = mnist_root(args.full, args.data)
    if args.epochs is None:
        args.epochs = 3 if args.full else 15
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {load:.2f}, {args.epochs} epochs")

    results = []
    for seed in args.seeds:
        accuracy, seconds = run(root, seed, args.epochs)
        results.append((accuracy, seconds))
        print(f"seed {seed}: test accuracy {accuracy:.2%}, training {seconds:.1f} s", flush=True)
    if len(results) > 1:
        accuracies = [a for a, _ in results]
        times = [s for _, s in results]
        print(f"accuracy: mean {statistics.mean(accuracies):.2%}, min {min(accuracies):.2%}, "
              f"max {max(accuracies):.2%}; training seconds: mean {statistics.mean(times):.1f}, "
              f"max {max(times):.1f}")


if __name__ == "__main__":
    main()

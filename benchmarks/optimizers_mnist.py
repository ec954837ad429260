"""Compare chapter 04b's optimizers on the MNIST MLP: test accuracy and time per epoch.

    python benchmarks/optimizers_mnist.py                  # offline subset, 2 threads, seeds 0 1 2
    python benchmarks/optimizers_mnist.py --seeds 0 --epochs 3
    python benchmarks/optimizers_mnist.py --full           # full MNIST (downloads it once)

Model, data, batch size and optimizer settings are those of section 9 of
notebooks/src/04b_optimizers.py (`mnist_mlp`, `train_loader`, `optimizers`); keep them in
step. The time per epoch is the mean of `History.seconds` (training only, no evaluation).
A busy machine makes it longer: the load average printed first tells whether the times
are trustworthy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from cnn_mnist import mnist_root  # noqa: E402 - the same data folders as the CNN benchmark

OPTIMIZERS = {
    "SGD lr=0.1": lambda p: torch.optim.SGD(p, lr=0.1),
    "SGD momentum=0.9 lr=0.01": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "RMSprop lr=1e-3": lambda p: torch.optim.RMSprop(p, lr=1e-3),
    "Adam lr=1e-3": lambda p: torch.optim.Adam(p, lr=1e-3),
    "AdamW lr=1e-3 wd=0.01": lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01),
}


def mnist_mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def tensors(root: Path, train: bool):
    import torchvision

    raw = torchvision.datasets.MNIST(root, train=train)
    return raw.data.float().div(255).unsqueeze(1), raw.targets  # (N, 1, 28, 28), (N,)


def run(root: Path, name: str, seed: int, epochs: int) -> tuple[float, float]:
    """Train one MLP with optimizer `name` from `seed`; (test accuracy, seconds per epoch)."""
    from torch.utils.data import DataLoader, TensorDataset

    from labkit.train import evaluate, fit

    train_set = TensorDataset(*tensors(root, True))
    test_loader = DataLoader(TensorDataset(*tensors(root, False)), batch_size=1000)
    loader = DataLoader(train_set, batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model = mnist_mlp(seed)
    history = fit(model, loader, loss_fn=nn.CrossEntropyLoss(),
                  optimizer=OPTIMIZERS[name](model.parameters()), epochs=epochs, live=False,
                  progress=False)
    return evaluate(model, test_loader)["accuracy"], statistics.mean(history.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5, help="default: 5, as the chapter")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="full MNIST instead of the subset")
    parser.add_argument("--data", type=Path, default=None, help="data folder")
    args = parser.parse_args()

    for variable in ("LABKIT_FAST", "LABKIT_QUIET"):  # a benchmark always trains in full
        os.environ.pop(variable, None)
    torch.set_num_threads(args.threads)
    root = mnist_root(args.full, args.data)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {load:.2f}, {args.epochs} epochs, "
          f"seeds {args.seeds}")
    print(f"| {'optimizer':26s} | test accuracy (mean, min-max) | s / epoch |")
    print(f"|{'-' * 28}|{'-' * 30}|{'-' * 11}|")
    for name in OPTIMIZERS:
        runs = [run(root, name, seed, args.epochs) for seed in args.seeds]
        accuracies = [a for a, _ in runs]
        seconds = statistics.mean(s for _, s in runs)
        spread = f"{min(accuracies):.1%}-{max(accuracies):.1%}"
        print(f"| {name:26s} | {statistics.mean(accuracies):6.2%} ({spread:13s})       | "
              f"{seconds:9.2f} |", flush=True)


if __name__ == "__main__":
    main()

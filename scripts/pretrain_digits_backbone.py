"""Pretrain the small network that chapter 04 fine-tunes, on the offline MNIST subset.

Real pretrained weights (ImageNet) cannot be downloaded offline, so the course ships a
stand-in made the same way, only smaller: a torchvision architecture trained on a large
"source" task, here the digits 0 to 4 of the shipped subset's training images. Chapter 04
then fine-tunes it on the digits 5 to 9, which it has never seen.

Run once, by hand, when the checkpoint must be rebuilt (the result is committed):

    python scripts/pretrain_digits_backbone.py   # writes labkit/data/digits04_mobilenet.pt

The checkpoint is a plain dict (`torch.load(..., weights_only=True)` reads it): the
torchvision model name and its keyword arguments, the classes it was trained on, the
input normalisation and size, and the `state_dict` (in float16). Deterministic on one
thread with a fixed seed.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT / "labkit" / "data" / "mnist_subset.npz"
OUT = ROOT / "labkit" / "data" / "digits04_mobilenet.pt"
ARCH = "mobilenet_v3_small"
ARCH_KWARGS = {"width_mult": 0.5}  # about 0.4 M parameters: under 1 MB in float16
SIZE = 32  # inputs are resized to 32 x 32: five stride-2 stages leave 1 x 1 maps
CLASSES = [0, 1, 2, 3, 4]  # the source task; chapter 04 fine-tunes on 5 to 9


def source_images(mean=None, std=None):
    """The subset's training images of CLASSES as (N, 3, 28, 28) floats, and their labels."""
    subset = np.load(SUBSET)
    images = torch.from_numpy(subset["train_images"]).float() / 255  # (N, 28, 28)
    labels = torch.from_numpy(subset["train_labels"]).long()
    keep = torch.isin(labels, torch.tensor(CLASSES))
    images, labels = images[keep], labels[keep]
    mean = float(images.mean()) if mean is None else mean
    std = float(images.std()) if std is None else std
    # The architecture expects 3 colour channels, like every ImageNet model: repeat grey.
    x = ((images - mean) / std)[:, None].expand(-1, 3, -1, -1)  # (N, 3, 28, 28)
    x = F.interpolate(x, size=SIZE, mode="bilinear", align_corners=False)  # (N, 3, 32, 32)
    return x, labels, mean, std


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y, mean, std = source_images()
    model = torchvision.models.get_model(ARCH, weights=None, num_classes=len(CLASSES),
                                         **ARCH_KWARGS)
    # torchvision's MobileNetV3 keeps batch-norm running statistics with momentum 0.01,
    # made for ImageNet's long runs; in a few hundred steps they would not settle.
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = 0.1
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    steps = args.epochs * ((len(x) + 63) // 64)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(0)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for batch in order.split(64):
            # Light augmentation: shift by up to 2 pixels.
            dx, dy = torch.randint(-2, 3, (2,), generator=generator).tolist()
            inputs = torch.roll(x[batch], shifts=(dy, dx), dims=(2, 3))  # (64, 3, 32, 32)
            loss = F.cross_entropy(model(inputs), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(x).argmax(1) == y).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, training accuracy {accuracy:.2%}")
    # Stored in float16 to halve the file; load_state_dict copies into float32 parameters.
    state = {k: v.half() if v.is_floating_point() else v.clone()
             for k, v in model.state_dict().items()}
    checkpoint = {"arch": ARCH, "arch_kwargs": ARCH_KWARGS, "classes": CLASSES,
                  "mean": mean, "std": std, "size": SIZE, "state_dict": state}
    torch.save(checkpoint, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, sha256 {digest[:16]})")


if __name__ == "__main__":
    main()

"""Datasets for the course: offline-first MNIST, optional CIFAR-10, synthetic 2-D sets."""

from labkit.data.cifar import cifar10_or_none
from labkit.data.mnist import MnistDataError, MnistInfo, ensure_mnist, mnist_info
from labkit.data.toy import make_circles, make_moons, make_spirals

__all__ = [
    "cifar10_or_none",
    "MnistDataError",
    "MnistInfo",
    "ensure_mnist",
    "make_circles",
    "make_moons",
    "make_spirals",
    "mnist_info",
]

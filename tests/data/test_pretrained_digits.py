"""Is the pretrained network that chapter 04 fine-tunes shipped whole, and does it work?"""

from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

NAME = "digits04_mobilenet.pt"


def load():
    with (resources.files("labkit.data") / NAME).open("rb") as file:
        return torch.load(file, weights_only=True)  # plain tensors and numbers only


def test_the_checkpoint_loads_into_its_torchvision_architecture():
    """Does every weight of the file fit the model it names, with nothing missing?"""
    checkpoint = load()
    assert checkpoint["classes"] == [0, 1, 2, 3, 4]
    model = torchvision.models.get_model(checkpoint["arch"], weights=None,
                                         num_classes=len(checkpoint["classes"]),
                                         **checkpoint["arch_kwargs"])
    model.load_state_dict(checkpoint["state_dict"])  # strict: same keys and shapes


def test_it_recognises_digits_it_never_trained_on():
    """On the subset's *test* images of 0-4 (pretraining used training images only), is it
    far better than chance (20 %)?"""
    checkpoint = load()
    model = torchvision.models.get_model(checkpoint["arch"], weights=None,
                                         num_classes=5, **checkpoint["arch_kwargs"])
    model.load_state_dict(checkpoint["state_dict"])
    subset = np.load(resources.files("labkit.data") / "mnist_subset.npz")
    images = torch.from_numpy(subset["test_images"]).float() / 255  # (N, 28, 28)
    labels = torch.from_numpy(subset["test_labels"]).long()
    keep = labels < 5
    x = ((images[keep] - checkpoint["mean"]) / checkpoint["std"])[:, None].expand(-1, 3, -1, -1)
    x = F.interpolate(x, size=checkpoint["size"], mode="bilinear", align_corners=False)
    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == labels[keep]).float().mean().item()
    assert accuracy > 0.9, accuracy

"""The small models the chapter's checks build, and what their size truly is."""

from __future__ import annotations

import torch
from torch import nn


class DropoutNet(nn.Module):
    """A tiny classifier with dropout, so that resuming needs the random state too."""

    def __init__(self, features: int, hidden: int, classes: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(hidden, classes))

    def forward(self, x):  # (B, features) -> (B, classes)
        return self.net(x)


def conv_net(channels: int, side: int, classes: int) -> nn.Sequential:
    """A small convolutional classifier for the export check: an ``nn.Sequential``, whose
    ``forward`` names its argument ``input`` (so only the positional ``dynamic_shapes``
    form, or the key ``"input"``, fits it)."""
    return nn.Sequential(
        nn.Conv2d(channels, 4, kernel_size=3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2),                                   # (B, 4, S/2, S/2)
        nn.Flatten(), nn.Linear(4 * (side // 2) ** 2, classes))  # (B, classes)


class MixedNet(nn.Module):
    """Parameters and buffers of several dtypes, for the size check."""

    def __init__(self, a: int, b: int, vocab: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, a).to(torch.bfloat16)  # 2 bytes per element
        self.fc1 = nn.Linear(a, b)  # float32: 4 bytes
        self.norm = nn.BatchNorm1d(b)  # float32 buffers and an int64 counter
        self.fc2 = nn.Linear(b, 3).half()  # float16: 2 bytes
        self.scale = nn.Parameter(torch.ones(b, dtype=torch.float64))  # 8 bytes
        self.register_buffer("lookup", torch.arange(vocab, dtype=torch.uint8))  # 1 byte

    def forward(self, tokens):  # (B,) -> (B, 3)
        h = self.fc1(self.embed(tokens).float())
        return self.fc2((self.norm(h) * self.scale).half())


class TiedNet(nn.Module):
    """A language-model head that shares its weight with the embedding, as GPT-2 does:
    one parameter, two entries in the state_dict."""

    def __init__(self, vocab: int, width: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.embed.weight  # tied: the same tensor

    def forward(self, tokens):  # (B, T) -> (B, T, vocab)
        return self.head(self.norm(self.embed(tokens)))


def true_size(model: nn.Module) -> int:
    """Bytes of every parameter and buffer, each counted once."""
    tensors = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    return sum(t.numel() * t.element_size() for t in tensors.values())

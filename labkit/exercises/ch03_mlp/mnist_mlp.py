"""Exercise: an `nn.Module` with a given architecture, for 28×28 grey images."""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe, shape_text
from labkit.i18n import N_, _
from labkit.models import eval_mode

MNIST_LAYERS = [(784, 128), (128, 64), (64, 10)]
MNIST_PARAMS = sum((n_in + 1) * n_out for n_in, n_out in MNIST_LAYERS)  # 109,386
_LINEAR = re.compile(r"in_features=(\d+), out_features=(\d+)")

# The model is called without gradients, in eval mode; its input must stay as it was.
FORWARD = Contract(no_grad=True)


def eval_forward(model, x, spec: dict) -> dict:
    """``model(x)`` through ``probes.guarded`` in eval mode (every layer's own mode comes
    back afterwards): the reply for ``Contract.judge``."""
    with eval_mode(model):
        return probes.guarded(model, (x,), {}, spec)[0]


def linear_layers(layers: list[dict]) -> list[tuple[int, int]]:
    """(in, out) of every `nn.Linear` in a `probes.layers` list, in registration order."""
    found = []
    for layer in layers:
        match = _LINEAR.search(layer["extra"]) if layer["type"] == "Linear" else None
        if match:
            found.append((int(match[1]), int(match[2])))
    return found


def by_shape(state: dict, shape: tuple[int, ...], kind: str) -> torch.Tensor | None:
    """The tensor of ``state`` whose name ends in ``kind`` and whose shape is ``shape``."""
    for key, value in state.items():
        if key.endswith(kind) and tuple(value.shape) == tuple(shape):
            return value
    return None


class MnistMlpModule(Exercise):
    name = "mnist_mlp"
    title = N_("An nn.Module with a given architecture")
    hints = (
        N_("In `__init__`, call `super().__init__()`, then create `nn.Flatten()` and three "
           "`nn.Linear` layers: 784 -> 128 -> 64 -> 10."),
        N_("In `forward`: flatten, then linear, ReLU, linear, ReLU, linear. Return the last "
           "layer's output as it is (no softmax)."),
    )
    solution = '''\
class MnistMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):  # (B, 1, 28, 28)
        x = self.flatten(x)  # (B, 784)
        x = torch.relu(self.fc1(x))  # (B, 128)
        x = torch.relu(self.fc2(x))  # (B, 64)
        return self.fc3(x)  # (B, 10) logits'''

    def check(self, MnistMLP):  # noqa: N803 - the learner's class name
        model = self.call(MnistMLP, during="`MnistMLP()`")
        expect.that(self.is_instance(model, nn.Module), checked=_("the type of `MnistMLP()`"),
                    expected=_("an `nn.Module`"), found=describe(model),
                    hint=_("Subclass `nn.Module` and call `super().__init__()` first."))
        outputs = []
        # A batch of one, and batches larger than a hard-coded size would guess.
        for batch in (1, int(self.randint(2, 9)), int(self.randint(33, 70))):
            x = self.randn(batch, 1, 28, 28)
            during = _("`model(x)` for a batch x of shape {shape}").format(
                shape=shape_text(x.shape))
            reply = self.probe(eval_forward, model, x, FORWARD.spec(), during=during)
            out = FORWARD.judge(reply, during)
            expect.tensor(out, name="model(x)", shape=(batch, 10),
                          hint=_("One row of 10 class scores per image."))
            outputs.append((x, out))
        layers = linear_layers(self.probe(probes.layers, model,
                                          during=_("listing the layers")))
        # Declared in any order; the computation below checks the order they are used in.
        expect.that(sorted(layers) == sorted(MNIST_LAYERS),
                    checked=_("the `nn.Linear` layers of `MnistMLP()`, as (in, out)"),
                    expected=str(MNIST_LAYERS), found=str(layers))
        count = self.probe(probes.param_count, model, during=_("counting the parameters"))
        expect.that(count == MNIST_PARAMS,
                    checked=_("the number of parameters of `MnistMLP()`"),
                    expected=f"{MNIST_PARAMS:,}", found=f"{count:,}",
                    hint=_("Every `nn.Linear` needs its bias (the default)."))
        # Structure judged by behaviour: the output recomputed from the model's own weights.
        state = self.probe(probes.state, model, during=_("reading the weights"))
        weights = [(by_shape(state, (n_out, n_in), "weight"), by_shape(state, (n_out,), "bias"))
                   for n_in, n_out in MNIST_LAYERS]
        expect.that(all(w is not None and b is not None for w, b in weights),
                    checked=_("the weights of `MnistMLP()`"),
                    expected=_("a weight and a bias for each of the three linear layers"),
                    found=_("some missing"), hint=_(self.hints[0]))
        for x, out in outputs:
            self._compare(x, out, weights)

    def _compare(self, x, out, weights) -> None:
        h = x.flatten(1)
        plain = x.flatten(1)
        for i, (w, b) in enumerate(weights):
            h, plain = F.linear(h, w, b), F.linear(plain, w, b)
            if i < 2:
                h = torch.relu(h)
        linear = torch.allclose(out, plain, atol=1e-4, rtol=1e-3)
        expect.that(not linear,
                    checked=_("whether `MnistMLP()` is more than a linear map"),
                    expected=_("a ReLU after the first and the second linear layer"),
                    found=_("a model that is linear in its input"),
                    hint=_("Without activations, the three layers collapse into one."))
        probabilities = bool((out >= 0).all()) and torch.allclose(
            out.sum(dim=1), torch.ones(len(out)), atol=1e-4)
        expect.that(not probabilities, checked=_("the outputs of `MnistMLP()`"),
                    expected=_("raw scores (logits) from the last linear layer"),
                    found=_("rows that sum to 1, as after a softmax"),
                    hint=_("`nn.CrossEntropyLoss` applies the softmax itself; "
                           "return logits."))
        expect.close(out, h, name="model(x)", atol=1e-3, rtol=1e-2,  # TF32 on a GPU
                     hint=_("The check recomputes your model from its own weights: "
                            "flatten, fc1, ReLU, fc2, ReLU, fc3, and nothing else (no "
                            "other activation, no dropout in eval mode, no softmax)."))

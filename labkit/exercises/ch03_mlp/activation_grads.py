"""Exercise: the derivatives of sigmoid, tanh and ReLU, from their formulas."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _

# The formula alone: run under torch.no_grad(), autograd ruled out however it is spelled.
NO_AUTOGRAD = {"no_grad": True, "rule_out": ("autograd",),
               "rule_text": N_("the formula alone, without autograd")}


def autograd_derivative(function, x: torch.Tensor) -> torch.Tensor:
    """f'(x) for an element-wise f, by autograd: what the learner's formula must give."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(function(x).sum(), x)
    return grad


class ActivationGrads(Exercise):
    name = "activation_grads"
    title = N_("Derivatives of sigmoid, tanh and ReLU")
    hints = (
        N_("Compute the activation first, then use it: sigma'(x) = sigma(x) (1 - sigma(x)) and "
           "tanh'(x) = 1 - tanh(x)^2. The formulas are in terms of the output, not of `x`."),
        N_("For ReLU, `(x > 0)` gives a bool tensor; turn it into numbers with `.float()` "
           "(or `.to(x.dtype)`)."),
    )
    solution = '''\
def sigmoid_grad(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    return 1 - torch.tanh(x) ** 2


def relu_grad(x):
    return (x > 0).to(x.dtype)'''

    def check(self, sigmoid_grad, tanh_grad, relu_grad):
        rows, cols = int(self.randint(2, 7)), int(self.randint(2, 9))
        inputs = [torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]), 3 * self.randn(rows, cols),
                  self.randn(1)]
        functions = (
            ("sigmoid_grad", sigmoid_grad, torch.sigmoid,
             N_("sigma'(x) = sigma(x) (1 - sigma(x)), with sigma(x) = torch.sigmoid(x).")),
            ("tanh_grad", tanh_grad, torch.tanh,
             N_("tanh'(x) = 1 - tanh(x)^2, with tanh(x) = torch.tanh(x).")),
            ("relu_grad", relu_grad, torch.relu,
             N_("1 where x > 0, else 0 (PyTorch also uses 0 at x = 0), as floats.")),
        )
        for name, learner_fn, function, hint in functions:
            for x in inputs:
                call = f"{name}(x)"
                during = _("`{call}` for x of shape {shape}").format(
                    call=call, shape=shape_text(x.shape))
                found = self.call(learner_fn, x, during=during, **NO_AUTOGRAD)
                expect.close(found, autograd_derivative(function, x), name=call,
                             hint=_(hint))

"""Exercise: an MLP's forward pass with plain tensor operations, in `nn.Linear`'s layout."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class MlpForward(Exercise):
    name = "mlp_forward"
    title = N_("An MLP forward pass with plain tensor operations")
    hints = (
        N_("`nn.Linear` keeps its weight as (out_features, in_features) and computes "
           "`x @ W.T + b` for a batch of rows `x`."),
        N_("Two layers with a ReLU between them: `torch.relu(x @ W1.T + b1) @ W2.T + b2`."),
    )
    solution = '''\
def mlp_forward(x, W1, b1, W2, b2):
    h = torch.relu(x @ W1.T + b1)  # (B, H)
    return h @ W2.T + b2  # (B, O)'''

    def check(self, mlp_forward):
        # (batch, inputs, hidden, outputs, dtype); the square case comes first so a missing
        # transpose shows up as wrong values rather than as a shape error. The last batch
        # is larger than any a hard-coded shape would guess.
        sizes = [(4, 3, 3, 3, torch.float32), (1, 2, 5, 1, torch.float32),
                 (int(self.randint(2, 9)), int(self.randint(2, 7)), int(self.randint(2, 9)),
                  int(self.randint(1, 5)), self.pick([torch.float32, torch.float64])),
                 (int(self.randint(40, 90)), 6, 7, 2, torch.float64)]
        for batch, n_in, n_hidden, n_out, dtype in sizes:
            x = self.randn(batch, n_in, dtype=dtype)
            W1, b1 = self.randn(n_hidden, n_in, dtype=dtype), self.randn(n_hidden, dtype=dtype)
            W2, b2 = self.randn(n_out, n_hidden, dtype=dtype), self.randn(n_out, dtype=dtype)
            during = _("`mlp_forward(x, W1, b1, W2, b2)` with x of shape {x_shape}, "
                       "W1 {w1_shape} and W2 {w2_shape}").format(
                x_shape=shape_text(x.shape), w1_shape=shape_text(W1.shape),
                w2_shape=shape_text(W2.shape))
            found = self.call(mlp_forward, x, W1, b1, W2, b2, during=during)
            expected = F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2)  # what nn.Linear does
            expect.close(found, expected, name="mlp_forward(x, W1, b1, W2, b2)",
                         hint=_("Compare with two `nn.Linear` layers and a ReLU between "
                                "them: `torch.relu(x @ W1.T + b1) @ W2.T + b2`."))

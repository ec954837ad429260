"""Exercise: cross-entropy from scratch, with the log-sum-exp trick."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import shape_text
from labkit.i18n import N_, _

# The library's cross-entropy, log-softmax and log-sum-exp are ruled out at the
# dispatcher, so every spelling of them is (aliases, torch.special, torch.ops.aten,
# names captured early, nn.CrossEntropyLoss, a distribution's log_prob).
WRITTEN_OUT = {"rule_out": ("log_sum_exp",),
               "rule_text": N_("the formula written out, with the max subtracted by hand")}
# A loss to train with: a tensor whose graph leads back to the logits, with the right
# gradient (a part computed off the graph, by NumPy or after .detach(), loses its share).
TRAINABLE = Contract(differentiable=(0,), **WRITTEN_OUT)


def reference_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """d F.cross_entropy(logits, labels) / d logits: (softmax - one_hot) / B."""
    leaf = logits.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(F.cross_entropy(leaf, labels), leaf)
    return grad


class CrossEntropy(Exercise):
    name = "cross_entropy"
    title = N_("Cross-entropy from scratch, with the log-sum-exp trick")
    hints = (
        N_("Per row: loss = logsumexp(z) - z[label], with "
           "logsumexp(z) = m + log(sum(exp(z - m))) and m the largest logit of that row. "
           "Average over the rows."),
        N_("`m = logits.max(dim=1, keepdim=True).values`; `lse = m.squeeze(1) + "
           "(logits - m).exp().sum(dim=1).log()`; pick the true class with "
           "`logits[torch.arange(len(labels)), labels]` (or `gather`)."),
    )
    solution = '''\
def my_cross_entropy(logits, labels):
    m = logits.max(dim=1, keepdim=True).values  # (B, 1) the largest logit of each row
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()  # (B,) log sum exp, stable
    picked = logits[torch.arange(len(labels)), labels]  # (B,) the true class's logit
    return (lse - picked).mean()'''

    def check(self, my_cross_entropy):
        batch, classes = int(self.randint(2, 17)), int(self.randint(2, 11))
        large = int(self.randint(100, 300))  # more rows than a hard-coded batch would hold
        cases = [
            (torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]), torch.tensor([0, 2])),
            (3 * self.randn(batch, classes), self.randint(0, classes, batch)),
            (self.randn(1, 5), self.randint(0, 5, 1)),
            # Huge logits, rows on very different scales, true classes far below the max.
            (torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1000.5],
                           [1000.0, 1000.0, 1000.0], [-1000.0, 1000.0, 3.0]]),
             torch.tensor([2, 0, 1, 0])),
            (self.randn(batch, classes, dtype=torch.float64), self.randint(0, classes, batch)),
            (5 * self.randn(large, classes), self.randint(0, classes, large)),
        ]
        for number, (logits, labels) in enumerate(cases):
            during = self._during(logits)
            found = self.call(my_cross_entropy, logits, labels, during=during, **WRITTEN_OUT)
            expect.close(found, F.cross_entropy(logits, labels),
                         name="my_cross_entropy(logits, labels)",
                         hint=_("The mean over the batch of logsumexp(row) - row[label], "
                                "with each row's own max subtracted before `exp` and added "
                                "back after `log`."))
            if number == 0:  # once the values are right, before other dtypes and sizes
                self._check_gradient(my_cross_entropy, logits, labels, during)

    def _check_gradient(self, my_cross_entropy, logits, labels, during: str) -> None:
        during = _("{during} and a backward pass through it").format(during=during)
        reply = self.probe(probes.forward_backward, my_cross_entropy, (logits, labels),
                           TRAINABLE.spec(), during=during)
        TRAINABLE.judge(reply, during)
        expect.close(reply["grads"][0], reference_grad(logits, labels),
                     subject=_("the gradient of `my_cross_entropy(logits, labels)` with "
                               "respect to `logits`"),
                     hint=_("Keep every step on the graph, without `.detach()`, `.item()` "
                            "or NumPy: the gradient of the mean loss is "
                            "(softmax(logits) - one_hot(labels)) / B."))

    def _during(self, logits: torch.Tensor) -> str:
        return _("`my_cross_entropy(logits, labels)` for logits of shape {shape} "
                 "({dtype}, values from {low:g} to {high:g})").format(
            shape=shape_text(logits.shape), dtype=str(logits.dtype),
            low=logits.min().item(), high=logits.max().item())

"""Exercise: spot the bug in a loop that never resets its gradients."""

from __future__ import annotations

import torch

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.i18n import N_, _

# w and b arrive as leaves that require gradients, and the loop updates them in place.
CONTRACT = Contract(writes=(0, 1), leaves=(0, 1))


def train_steps_probe(train_steps, w0, b0, x, y, lr, steps, spec: dict) -> dict:
    """The learner's loop, guarded, on fresh leaves ``w`` and ``b``; also w, b after it."""
    reply, args, _value = probes.guarded(train_steps, (w0, b0, x, y, lr, steps), {}, spec)
    if "value" in reply:
        reply["w"], reply["b"] = args[0].detach().clone(), args[1].detach().clone()
    return reply


def given_train_steps(w, b, x, y, lr=0.1, steps=5):
    """The loop as given in the notebook, bug included (it never resets the gradients)."""
    grads = []
    for _step in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return grads


def _reference_train_steps(w, b, x, y, lr, steps):
    """The fixed loop: a fresh gradient at every step; also the final w and b."""
    w, b = w.detach().clone(), b.detach().clone()
    grads = []
    for _step in range(steps):
        w.requires_grad_(True)
        b.requires_grad_(True)
        with torch.enable_grad():
            loss = ((x @ w + b - y) ** 2).mean()
            gw, gb = torch.autograd.grad(loss, (w, b))
        grads.append((gw, gb))
        w, b = (w - lr * gw).detach(), (b - lr * gb).detach()
    return grads, w, b


def _same_grads(a, b) -> bool:
    """True when two lists of (grad_w, grad_b) pairs hold the same values."""
    try:
        return len(a) == len(b) and all(
            isinstance(p, torch.Tensor) and p.shape == q.shape
            and torch.allclose(p.float(), q.float(), atol=1e-6)
            for pair_a, pair_b in zip(a, b, strict=True)
            for p, q in zip(pair_a, pair_b, strict=True)
        )
    except (TypeError, RuntimeError, ValueError):
        return False


class TrainSteps(Exercise):
    name = "train_steps"
    title = N_("Spot the bug: a loop that accumulates gradients")
    hints = (
        N_("Print `w.grad` at each step: is it the gradient of this step's loss alone?"),
        N_("`backward()` adds into `.grad`. Reset both gradients every step, e.g. "
           "`w.grad = None` and `b.grad = None` after the update."),
    )
    solution = '''\
def train_steps(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _step in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None  # the fix: forget this step's gradients
        b.grad = None
    return grads'''

    def check(self, train_steps):
        n, d = 8, 3
        # lr and steps differ from the defaults, so both must be used.
        for lr, steps in [(0.05, 4), (0.2, 3)]:
            x, y = self.randn(n, d), self.randn(n)
            w0, b0 = self.randn(d), self.randn(1)
            call = f"train_steps(w, b, x, y, lr={lr}, steps={steps})"
            during = f"`{call}`"
            reply = self.probe(train_steps_probe, train_steps, w0, b0, x, y, lr, steps,
                               CONTRACT.spec(), during=during)
            grads = CONTRACT.judge(reply, during)
            found = {"w": reply["w"], "b": reply["b"]}
            expect.is_type(grads, (list, tuple), name=call)
            expect.equal(len(grads), steps, name=f"len({call})",
                         hint=_("Append one (grad_w, grad_b) pair per step, as the given "
                                "loop does, for `steps` steps."))
            given = given_train_steps(w0.clone().requires_grad_(True),
                                      b0.clone().requires_grad_(True), x, y, lr, steps)
            if _same_grads(grads, given):
                raise NotAttempted(
                    _("`train_steps` still gives the same gradients as the loop given in the "
                      "notebook. Find the bug, fix the loop, run the cell, then check again.")
                )
            reference, ref_w, ref_b = _reference_train_steps(w0, b0, x, y, lr, steps)
            for step, (pair, (ref_gw, ref_gb)) in enumerate(zip(grads, reference, strict=True)):
                expect.is_type(pair, (list, tuple), name=f"{call}[{step}]")
                expect.equal(len(pair), 2, name=f"len({call}[{step}])")
                for index, (param, ref) in enumerate([("w", ref_gw), ("b", ref_gb)]):
                    expect.close(pair[index], ref, name=f"{call}[{step}][{index}]",
                                 hint=_("That is the gradient of `{param}` at step {step}; "
                                        "it must come from that step's loss alone, after the "
                                        "updates with lr={lr}. Reset the gradients of both "
                                        "parameters after each update.").format(
                                            param=param, step=step, lr=lr))
            for param, value, ref in [("w", found["w"], ref_w), ("b", found["b"], ref_b)]:
                expect.close(value, ref,
                             subject=_("`{param}` after `{call}`").format(param=param,
                                                                         call=call),
                             hint=_("Update `{param}` in place, `{param} -= lr * "
                                    "{param}.grad`, inside `torch.no_grad()`, at every "
                                    "step.").format(param=param))

"""Exercises of chapter 02, Autograd."""

from __future__ import annotations

import torch

from labkit.check import Exercise, NotAttempted, expect

F64 = torch.float64


def _autograd_grad(f, x: torch.Tensor) -> torch.Tensor:
    """The gradient of the scalar f(x) with respect to x, by autograd (the reference)."""
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad


def _log1p_square_mean(x: torch.Tensor) -> torch.Tensor:
    return torch.log(1 + x**2).mean()


class GradByHand(Exercise):
    name = "grad_by_hand"
    title = "A gradient by hand"
    hints = (
        "Chain rule: the derivative of log(u) is 1/u, and u = 1 + x_i**2 has derivative 2 x_i.",
        "The mean divides by N = x.numel(), so every entry of the gradient carries a 1/N: "
        "`2 * x / (x.numel() * (1 + x**2))`.",
    )
    solution = '''\
def grad_f(x):
    return 2 * x / (x.numel() * (1 + x**2))'''

    def check(self, grad_f):
        inputs = [("grad_f(torch.tensor([0.0, 1.0, -2.0]))", torch.tensor([0.0, 1.0, -2.0])),
                  ("grad_f(x)", self.randn(5)), ("grad_f(x)", self.randn(2, 3))]
        for name, x in inputs:
            during = f"`{name}` for x of shape {tuple(x.shape)}"
            found = self.call(grad_f, x, during=during)
            expected = _autograd_grad(_log1p_square_mean, x)
            expect.tensor(found, name=name, shape=x.shape, dtype=x.dtype)
            hint = "Compare with what autograd gives for the same x."
            if torch.allclose(found, expected * x.numel(), atol=1e-5):
                hint = "Your answer is N times too large: the mean divides by N = x.numel()."
            expect.close(found, expected, name=name, hint=hint)


def given_train_steps(w, b, x, y, lr=0.1, steps=5):
    """The loop as given in the notebook, bug included (it never resets the gradients)."""
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return grads


def _reference_train_steps(w, b, x, y, lr, steps):
    """The fixed loop: a fresh gradient at every step."""
    w, b = w.detach().clone(), b.detach().clone()
    grads = []
    for _ in range(steps):
        w.requires_grad_(True)
        b.requires_grad_(True)
        loss = ((x @ w + b - y) ** 2).mean()
        gw, gb = torch.autograd.grad(loss, (w, b))
        grads.append((gw, gb))
        w, b = (w - lr * gw).detach(), (b - lr * gb).detach()
    return grads


def _same_grads(a, b) -> bool:
    """True when two lists of (grad_w, grad_b) pairs hold the same values."""
    try:
        return len(a) == len(b) and all(
            torch.allclose(torch.as_tensor(p), q, atol=1e-6)
            for pair_a, pair_b in zip(a, b, strict=True)
            for p, q in zip(pair_a, pair_b, strict=True)
        )
    except (TypeError, RuntimeError, ValueError):
        return False


class TrainSteps(Exercise):
    name = "train_steps"
    title = "Spot the bug: a loop that accumulates gradients"
    hints = (
        "Print `w.grad` at each step: is it the gradient of this step's loss alone?",
        "`backward()` adds into `.grad`. Reset both gradients every step, e.g. "
        "`w.grad = None` and `b.grad = None` after the update.",
    )
    solution = '''\
def train_steps(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _ in range(steps):
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
        n, d, steps, lr = 8, 3, 4, 0.1
        x, y = self.randn(n, d), self.randn(n)
        w0, b0 = self.randn(d), self.randn(1)

        def run(fn):
            w = w0.clone().requires_grad_(True)
            b = b0.clone().requires_grad_(True)
            return fn(w, b, x.clone(), y.clone(), lr, steps)

        during = f"`train_steps(w, b, x, y, lr={lr}, steps={steps})`"
        found = self.call(lambda: run(train_steps), during=during)
        expect.is_type(found, (list, tuple), name=f"train_steps(..., steps={steps})")
        expect.equal(len(found), steps, name=f"len(train_steps(..., steps={steps}))",
                     hint="Append one (grad_w, grad_b) pair per step, as the given loop does.")
        if _same_grads(found, run(given_train_steps)):
            raise NotAttempted(
                "`train_steps` still gives the same gradients as the loop given in the "
                "notebook. Find the bug, fix the loop, run the cell, then check again."
            )
        reference = _reference_train_steps(w0, b0, x, y, lr, steps)
        for step, (pair, (ref_w, ref_b)) in enumerate(zip(found, reference, strict=True)):
            expect.is_type(pair, (list, tuple), name=f"train_steps(...)[{step}]")
            expect.equal(len(pair), 2, name=f"len(train_steps(...)[{step}])")
            for index, (param, ref) in enumerate([("w", ref_w), ("b", ref_b)]):
                expect.close(pair[index], ref, name=f"train_steps(...)[{step}][{index}]",
                             hint=f"That is the gradient of `{param}` at step {step}; it must "
                                  "come from that step's loss alone. Reset the gradients of "
                                  "both parameters after each update.")


class RoundSte(Exercise):
    name = "round_ste"
    title = "Stop a gradient with detach: the straight-through estimator"
    hints = (
        "`x.round()` has the right values but a zero gradient. Add to `x` a correction "
        "that autograd cannot see.",
        "`x + (x.round() - x).detach()`: the value is `x.round()`, the gradient that of `x`.",
    )
    solution = '''\
def round_ste(x):
    return x + (x.round() - x).detach()'''

    def check(self, round_ste):
        cases = [torch.tensor([-1.7, -0.4, 0.3, 2.6]), 3 * self.randn(2, 3)]
        for x in cases:
            shape = tuple(x.shape)
            name = "round_ste(x)"
            leaf = x.clone().requires_grad_(True)
            out = self.call(lambda leaf=leaf: round_ste(leaf),
                            during=f"`round_ste(x)`, x of shape {shape}")
            expect.tensor(out, name=name, shape=shape, dtype=x.dtype)
            expect.close(out, x.round(), name=name, hint="The values must be `x.round()`.")
            expect.that(out.requires_grad and out.grad_fn is not None,
                        checked=f"whether `{name}` is connected to the graph of `x`",
                        expected="a result with a `grad_fn`",
                        found="a result that autograd cannot trace back to `x`",
                        hint="Detach only the correction term, not the whole result.")
            weights = self.randn(*shape)
            (grad,) = self.call(
                lambda out=out, leaf=leaf, weights=weights: torch.autograd.grad(
                    out, leaf, weights, allow_unused=True),
                during=f"the backward pass through `round_ste(x)`, x of shape {shape}")
            expect.that(grad is not None, checked="the gradient of `round_ste(x)`",
                        expected="a gradient that flows back to `x`",
                        found="no gradient at all", hint="Keep `x` itself in the result.")
            expect.close(grad, weights, name="x.grad",
                         hint="After a backward pass through `round_ste(x)` with incoming "
                              "gradient g, `x.grad` must equal g: the gradient passes "
                              "straight through, as if the result were `x` itself.")


def _cubes(t: torch.Tensor) -> torch.Tensor:
    return (t**3).sum()


def _mixed(t: torch.Tensor) -> torch.Tensor:
    return t.sin().sum() * t.cos().sum() + (t**2).sum().sqrt()


class FiniteDiff(Exercise):
    name = "finite_diff"
    title = "Central finite differences"
    hints = (
        "For each entry i: copy x, add h to entry i for f(x + h e_i), subtract h for "
        "f(x - h e_i), and divide the difference by 2h.",
        "Loop over `range(x.numel())` on flat views: `xp = x.clone(); xp.view(-1)[i] += h`. "
        "Fill `grad = torch.zeros_like(x)` the same way.",
    )
    solution = '''\
def finite_diff_grad(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus.view(-1)[i] += h
        minus.view(-1)[i] -= h
        grad.view(-1)[i] = (f(plus) - f(minus)) / (2 * h)
    return grad'''

    def check(self, finite_diff_grad):
        # f = sum(x**3): the central difference is exactly 3 x**2 + h**2, so both the
        # formula and the use of h show.
        x, h = self.randn(4, dtype=F64), 0.1
        during = f"`finite_diff_grad(f, x, h={h})` with f(x) = (x**3).sum()"
        found = self.call(finite_diff_grad, _cubes, x, h, during=during)
        name = f"finite_diff_grad(f, x, h={h})"
        expect.tensor(found, name=name, shape=x.shape, dtype=F64,
                      hint="Return a tensor like `x`, e.g. filled in `torch.zeros_like(x)`.")
        expect.close(found, 3 * x**2 + h**2, name=name, atol=1e-9, rtol=1e-9,
                     hint="Here f(x) = (x**3).sum(), and central differences with the `h` "
                          "you are given, (f(x + h) - f(x - h)) / (2 h), give exactly "
                          "3 x**2 + h**2.")
        x, h = self.randn(2, 3, dtype=F64), 1e-6
        during = f"`finite_diff_grad(f, x, h={h})` with x of shape (2, 3)"
        found = self.call(finite_diff_grad, _mixed, x, h, during=during)
        name = f"finite_diff_grad(f, x, h={h})"
        expect.tensor(found, name=name, shape=x.shape, dtype=F64)
        expect.close(found, _autograd_grad(_mixed, x), name=name, atol=1e-6, rtol=1e-6,
                     hint="Here f mixes all entries of an x of shape (2, 3). Move one entry "
                          "of x at a time, and only that entry.")


class SigmoidBackward(Exercise):
    name = "sigmoid_backward"
    title = "The backward of a custom autograd.Function"
    hints = (
        "The derivative of s = sigmoid(x) is s * (1 - s), and forward saved s for you.",
        "`(s,) = ctx.saved_tensors`, then return `grad_output * s * (1 - s)`: the incoming "
        "gradient times the local derivative.",
    )
    solution = '''\
class MySigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s * (1 - s)'''

    def check(self, MySigmoid):  # noqa: N803 - the learner's class name
        is_function = isinstance(MySigmoid, type) and issubclass(
            MySigmoid, torch.autograd.Function)
        expect.that(is_function, checked="`MySigmoid`",
                    expected="a subclass of `torch.autograd.Function`",
                    found=f"`{getattr(MySigmoid, '__name__', type(MySigmoid).__name__)}`",
                    hint="Keep the given `class MySigmoid(torch.autograd.Function)`.")
        x = self.randn(3, 4, dtype=F64)
        out = self.call(MySigmoid.apply, x, during="`MySigmoid.apply(x)`")
        expect.close(out, torch.sigmoid(x), name="MySigmoid.apply(x)")
        for x in [torch.tensor([-5.0, 0.0, 5.0], dtype=F64), self.randn(2, 3, dtype=F64)]:
            # An unwritten backward (NotImplementedError) is reported as not attempted.
            expect.gradcheck(MySigmoid.apply, (x,), name="MySigmoid.backward",
                             hint="Multiply the incoming `grad_output` by the local "
                                  "derivative s * (1 - s).")


def _bowl(center: torch.Tensor, scale: torch.Tensor):
    return lambda p: (scale * (p - center) ** 2).sum()


def _double_well(p: torch.Tensor) -> torch.Tensor:
    return (p**4 - 2 * p**2 + 0.5 * p).sum()


def _reference_descent(f, start, lr, steps):
    p = start.detach().clone()
    path = [p]
    for _ in range(steps):
        p = p - lr * _autograd_grad(f, p)
        path.append(p)
    return torch.stack(path)


class GradientDescent(Exercise):
    name = "gradient_descent"
    title = "Find a minimum with autograd"
    hints = (
        "Start from `p = start.clone().requires_grad_(True)`; at each step compute "
        "`f(p)`, call `backward()`, then move against `p.grad` inside `torch.no_grad()`.",
        "Reset `p.grad = None` after each update, and store `p.detach().clone()` in a list "
        "(the start included); `torch.stack` the list at the end.",
    )
    solution = '''\
def gradient_descent(f, start, lr, steps):
    p = start.clone().requires_grad_(True)
    path = [p.detach().clone()]
    for _ in range(steps):
        loss = f(p)
        loss.backward()
        with torch.no_grad():
            p -= lr * p.grad
        p.grad = None
        path.append(p.detach().clone())
    return torch.stack(path)'''

    def check(self, gradient_descent):
        center, scale = self.randn(2), 0.5 + self.randn(2).abs()
        problems = [
            ("a 2-D bowl", _bowl(center, scale), self.randn(2), 0.1, 25),
            ("a 1-D double well", _double_well, torch.tensor([1.5]), 0.05, 20),
        ]
        for what, f, start, lr, steps in problems:
            call = f"gradient_descent(f, start, lr={lr}, steps={steps})"
            given = start.clone()  # passed as is, to see whether it changes
            path = self.call(lambda given=given, f=f, lr=lr, steps=steps: gradient_descent(
                f, given, lr, steps), during=f"`{call}` on {what}")
            expect.that(torch.equal(given, start) and not given.requires_grad,
                        checked=f"`start` after `{call}`",
                        expected="the tensor unchanged", found="a changed tensor",
                        hint="Work on a copy: `p = start.clone().requires_grad_(True)`.")
            expect.tensor(path, name=call, shape=(steps + 1, *start.shape),
                          hint="Return the start and every point after it: steps + 1 rows.")
            expect.close(path[0], start, name=f"{call}[0]",
                         hint="The first row is the starting point itself.")
            reference = _reference_descent(f, start, lr, steps)
            expect.close(path[1], reference[1], name=f"{call}[1]",
                         hint=f"f is {what} here. One step is p - lr * gradient: downhill, "
                              "against the gradient.")
            expect.close(path, reference, name=call,
                         hint=f"f is {what} here. Each step must use the gradient at the "
                              "current point only: reset `p.grad` after every update.")


EXERCISES = [GradByHand, TrainSteps, RoundSte, FiniteDiff, SigmoidBackward, GradientDescent]

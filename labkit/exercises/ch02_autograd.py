"""Exercises of chapter 02, Autograd."""

from __future__ import annotations

import contextlib

import torch

from labkit.check import Exercise, Incorrect, NotAttempted, expect, probes
from labkit.check.describe import cut, shape_text
from labkit.check.host import NotCallable, learner_line
from labkit.check.signals import LearnerError, is_stub_error
from labkit.i18n import N_, _

F64 = torch.float64


# --- probes: they run where the learner's objects live and return plain data ---------

class _Forbidden(Exception):
    """Raised by a stand-in for a function an exercise rules out."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _stand_in(what: str):
    def forbidden(*args, **kwargs):
        raise _Forbidden(what)
    return forbidden


def _autograd_entries() -> list[tuple[object, str, str]]:
    return [
        (torch.Tensor, "backward", "`.backward()`"),
        (torch.autograd, "grad", "`torch.autograd.grad`"),
        (torch.autograd, "backward", "`torch.autograd.backward`"),
        (torch.autograd.functional, "jacobian", "`torch.autograd.functional.jacobian`"),
        (torch.autograd.functional, "vjp", "`torch.autograd.functional.vjp`"),
        (torch.func, "grad", "`torch.func.grad`"),
        (torch.func, "grad_and_value", "`torch.func.grad_and_value`"),
        (torch.func, "vjp", "`torch.func.vjp`"),
        (torch.func, "jacrev", "`torch.func.jacrev`"),
        (torch.func, "jacfwd", "`torch.func.jacfwd`"),
    ]


def _optim_entries() -> list[tuple[object, str, str]]:
    return [(torch.optim, name, f"`torch.optim.{name}`") for name in dir(torch.optim)
            if isinstance(getattr(torch.optim, name), type)
            and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)]


def _conv_entries() -> list[tuple[object, str, str]]:
    functional = torch.nn.functional
    return [(functional, "conv2d", "`F.conv2d`"), (torch, "conv2d", "`torch.conv2d`"),
            (functional, "unfold", "`F.unfold`"), (torch.Tensor, "unfold", "`Tensor.unfold`")]


_RULED_OUT = {"autograd": _autograd_entries, "optim": _optim_entries, "conv": _conv_entries}


def invoke(fn, args, kwargs, what: str):
    """``fn(*args, **kwargs)``; whatever it raises is the learner's error.

    An error raised inside library code that the learner's object called (an
    ``nn.Sequential`` of built-in layers, say) has no learner line in its traceback;
    it is still the learner's error, not the check's.
    """
    if not callable(fn):
        raise NotCallable(type(fn).__name__)
    try:
        return fn(*args, **kwargs)
    except (_Forbidden, LearnerError, NotAttempted, Incorrect):
        raise
    except Exception as err:
        if is_stub_error(err) or learner_line(err) is not None:
            raise
        raise LearnerError(type(err).__name__, cut(str(err), 300), "", what) from None


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Unchanged, up to rounding (a value moved by +h and back by -h in place)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not (a.is_floating_point() or a.is_complex()):
        return torch.equal(a, b)
    return torch.allclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True)


def guarded_call(fn, args=(), kwargs=None, *, what: str, no_grad: bool = False,
                 rule_out: tuple[str, ...] = (), keep_inputs: bool = True) -> dict:
    """``fn(*args, **kwargs)`` with the tools an exercise rules out replaced by stand-ins
    that raise, under ``torch.no_grad()`` if asked.

    Returns ``{"value": result, "changed": [...]}`` (the positions of the tensor
    arguments the call changed in place, when ``keep_inputs``), or
    ``{"ruled_out": "`torch.optim.SGD`"}`` when the function reached for a ruled-out tool.
    """
    before = [a.detach().clone() if keep_inputs and isinstance(a, torch.Tensor) else None
              for a in args]
    reply = _guarded(fn, args, kwargs, what, no_grad, rule_out)
    if "value" in reply:
        reply["changed"] = [i for i, (a, b) in enumerate(zip(args, before, strict=True))
                            if b is not None and not _same(a.detach(), b)]
    return reply


def _guarded(fn, args, kwargs, what, no_grad, rule_out) -> dict:
    saved = []
    for group in rule_out:
        for owner, name, words in _RULED_OUT[group]():
            saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, _stand_in(words))
    try:
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            return {"value": invoke(fn, tuple(args), dict(kwargs or {}), what)}
    except _Forbidden as err:
        return {"ruled_out": err.what}
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def run(exercise: Exercise, fn, *args, during: str, no_grad: bool = False,
        rule_out: tuple[str, ...] = (), rule_text: str = "", **kwargs):
    """Call the learner's ``fn`` through ``guarded_call``. A ruled-out tool, or a tensor
    argument changed in place, is incorrect."""
    reply = exercise.probe(guarded_call, fn, args, kwargs, what=during, no_grad=no_grad,
                           rule_out=rule_out, during=during)
    if "ruled_out" in reply:
        raise Incorrect(_("how {during} computes its result").format(during=during), rule_text,
                        _("a call to {tool}").format(tool=reply["ruled_out"]),
                        _("Write the computation out yourself, as the exercise asks."))
    if reply["changed"]:
        which = _(", ").join(_("argument {n}").format(n=i + 1) for i in reply["changed"])
        raise Incorrect(_("the arguments after {during}").format(during=during),
                        _("the arguments left unchanged"),
                        _("{which} changed in place").format(which=which),
                        _("Compute into new tensors: in-place operations (names ending in `_`, "
                          "`x[...] = ...`, `+=`) change the caller's tensor."))
    return reply["value"]


def train_steps_probe(train_steps, w0, b0, x, y, lr, steps, *, what: str):
    """The learner's loop on fresh leaves ``w``, ``b``: its gradients, and w, b after it."""
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    grads = invoke(train_steps, (w, b, x, y, lr, steps), {}, what)
    return {"grads": grads, "w": w.detach().clone(), "b": b.detach().clone()}


def function_backward(function, x, grad_output, *, what: str):
    """``function.apply(x)`` and the gradient a backward pass with ``grad_output`` gives x.

    The autograd engine checks what ``backward`` returns after it has returned, so such
    an error has no learner line; it is still the learner's.
    """
    try:
        return probes.forward_backward(function, x, grad_output=grad_output, method="apply")
    except RuntimeError as err:
        if learner_line(err) is not None:
            raise
        raise LearnerError(type(err).__name__, cut(str(err), 300),
                           _("in `MySigmoid.backward`"), what) from None


def descent_probe(gradient_descent, f, start, lr, steps, *, what: str):
    """The learner's descent with torch.optim ruled out; also what became of ``start``."""
    given = start.clone()
    reply = guarded_call(gradient_descent, (f, given, lr, steps), what=what,
                         rule_out=("optim",), keep_inputs=False)
    reply["start"] = given.detach().clone()
    reply["start_requires_grad"] = given.requires_grad
    return reply


# --- the reference computations --------------------------------------------------------

def _autograd_grad(f, x: torch.Tensor) -> torch.Tensor:
    """The gradient of the scalar f(x) with respect to x, by autograd (the reference)."""
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad


def _log1p_square_mean(x: torch.Tensor) -> torch.Tensor:
    return torch.log(1 + x**2).mean()


class GradByHand(Exercise):
    name = "grad_by_hand"
    title = N_("A gradient by hand")
    hints = (
        N_("Chain rule: the derivative of log(u) is 1/u, and u = 1 + x_i**2 has derivative "
           "2 x_i."),
        N_("The mean divides by N = x.numel(), so every entry of the gradient carries a 1/N: "
           "`2 * x / (x.numel() * (1 + x**2))`."),
    )
    solution = '''\
def grad_f(x):
    return 2 * x / (x.numel() * (1 + x**2))'''

    def check(self, grad_f):
        inputs = [("grad_f(torch.tensor([0.0, 1.0, -2.0]))", torch.tensor([0.0, 1.0, -2.0])),
                  ("grad_f(x)", self.randn(5)), ("grad_f(x)", self.randn(2, 3)),
                  ("grad_f(x)", self.randn(1))]
        for name, x in inputs:
            during = _("`{name}` for x of shape {shape}").format(name=name,
                                                                  shape=shape_text(x.shape))
            found = run(self, grad_f, x, during=during, no_grad=True, rule_out=("autograd",),
                        rule_text=_("the formula alone, without autograd"))
            expected = _autograd_grad(_log1p_square_mean, x)
            expect.tensor(found, name=name, shape=x.shape, dtype=x.dtype)
            hint = _("Compare with what autograd gives for the same x.")
            if x.numel() > 1 and torch.allclose(found, expected * x.numel(), atol=1e-5):
                hint = _("Your answer is N times too large: the mean divides by N = x.numel().")
            expect.close(found, expected, name=name, hint=hint)


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
            found = self.probe(train_steps_probe, train_steps, w0, b0, x, y, lr, steps,
                               what=f"`{call}`", during=f"`{call}`")
            grads = found["grads"]
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
                             name=_("`{param}` after {call}").format(param=param, call=call),
                             hint=_("Update `{param}` in place, `{param} -= lr * "
                                    "{param}.grad`, inside `torch.no_grad()`, at every "
                                    "step.").format(param=param))


class RoundSte(Exercise):
    name = "round_ste"
    title = N_("Stop a gradient with detach: the straight-through estimator")
    hints = (
        N_("`x.round()` has the right values but a zero gradient. Add to `x` a correction "
           "that autograd cannot see."),
        N_("`x + (x.round() - x).detach()`: the value is `x.round()`, the gradient that of "
           "`x`."),
    )
    solution = '''\
def round_ste(x):
    return x + (x.round() - x).detach()'''

    def check(self, round_ste):
        cases = [torch.tensor([-1.7, -0.4, 0.3, 2.6]),
                 torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]),  # halves: to the even one
                 3 * self.randn(2, 3)]
        for x in cases:
            shape = shape_text(x.shape)
            name = "round_ste(x)"
            weights = self.randn(*x.shape)
            during = _("`round_ste(x)` and a backward pass through it, x of shape "
                       "{shape}").format(shape=shape)
            out, grads = self.probe(probes.forward_backward, round_ste, x, grad_output=weights,
                                    during=during)
            expect.tensor(out, name=name, shape=x.shape, dtype=x.dtype)
            expect.close(out, x.round(), name=name,
                         hint=_("The values must be `x.round()` (which rounds halves to "
                                "the even neighbour: 0.5 -> 0, 1.5 -> 2)."))
            expect.that(grads is not None,
                        checked=_("whether `{name}` is connected to the graph of "
                                  "`x`").format(name=name),
                        expected=_("a result with a `grad_fn`"),
                        found=_("a result that autograd cannot trace back to `x`"),
                        hint=_("Detach only the correction term, not the whole result."))
            grad = grads[0]
            expect.that(grad is not None, checked=_("the gradient of `round_ste(x)`"),
                        expected=_("a gradient that flows back to `x`"),
                        found=_("no gradient at all"), hint=_("Keep `x` itself in the result."))
            expect.close(grad, weights, name="x.grad",
                         hint=_("After a backward pass through `round_ste(x)` with incoming "
                                "gradient g, `x.grad` must equal g: the gradient passes "
                                "straight through, as if the result were `x` itself."))


def cubes(t: torch.Tensor) -> torch.Tensor:
    """sum(t**3): a function the check hands to `finite_diff_grad`."""
    return (t**3).sum()


def mixed(t: torch.Tensor) -> torch.Tensor:
    """A function of all entries at once, handed to `finite_diff_grad`."""
    return t.sin().sum() * t.cos().sum() + (t**2).sum().sqrt()


class FiniteDiff(Exercise):
    name = "finite_diff"
    title = N_("Central finite differences")
    hints = (
        N_("For each entry i: copy x, add h to entry i for f(x + h e_i), subtract h for "
           "f(x - h e_i), and divide the difference by 2h."),
        N_("Loop over `range(x.numel())` on flat views: `xp = x.clone(); "
           "xp.view(-1)[i] += h`. Fill `grad = torch.zeros_like(x)` the same way."),
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
        during = _("`finite_diff_grad(f, x, h={h})` with f(x) = (x**3).sum()").format(h=h)
        found = run(self, finite_diff_grad, cubes, x, h, during=during, no_grad=True,
                    rule_out=("autograd",), rule_text=_("function values only, no autograd"))
        name = f"finite_diff_grad(f, x, h={h})"
        expect.tensor(found, name=name, shape=x.shape, dtype=F64,
                      hint=_("Return a tensor like `x`, e.g. filled in "
                             "`torch.zeros_like(x)`."))
        expect.close(found, 3 * x**2 + h**2, name=name, atol=1e-9, rtol=1e-9,
                     hint=_("Here f(x) = (x**3).sum(), and central differences with the `h` "
                            "you are given, (f(x + h) - f(x - h)) / (2 h), give exactly "
                            "3 x**2 + h**2."))
        x, h = self.randn(2, 3, dtype=F64), 1e-6
        during = _("`finite_diff_grad(f, x, h={h})` with x of shape (2, 3)").format(h=h)
        found = run(self, finite_diff_grad, mixed, x, h, during=during, no_grad=True,
                    rule_out=("autograd",), rule_text=_("function values only, no autograd"))
        name = f"finite_diff_grad(f, x, h={h})"
        expect.tensor(found, name=name, shape=x.shape, dtype=F64)
        expect.close(found, _autograd_grad(mixed, x), name=name, atol=1e-6, rtol=1e-6,
                     hint=_("Here f mixes all entries of an x of shape (2, 3). Move one "
                            "entry of x at a time, and only that entry."))


class SigmoidBackward(Exercise):
    name = "sigmoid_backward"
    title = N_("The backward of a custom autograd.Function")
    hints = (
        N_("The derivative of s = sigmoid(x) is s * (1 - s), and forward saved s for you."),
        N_("`(s,) = ctx.saved_tensors`, then return `grad_output * s * (1 - s)`: the "
           "incoming gradient times the local derivative."),
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
        kind = self.probe(probes.kind, MySigmoid, during=_("looking at `MySigmoid`"))
        is_function = kind["is_class"] and "torch.autograd.function.Function" in kind["mro"]
        found = (_("the class `{name}`").format(name=kind["mro"][0].rsplit(".", 1)[-1])
                 if kind["is_class"] else _("a `{type}`").format(type=kind["type"]))
        expect.that(is_function, checked="`MySigmoid`",
                    expected=_("a subclass of `torch.autograd.Function`"), found=found,
                    hint=_("Keep the given `class MySigmoid(torch.autograd.Function)`."))
        for x in [torch.tensor([-5.0, 0.0, 5.0], dtype=F64), self.randn(2, 3, dtype=F64),
                  self.randn(1, dtype=F64)]:
            shape = shape_text(x.shape)
            g = self.randn(*x.shape, dtype=F64)  # an incoming gradient that is not all ones
            during = _("`MySigmoid.apply(x)` and `MySigmoid.backward`, x of shape "
                       "{shape}").format(shape=shape)
            out, grads = self.probe(function_backward, MySigmoid, x, g, what=during,
                                    during=during)
            expect.close(out, torch.sigmoid(x), name="MySigmoid.apply(x)")
            s = torch.sigmoid(x)
            expect.that(grads is not None and grads[0] is not None,
                        checked=_("the gradient of `MySigmoid.apply(x)`"),
                        expected=_("a gradient for `x` from your `backward`"),
                        found=_("none"), hint=_("Return the gradient with respect to `x`."))
            expect.close(grads[0], g * s * (1 - s),
                         name=_("x.grad from MySigmoid.backward (x of shape "
                                "{shape})").format(shape=shape),
                         atol=1e-8, rtol=1e-6,
                         hint=_("Multiply the incoming `grad_output` by the local derivative "
                                "s * (1 - s). `torch.autograd.gradcheck(MySigmoid.apply, "
                                "(x,))` compares the same thing on your side."))


class Bowl:
    """f(p) = sum(scale * (p - center)**2): a function the check hands to the learner."""

    def __init__(self, center: torch.Tensor, scale: torch.Tensor):
        self.center, self.scale = center, scale

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        return (self.scale * (p - self.center) ** 2).sum()


def double_well(p: torch.Tensor) -> torch.Tensor:
    return (p**4 - 2 * p**2 + 0.5 * p).sum()


def _reference_descent(f, start, lr, steps):
    p = start.detach().clone()
    path = [p]
    for _step in range(steps):
        p = p - lr * _autograd_grad(f, p)
        path.append(p)
    return torch.stack(path)


class GradientDescent(Exercise):
    name = "gradient_descent"
    title = N_("Find a minimum with autograd")
    hints = (
        N_("Start from `p = start.clone().requires_grad_(True)`; at each step compute "
           "`f(p)`, call `backward()`, then move against `p.grad` inside `torch.no_grad()`."),
        N_("Reset `p.grad = None` after each update, and store `p.detach().clone()` in a "
           "list (the start included); `torch.stack` the list at the end."),
    )
    solution = '''\
def gradient_descent(f, start, lr, steps):
    p = start.clone().requires_grad_(True)
    path = [p.detach().clone()]
    for _step in range(steps):
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
            (_("a 2-D bowl"), Bowl(center, scale), self.randn(2), 0.1, 25),
            (_("a 1-D double well"), double_well, torch.tensor([1.5]), 0.05, 20),
            (_("a bowl over a (2, 3) tensor"), Bowl(self.randn(2, 3), torch.ones(2, 3)),
             self.randn(2, 3), 0.2, 3),
        ]
        for what, f, start, lr, steps in problems:
            call = f"gradient_descent(f, start, lr={lr}, steps={steps})"
            during = _("`{call}` on {what}").format(call=call, what=what)
            reply = self.probe(descent_probe, gradient_descent, f, start, lr, steps,
                               what=during, during=during)
            if "ruled_out" in reply:
                raise Incorrect(_("how {during} takes its steps").format(during=during),
                                _("autograd for the gradient and your own update, no "
                                  "`torch.optim`"),
                                _("a call to {tool}").format(tool=reply["ruled_out"]),
                                _("Move `p` yourself: `p -= lr * p.grad` inside "
                                  "`torch.no_grad()`."))
            path = reply["value"]
            expect.that(torch.equal(reply["start"], start) and not reply["start_requires_grad"],
                        checked=_("`start` after `{call}`").format(call=call),
                        expected=_("the tensor unchanged"), found=_("a changed tensor"),
                        hint=_("Work on a copy: `p = start.clone().requires_grad_(True)`."))
            expect.tensor(path, name=call, shape=(steps + 1, *start.shape),
                          hint=_("Return the start and every point after it: steps + 1 "
                                 "rows."))
            expect.close(path[0], start, name=f"{call}[0]",
                         hint=_("The first row is the starting point itself."))
            reference = _reference_descent(f, start, lr, steps)
            expect.close(path[1], reference[1], name=f"{call}[1]",
                         hint=_("f is {what} here. One step is p - lr * gradient: downhill, "
                                "against the gradient.").format(what=what))
            expect.close(path, reference, name=call,
                         hint=_("f is {what} here. Each step must use the gradient at the "
                                "current point only: reset `p.grad` after every "
                                "update.").format(what=what))


EXERCISES = [GradByHand, TrainSteps, RoundSte, FiniteDiff, SigmoidBackward, GradientDescent]

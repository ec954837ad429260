"""Exercises of chapter 02, each with a right, a blank, a missing and wrong answers."""

import torch
from exercise_harness import Case, chinese_test, standard_tests

from labkit.check import Outcome, run_check
from labkit.exercises.ch02_autograd import (
    FiniteDiff,
    GradByHand,
    Newton,
    RoundSte,
    SigmoidBackward,
    TrainSteps,
    given_train_steps,
)

# --- grad_by_hand --------------------------------------------------------------


def grad_f(x):
    return 2 * x / (x.numel() * (1 + x**2))


def grad_f_by_autograd(x):
    x = x.clone().requires_grad_(True)
    torch.log(1 + x**2).mean().backward()
    return x.grad


def grad_f_by_func(x):
    return torch.func.grad(lambda t: torch.log(1 + t**2).mean())(x)


def grad_f_in_place(x):
    """Right values, but written into the caller's tensor."""
    return x.mul_(2).div_(x.numel() * (1 + (x / 2) ** 2))


def grad_f_by_jvp(x):
    """Forward-mode autograd, one direction per entry, through a name captured early."""
    from torch.func import jvp as directional

    rows = [directional(lambda t: torch.log(1 + t**2).mean(), (x,), (e.view_as(x),))[1]
            for e in torch.eye(x.numel(), dtype=x.dtype)]
    return torch.stack(rows).view_as(x)


def grad_f_by_jacobian(x):
    return torch.autograd.functional.jacobian(lambda t: torch.log(1 + t**2).mean(), x)


def grad_f_float32(x):
    """Hard-codes float32: right until the check hands over float64."""
    return (2 * x / (x.numel() * (1 + x**2))).float()


# --- train_steps ---------------------------------------------------------------


def train_steps(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return grads


def train_steps_zero_first(w, b, x, y, lr=0.1, steps=5):
    """Also right: zero the gradients in place before each backward."""
    grads = []
    for _ in range(steps):
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return grads


def train_steps_only_w(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
    return grads


def train_steps_zero_before_update(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        w.grad.zero_()
        b.grad.zero_()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return grads


def train_steps_fixed_lr(w, b, x, y, lr=0.1, steps=5):
    """Ignores the lr it is given."""
    return train_steps(w, b, x, y, 0.1, steps)


def train_steps_zero_first_crash(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _ in range(steps):
        w.grad.zero_()  # None at the first step
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
    return grads


# --- round_ste -----------------------------------------------------------------


def round_ste(x):
    return x + (x.round() - x).detach()


def round_ste_data(x):
    """Swaps the data under x: the caller's tensor is rounded too."""
    x.data = x.round()
    return x


# --- finite_diff ---------------------------------------------------------------


def finite_diff_grad(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus.view(-1)[i] += h
        minus.view(-1)[i] -= h
        grad.view(-1)[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def forward_diff_grad(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus = x.clone()
        plus.view(-1)[i] += h
        grad.view(-1)[i] = (f(plus) - f(x)) / h
    return grad


def central_over_h(f, x, h=1e-6):
    return 2 * finite_diff_grad(f, x, h)


def ignores_h(f, x, h=1e-6):
    return finite_diff_grad(f, x, 1e-6)


def perturbs_without_restoring(f, x, h=1e-6):
    """Moves each entry of the caller's x and never puts it back."""
    grad = torch.zeros_like(x)
    flat = x.view(-1)
    for i in range(x.numel()):
        base = f(x)
        flat[i] += h
        grad.view(-1)[i] = (f(x) - base) / h
    return grad


def finite_diff_by_vjp(f, x, h=1e-6):
    from torch.func import vjp as pullback

    _value, back = pullback(f, x)
    return back(torch.ones(()))[0]


def finite_diff_by_autograd(f, x, h=1e-6):
    x = x.clone().requires_grad_(True)
    f(x).backward()
    return x.grad


def python_floats(f, x, h=1e-6):
    return torch.tensor(finite_diff_grad(f, x, h).tolist(), dtype=torch.float32)


def shifts_everything(f, x, h=1e-6):
    """Moves all entries at once: a directional derivative, not a gradient."""
    return ((f(x + h) - f(x - h)) / (2 * h)) * torch.ones_like(x)


# --- sigmoid_backward ----------------------------------------------------------


class MySigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s * (1 - s)


class SigmoidNoLocal(MySigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s


class SigmoidNoIncoming(MySigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return s * (1 - s)


class SigmoidSummed(MySigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return (grad_output * s * (1 - s)).sum()


class SigmoidScalesInPlace(MySigmoid):
    """Right for one branch; scales the shared incoming gradient in place."""

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output.mul_(s * (1 - s))


class SigmoidBlank(MySigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError()


# --- newton ------------------------------------------------------------------------


def newton(f, x0, steps):
    x = x0.detach().clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        (d1,) = torch.autograd.grad(f(x), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x)
        with torch.no_grad():
            x -= d1 / d2
        path.append(x.detach().clone())
    return torch.stack(path)


def newton_by_backward(f, x0, steps):
    """Also right: backward(create_graph=True), then the second derivative by grad."""
    x, path = x0.clone(), [x0.clone()]
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        f(x).backward(create_graph=True)
        d1 = x.grad
        (d2,) = torch.autograd.grad(d1, x)
        x = (x - d1 / d2).detach()
        path.append(x)
    return torch.stack(path)


def newton_by_hessian(f, x0, steps):
    """Also right: torch.autograd.functional for both derivatives."""
    x, path = x0.clone(), [x0.clone()]
    for _ in range(steps):
        d1 = torch.autograd.functional.jacobian(f, x)
        d2 = torch.autograd.functional.hessian(f, x)
        x = x - d1 / d2
        path.append(x)
    return torch.stack(path)


def no_create_graph(f, x0, steps):
    x, path = x0.clone(), [x0.clone()]
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (d1,) = torch.autograd.grad(f(x), x)
        (d2,) = torch.autograd.grad(d1, x)
        x = (x - d1 / d2).detach()
        path.append(x)
    return torch.stack(path)


def gradient_step(f, x0, steps):
    x, path = x0.clone(), [x0.clone()]
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (d1,) = torch.autograd.grad(f(x), x)
        x = (x - d1).detach()
        path.append(x)
    return torch.stack(path)


def upside_down(f, x0, steps):
    """f''/f' instead of f'/f''."""
    x, path = x0.clone(), [x0.clone()]
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (d1,) = torch.autograd.grad(f(x), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x)
        x = (x - d2 / d1).detach()
        path.append(x)
    return torch.stack(path)


def grads_accumulate(f, x0, steps):
    """backward(create_graph=True) into x.grad, never reset: f' of all steps summed."""
    x = x0.clone().requires_grad_(True)
    path = [x0.clone()]
    for _ in range(steps):
        f(x).backward(create_graph=True)
        (d2,) = torch.autograd.grad(x.grad, x)
        with torch.no_grad():
            x -= x.grad / d2
        path.append(x.detach().clone())
    return torch.stack(path)


def derivatives_at_start(f, x0, steps):
    """Both derivatives taken once, at x0, and reused for every step."""
    x = x0.clone().requires_grad_(True)
    (d1,) = torch.autograd.grad(f(x), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1, x)
    step = (d1 / d2).detach()
    return torch.stack([x0 - k * step for k in range(steps + 1)])


def moves_x0(f, x0, steps):
    path = [x0.clone()]
    for _ in range(steps):
        x = x0.detach().requires_grad_(True)
        (d1,) = torch.autograd.grad(f(x), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x)
        x0 -= (d1 / d2).detach()
        path.append(x0.clone())
    return torch.stack(path)


def newton_with_optim(f, x0, steps):
    """The step handed to torch.optim.SGD with lr = 1 / f''."""
    x = x0.clone().requires_grad_(True)
    path = [x0.clone()]
    for _ in range(steps):
        (d1,) = torch.autograd.grad(f(x), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x)
        optimizer = torch.optim.SGD([x], lr=float(1 / d2))
        x.grad = d1.detach()
        optimizer.step()
        path.append(x.detach().clone())
    return torch.stack(path)


CASES = [
    Case(GradByHand, right={"grad_f": grad_f}, wrong=[
        ({"grad_f": lambda x: 2 * x / (1 + x**2)}, "N times too large"),
        ({"grad_f": lambda x: 1 / (x.numel() * (1 + x**2))}, "the values of"),
        ({"grad_f": lambda x: grad_f(x).double()}, "the dtype of"),
        ({"grad_f": lambda x: grad_f(x).sum()}, "the shape of"),
        ({"grad_f": grad_f_by_autograd}, "without autograd"),
        ({"grad_f": grad_f_by_func}, "`torch.func.grad`, from autograd"),
        ({"grad_f": grad_f_in_place}, "changed its argument `x` in place"),
        ({"grad_f": grad_f_by_jvp}, "`torch.func.jvp`, from autograd"),
        ({"grad_f": grad_f_by_jacobian}, "from autograd"),
        ({"grad_f": grad_f_float32}, "the dtype of"),
    ]),
    Case(TrainSteps, right={"train_steps": train_steps}, wrong=[
        ({"train_steps": train_steps_only_w}, "steps=4)[1][1]"),
        ({"train_steps": train_steps_zero_before_update}, "steps=4)[1][0]"),
        ({"train_steps": lambda *args: train_steps(*args)[:-1]}, "len(train_steps"),
        ({"train_steps": train_steps_fixed_lr}, "lr=0.05"),
    ], raising=[
        ({"train_steps": train_steps_zero_first_crash}, "AttributeError"),
    ]),
    Case(RoundSte, right={"round_ste": round_ste}, wrong=[
        ({"round_ste": lambda x: x.round()}, "`x.grad`"),
        ({"round_ste": lambda x: x.detach().round()}, "connected to the graph"),
        ({"round_ste": lambda x: x + (x.round() - x)}, "`x.grad`"),
        ({"round_ste": lambda x: x}, "The values must be `x.round()`"),
        ({"round_ste": lambda x: x.round().detach() + 0 * x.sum()},
         "`x.grad`"),
        ({"round_ste": lambda x: x + (torch.floor(x + 0.5) - x).detach()},
         "rounds halves to the even neighbour"),
        ({"round_ste": round_ste_data}, "in place"),
    ]),
    Case(FiniteDiff, right={"finite_diff_grad": finite_diff_grad}, wrong=[
        ({"finite_diff_grad": forward_diff_grad}, "(x**3).sum()"),
        ({"finite_diff_grad": central_over_h}, "the values of"),
        ({"finite_diff_grad": ignores_h}, "3 x**2 + h**2"),
        ({"finite_diff_grad": python_floats}, "the dtype of"),
        ({"finite_diff_grad": shifts_everything}, "the values of"),
        ({"finite_diff_grad": finite_diff_by_autograd}, "no autograd"),
        ({"finite_diff_grad": perturbs_without_restoring},
         "changed its argument `x` in place"),
        ({"finite_diff_grad": finite_diff_by_vjp}, "`torch.func.vjp`"),
    ]),
    Case(SigmoidBackward, right={"MySigmoid": MySigmoid}, wrong=[
        ({"MySigmoid": SigmoidNoLocal}, "torch.autograd.gradcheck"),
        ({"MySigmoid": SigmoidNoIncoming}, "`x.grad` from `MySigmoid.backward`"),
        ({"MySigmoid": torch.nn.Sigmoid}, "a subclass of `torch.autograd.Function`"),
        ({"MySigmoid": SigmoidScalesInPlace}, "`grad_output` changed in place"),
    ], raising=[
        ({"MySigmoid": SigmoidSummed}, "invalid gradient"),
    ]),
    Case(Newton, right={"newton": newton}, wrong=[
        ({"newton": gradient_step}, "steps=2)[1]`"),
        ({"newton": upside_down}, "steps=2)[1]`"),
        ({"newton": lambda f, x0, steps: newton(f, x0, steps)[1:]}, "the shape of"),
        ({"newton": lambda f, x0, steps: newton(f, x0, steps).float()}, "the dtype of"),
        ({"newton": derivatives_at_start}, "current point only"),
        ({"newton": moves_x0}, "changed its argument `x0` in place"),
        ({"newton": newton_with_optim}, "`torch.optim.sgd.SGD`, from `torch.optim`"),
    ], raising=[
        ({"newton": no_create_graph}, "RuntimeError"),
        ({"newton": grads_accumulate}, "backward through the graph a second time"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)
test_chinese = chinese_test(CASES)


def _outcome(exercise, answers, seed=0):
    return run_check(exercise(), answers, seed=seed)


def test_given_loop_is_not_attempted():
    """Is the buggy loop as given in the notebook reported as not attempted?"""
    for seed in (0, 1, 12345):
        result = _outcome(TrainSteps, {"train_steps": given_train_steps}, seed)
        assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
        assert "same gradients as the loop given" in result.text()


def test_other_fixes_are_right():
    """Are other correct answers accepted (zero_ before backward, autograd.grad)?"""
    for seed in (0, 1):
        assert _outcome(TrainSteps, {"train_steps": train_steps_zero_first}, seed).passed
        assert _outcome(Newton, {"newton": newton_by_backward}, seed).passed
        assert _outcome(Newton, {"newton": newton_by_hessian}, seed).passed
        assert _outcome(RoundSte, {"round_ste": lambda x: x.round() + x - x.detach()},
                        seed).passed


def test_unwritten_backward_is_not_attempted():
    """Is a backward that still raises NotImplementedError reported as not attempted?"""
    result = _outcome(SigmoidBackward, {"MySigmoid": SigmoidBlank})
    assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
    assert "`MySigmoid.backward`" in result.text()


def test_perturb_and_restore_in_place_is_right():
    """Is moving x[i] by +h and back by -h in place (with rounding) accepted?"""

    def in_place(f, x, h=1e-6):
        grad = torch.zeros_like(x)
        flat = x.view(-1)
        for i in range(x.numel()):
            flat[i] += h
            plus = f(x)
            flat[i] -= 2 * h
            minus = f(x)
            flat[i] += h
            grad.view(-1)[i] = (plus - minus) / (2 * h)
        return grad

    for seed in (0, 1, 12345):
        result = _outcome(FiniteDiff, {"finite_diff_grad": in_place}, seed)
        assert result.passed, result.text()

"""The ``Exercise`` base class and ``evaluate``, the pure core of every check.

An exercise names the learner's variables through the parameters of its ``check``
method, so there is one source of truth for what a learner must define::

    class Relu(Exercise):
        name = "relu"
        title = "ReLU from scratch"
        hints = ("Keep the positive values and replace the others by zero.",)
        solution = "def relu(x):\\n    return x.clamp(min=0)"

        def check(self, relu):
            for x in [torch.tensor([-1.0, 0.0, 2.0]), self.randn(3, 4)]:
                found = self.call(relu, x, during=f"`relu(x)` with x of shape {tuple(x.shape)}")
                expect.close(found, x.clamp(min=0), name="relu(x)")

``evaluate(Relu(), namespace)`` returns a ``Result`` and never raises. Nothing here
touches IPython; the notebook layer lives in ``labkit.check.bind``.
"""

from __future__ import annotations

import inspect
import secrets
import traceback
from typing import ClassVar

import torch

from labkit import settings
from labkit.check.describe import cut, type_name
from labkit.check.result import Outcome, Result
from labkit.check.signals import Incorrect, LearnerError, NotAttempted, is_stub_error

PLACEHOLDER = ...


class Exercise:
    """One exercise: hints, a solution and a ``check`` over the learner's variables."""

    name: ClassVar[str]
    title: ClassVar[str]
    points: ClassVar[float] = 1
    hints: ClassVar[tuple[str, ...]] = ()
    solution: ClassVar[str] = ""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.rng = torch.Generator().manual_seed(seed)

    def check(self, *learner_values) -> None:  # pragma: no cover - overridden
        raise NotImplementedError("an exercise defines check(self, <learner variables>)")

    # --- tools for check() -------------------------------------------------
    def randn(self, *shape: int, dtype=torch.float32) -> torch.Tensor:
        """Fresh random inputs, so a hard-coded answer cannot pass."""
        return torch.randn(*shape, generator=self.rng, dtype=dtype)

    def randint(self, low: int, high: int, *shape: int) -> torch.Tensor:
        return torch.randint(low, high, shape, generator=self.rng)

    def call(self, fn, *args, during: str, clone: bool = True, **kwargs):
        """Run learner code; its errors become the learner's, never the checker's.

        Tensor arguments are copied (``clone=True``) so learner code cannot change the
        checker's data; a leaf tensor stays a leaf, with the same ``requires_grad``.
        Pass ``clone=False`` when the check must see what the learner did to its inputs.
        """
        if not callable(fn):
            raise Incorrect(during, "something callable (a function or a class)",
                            f"a `{type_name(fn)}`")
        if clone:
            args = tuple(_copy(a) for a in args)
        try:
            return fn(*args, **kwargs)
        except (Incorrect, NotAttempted, LearnerError):
            raise
        except Exception as err:
            if is_stub_error(err):
                raise NotAttempted(
                    f"{during} still raises `NotImplementedError`: replace the placeholder "
                    "with your code, run the cell, then check again."
                ) from None
            raise LearnerError(err, during) from err


def _copy(value):
    if not isinstance(value, torch.Tensor):
        return value
    if value.is_leaf:
        return value.detach().clone().requires_grad_(value.requires_grad)
    return value.clone()  # part of a graph: the copy stays connected to it


def variables(exercise: Exercise) -> list[str]:
    """The learner variable names an exercise checks, from its check() parameters."""
    return list(inspect.signature(exercise.check).parameters)


def evaluate(exercise: Exercise, namespace, *, seed: int | None = None) -> Result:
    """Check the learner's variables in ``namespace``; always returns a Result."""
    if seed is None:
        seed = settings.check_seed()
    if seed is None:
        seed = secrets.randbelow(2**31)
    exercise.seed = seed
    exercise.rng = torch.Generator().manual_seed(seed)

    values = []
    for var in variables(exercise):
        if var not in namespace:
            return _result(exercise, Outcome.NOT_ATTEMPTED, seed,
                           f"Found no variable `{var}`. Run the cell that defines it, "
                           "then check again.")
        if namespace[var] is PLACEHOLDER:
            return _result(exercise, Outcome.NOT_ATTEMPTED, seed,
                           f"`{var}` is still the placeholder `...`. Write your answer "
                           "where it says `# YOUR CODE HERE`, run the cell, then check again.")
        values.append(namespace[var])

    # Checks draw their own random numbers; the learner's generator state is left
    # exactly as it was, so checking never changes what later cells compute.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            exercise.check(*values)
        except NotAttempted as signal:
            return _result(exercise, Outcome.NOT_ATTEMPTED, seed, signal.reason)
        except Incorrect as signal:
            details = [("Checked", signal.checked), ("Expected", signal.expected),
                       ("Found", signal.found)]
            if signal.hint:
                details.append(("Hint", signal.hint))
            return _result(exercise, Outcome.INCORRECT, seed, "", tuple(details))
        except LearnerError as signal:
            err = signal.error
            return _result(exercise, Outcome.LEARNER_ERROR, seed,
                           f"Your code raised an error while the check ran {signal.during}.",
                           (("Error", f"`{type_name(err)}`: {cut(str(err), 300)}"),
                            ("Where", _learner_line(err))))
        except Exception as err:
            return _result(exercise, Outcome.CHECKER_BUG, seed,
                           "The check itself failed. This is not your fault.",
                           (("Error", f"`{type_name(err)}`: {cut(str(err), 300)}"),
                            ("Fix", "Tell your instructor, and include this message.")))
    return _result(exercise, Outcome.PASSED, seed)


def _result(exercise, outcome, seed, summary="", details=()) -> Result:
    return Result(
        name=exercise.name,
        outcome=outcome,
        points=exercise.points if outcome is Outcome.PASSED else 0,
        max_points=exercise.points,
        summary=summary,
        details=tuple(details),
        seed=seed,
    )


def _learner_line(err: BaseException) -> str:
    """The last traceback line that is not inside labkit or torch."""
    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        path = frame.filename.replace("\\", "/")
        if "/labkit/" not in path and "/torch/" not in path:
            line = f"line {frame.lineno}, in `{frame.name}`"
            return line + (f": `{cut(frame.line, 80)}`" if frame.line else "")
    return "inside a library call (see the error above)"

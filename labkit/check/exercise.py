"""The ``Exercise`` base class and ``run_check``, the pure core of every check.

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

The learner's values reach ``check`` as plain data (tensors, numbers, strings and
containers of them) or as handles (functions, classes, models). A check touches a
handle only through ``self.call`` and ``self.probe``, which run on the learner's side
(the notebook, or the grader's child process) and return plain data; comparisons
happen here. ``run_check(Relu(), namespace_or_host)`` returns a ``Result`` and never
raises. Nothing here touches IPython; the notebook layer lives in ``labkit.check.bind``.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Mapping
from typing import ClassVar

import torch

from labkit import settings
from labkit.check import probes
from labkit.check.describe import cut, describe, type_name
from labkit.check.handle import TouchedLearnerObject, is_handle
from labkit.check.host import Host, LocalHost, ProbeFailed
from labkit.check.result import Outcome, Result
from labkit.check.signals import Incorrect, LearnerError, NotAttempted
from labkit.i18n import N_, _


class Exercise:
    """One exercise: hints, a solution and a ``check`` over the learner's variables."""

    name: ClassVar[str]
    title: ClassVar[str]
    points: ClassVar[float] = 1
    hints: ClassVar[tuple[str, ...]] = ()
    solution: ClassVar[str] = ""

    def __init__(self):
        self.seed = 0
        self.rng = torch.Generator().manual_seed(0)
        self.host: Host | None = None

    def check(self, *learner_values) -> None:  # pragma: no cover - overridden
        raise NotImplementedError("an exercise defines check(self, <learner variables>)")

    # --- tools for check() -------------------------------------------------
    def randn(self, *shape: int, dtype=torch.float32) -> torch.Tensor:
        """Fresh random inputs, so a hard-coded answer cannot pass."""
        return torch.randn(*shape, generator=self.rng, dtype=dtype)

    def randint(self, low: int, high: int, *shape: int) -> torch.Tensor:
        return torch.randint(low, high, shape, generator=self.rng)

    def call(self, fn, *args, during: str, **kwargs):
        """Call the learner's ``fn`` where it lives; return plain data or a handle.

        Arguments are copied to the learner's side, so learner code never changes the
        check's data. The learner's errors are reported as theirs, a bare
        ``NotImplementedError`` as "not attempted".
        """
        if not is_handle(fn):
            if callable(fn):
                raise TypeError("self.call takes a learner object; run labkit's own "
                                "functions on learner objects with self.probe")
            raise Incorrect(during, _("something callable (a function or a class)"),
                            describe(fn))
        return self.probe(probes.call, fn, *args, during=during, **kwargs)

    def probe(self, probe, *args, during: str = N_("your code"), **kwargs):
        """Run ``probe(*args, **kwargs)`` on the learner's side; plain data comes back."""
        return self.host.run(probe, args, kwargs, during=during)

    def is_instance(self, value, cls: type, *, during: str = N_("your code")) -> bool:
        """``isinstance`` for a learner value, asked on the learner's side."""
        if not is_handle(value):
            return isinstance(value, cls)
        wanted = f"{cls.__module__}.{cls.__qualname__}"
        return wanted in self.probe(probes.kind, value, during=during)["mro"]


def variables(exercise: Exercise | type[Exercise]) -> list[str]:
    """The learner variable names an exercise checks, from its check() parameters."""
    return list(inspect.signature(exercise.check).parameters)[
        1 if isinstance(exercise, type) else 0:]


def run_check(exercise: Exercise, learner: Mapping | Host, *, seed: int | None = None) -> Result:
    """Check the learner's variables (a namespace, or a host); always returns a Result."""
    if seed is None:
        seed = settings.check_seed()
    if seed is None:
        seed = secrets.randbelow(2**31)
    host = learner if isinstance(learner, Host) else LocalHost(learner)
    host.seed = seed
    exercise.seed, exercise.host = seed, host
    exercise.rng = torch.Generator().manual_seed(seed)

    # Checks draw their own random numbers; the learner's generator state is left
    # exactly as it was, so checking never changes what later cells compute.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            values = _learner_values(exercise, host)
            if isinstance(values, Result):
                return values
            exercise.check(*values)
        except NotAttempted as signal:
            return _result(exercise, Outcome.NOT_ATTEMPTED, seed, _(signal.reason))
        except Incorrect as signal:
            # A check may pass a marked constant (hints=N_(...)): translated here.
            details = [("Checked", _(signal.checked)), ("Expected", _(signal.expected)),
                       ("Found", _(signal.found))]
            if signal.hint:
                details.append(("Hint", _(signal.hint)))
            return _result(exercise, Outcome.INCORRECT, seed, "", tuple(details))
        except LearnerError as signal:
            details = [("Error", f"`{signal.type_name}`: {signal.message}")]
            if signal.where:
                details.append(("Where", signal.where))
            summary = _("Your code raised an error at this step of the check: {during}.")
            return _result(exercise, Outcome.LEARNER_ERROR, seed,
                           summary.format(during=_(signal.during)), tuple(details))
        except Exception as err:
            if is_lost(err):
                raise  # the grader's child is gone: the grader records why
            kind = "touched a learner object" if isinstance(err, TouchedLearnerObject) else (
                "a probe failed" if isinstance(err, ProbeFailed) else type_name(err))
            return _result(exercise, Outcome.CHECKER_BUG, seed,
                           _("The check itself failed. This is not your fault."),
                           (("Error", f"`{kind}`: {cut(str(err), 300)}"),
                            ("Fix", _("Tell your instructor, and include this message."))))
    return _result(exercise, Outcome.PASSED, seed)


def is_lost(err: BaseException) -> bool:
    """True for the grader's signal that the learner's process ended (see labkit.grade)."""
    return getattr(err, "learner_process_lost", False)


def _learner_values(exercise: Exercise, host: Host):
    values = []
    for var in variables(exercise):
        reply = host.lookup(var)
        if reply[0] == "missing":
            return _result(exercise, Outcome.NOT_ATTEMPTED, exercise.seed,
                           _("Found no variable `{name}`. Run the cell that defines it, "
                             "then check again.").format(name=var))
        if reply[0] == "placeholder":
            return _result(exercise, Outcome.NOT_ATTEMPTED, exercise.seed,
                           _("`{name}` is still the placeholder `...`. Write your answer "
                             "where it says `# YOUR CODE HERE`, run the cell, then check "
                             "again.").format(name=var))
        values.append(reply[1])
    return values


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

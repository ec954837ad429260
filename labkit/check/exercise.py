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
raises. Nothing here touches IPython; the notebook layer lives in ``labkit.check.bound``.
"""

from __future__ import annotations

import contextlib
import inspect
import secrets
from collections.abc import Mapping
from typing import ClassVar

import torch

from labkit import settings
from labkit.check import probes, verdicts
from labkit.check.contract import Contract
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
    # Partial credit: (title, weight) of each part; see `part`. No parts: all or nothing.
    parts: ClassVar[tuple[tuple[str, float], ...]] = ()

    def __init__(self):
        self.seed = 0
        self.rng = torch.Generator().manual_seed(0)
        self.host: Host | None = None
        self.earned: list[str] = []
        self.failed: list[tuple[str, Incorrect]] = []

    @contextlib.contextmanager
    def part(self, title: str):
        """``with self.part(title):`` one part of the exercise, worth its weight in
        ``parts``. A wrong answer inside costs this part only and the check goes on; the
        result lists the parts earned and explains the first one missed."""
        if title not in dict(self.parts):
            raise ValueError(f"{self.name}: part {title!r} is not in {type(self).__name__}"
                             ".parts")
        try:
            yield
        except Incorrect as signal:
            self.failed.append((title, signal))
        else:
            self.earned.append(title)

    def check(self, *learner_values) -> None:  # pragma: no cover - overridden
        raise NotImplementedError("an exercise defines check(self, <learner variables>)")

    # --- tools for check() -------------------------------------------------
    def randn(self, *shape: int, dtype=torch.float32) -> torch.Tensor:
        """Fresh random inputs, so a hard-coded answer cannot pass."""
        return torch.randn(*shape, generator=self.rng, dtype=dtype)

    def randint(self, low: int, high: int, *shape: int) -> torch.Tensor:
        return torch.randint(low, high, shape, generator=self.rng)

    def call(self, fn, *args, during: str, rule_out: tuple[str, ...] = (),
             rule_text: str | None = None, writes: tuple = (), restored: tuple = (),
             no_grad: bool = False, leaves: tuple = (), differentiable: tuple = (),
             returns: type | None = None, no_graph: bool = False, printed: bool = False,
             **kwargs):
        """Call the learner's ``fn(*args, **kwargs)`` where it lives; return plain data or
        a handle (with ``printed=True``, ``(value, printed_text)``).

        The one way a check calls learner code. The call runs inside a guard
        (``labkit.check.guard``) and is judged against a ``Contract``:

        - ``rule_out``: tool groups (``labkit.check.tools``) it may not use, however
          spelled; ``rule_text`` says what was expected instead.
        - every argument is fingerprinted before and compared after: a change in place
          is incorrect, except for arguments in ``writes`` (positions or keywords), and
          for arguments in ``restored`` if they come back up to rounding.
        - ``no_grad``: run under ``torch.no_grad()``; ``leaves``: tensor arguments handed
          over as leaves that require gradients.
        - ``differentiable=(0,)``: the value must be a tensor whose graph reaches those
          arguments (handed over as leaves).
        - ``returns=float``: the value must be of that Python type (not a tensor).
        - ``no_graph``: no tensor in the value may hold a graph (values to be logged).

        Errors are the learner's, with the call named; a bare ``NotImplementedError``
        is "not attempted".
        """
        contract = Contract(rule_out=tuple(rule_out), rule_text=rule_text,
                            writes=tuple(writes), restored=tuple(restored), no_grad=no_grad,
                            leaves=tuple(leaves), differentiable=tuple(differentiable),
                            returns=returns, no_graph=no_graph, printed=printed)
        reply = self.probe(probes.guarded_call, self._callable(fn, during), args, kwargs,
                           contract.spec(), during=during)
        value = contract.judge(reply, during)
        return (value, reply["report"].get("printed", "")) if printed else value

    def judge(self, reply: dict, during: str, **contract):
        """The value of a ``guarded_call`` reply from a probe, judged by a ``Contract``."""
        return Contract(**contract).judge(reply, during)

    def _callable(self, fn, during: str):
        if not is_handle(fn):
            if callable(fn):
                raise TypeError("self.call takes a learner object; run labkit's own "
                                "functions on learner objects with self.probe")
            raise Incorrect(during, _("something callable (a function or a class)"),
                            describe(fn))
        return fn

    def work(self, fn, make_args, *, during: str, sizes: tuple[int, ...] = (4, 8, 16),
             rule_out: tuple[str, ...] = (), no_grad: bool = True) -> list[int]:
        """How much work ``fn(*make_args(n))`` does at each size: operators, calls and
        learner lines, counted by the guard. Ruled-out tools are incorrect here too."""
        contract = Contract(rule_out=tuple(rule_out), no_grad=no_grad, count=True)
        works = []
        # A first call, not counted: first calls fill caches and import lazily.
        for n in (sizes[0], *sizes):
            reply = self.probe(probes.guarded_call, self._callable(fn, during),
                               tuple(make_args(n)), {}, contract.spec(), during=during)
            verdicts.tools_used(reply["report"], during)
            works.append(int(reply["report"]["work"]))
        return works[1:]

    def no_loop(self, fn, make_args, *, during: str, sizes: tuple[int, ...] = (4, 8, 16),
                hint: str | None = None, **options) -> None:
        """Incorrect unless ``fn`` does the same work at every size: no loop over the data,
        whatever its syntax (``for``, a comprehension, ``map``, recursion). ``make_args(n)``
        gives the arguments for size ``n``; let every dimension the data has grow with n."""
        works = self.work(fn, make_args, during=during, sizes=sizes, **options)
        verdicts.no_loop(works, sizes, during, hint)

    def loops(self, fn, make_args, *, during: str, sizes: tuple[int, ...] = (3, 5, 7),
              hint: str | None = None, **options) -> None:
        """Incorrect unless ``fn``'s work grows with the input: the loops it must have."""
        works = self.work(fn, make_args, during=during, sizes=sizes, **options)
        verdicts.loops(works, sizes, during, hint)

    def pick(self, options):
        """One of ``options``, drawn from the check's seed."""
        options = list(options)
        return options[int(torch.randint(len(options), (1,), generator=self.rng))]

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
            if exercise.failed:
                raise exercise.failed[0][1]
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
        except TouchedLearnerObject as err:
            # Plain data was expected here and the learner's code gave something else (a
            # model instead of a number, a class instead of an instance): their answer.
            return _result(exercise, Outcome.INCORRECT, seed, "", (
                ("Checked", _("what your code gave the check")),
                ("Expected", _("plain data: a tensor, a number, a string, or a list, tuple or "
                               "dict of them")),
                ("Found", _("a `{type}`").format(type=err.type_name))))
        except Exception as err:
            if is_lost(err):
                raise  # the grader's child is gone: the grader records why
            kind = "a probe failed" if isinstance(err, ProbeFailed) else type_name(err)
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
    points = exercise.points if outcome is Outcome.PASSED else 0
    if exercise.parts and outcome in (Outcome.INCORRECT, Outcome.LEARNER_ERROR):
        points, line = _partial(exercise)
        details = (*details, ("Parts", line))
    return Result(
        name=exercise.name,
        outcome=outcome,
        points=points,
        max_points=exercise.points,
        summary=summary,
        details=tuple(details),
        seed=seed,
    )


def _partial(exercise) -> tuple[float, str]:
    """The points of the parts earned, and a line that lists every part."""
    total = sum(weight for _title, weight in exercise.parts)
    earned = sum(weight for title, weight in exercise.parts if title in exercise.earned)
    points = round(exercise.points * earned / total, 4) if total else 0
    listed = [_("{part}: {state}").format(
        part=_(title), state=_("earned") if title in exercise.earned else _("not earned"))
        for title, _weight in exercise.parts]
    return points, _("; ").join(listed)

"""Exercises bound to a notebook's variables: the notebook's side of checking.

``labkit.exercises.bind("03_mlp", globals())`` returns an ``ExerciseSet``; in a notebook::

    q.relu.check()      # shows the result
    q.relu.hint()       # shows hint 1; q.relu.hint(2) the next one
    q.relu.solution()   # shows the reference solution

``globals()`` is passed in on purpose: no frame walking, no process-wide state. This
module knows no chapter; the chapters' registry is ``labkit.exercises``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from labkit import settings
from labkit.check.display import show
from labkit.check.exercise import Exercise, run_check
from labkit.check.result import OUTCOME_WORDS, Note, Outcome, Result
from labkit.i18n import _, language


class BoundExercise:
    """One exercise tied to the notebook's variables."""

    def __init__(self, exercise_class: type[Exercise], namespace: Mapping):
        self._class = exercise_class
        self._namespace = namespace

    @property
    def name(self) -> str:
        return self._class.name

    def result(self, **answers) -> Result:
        """The Result, without showing it. Keyword answers replace notebook variables."""
        namespace = {**self._namespace, **answers} if answers else self._namespace
        return run_check(self._class(), namespace)

    def check(self) -> None:
        """Check your answer and show the result."""
        result = self.result()
        show(result)
        _assert_expected(result)

    def hint(self, n: int = 1) -> None:
        """Show hint ``n`` (1 is the gentlest)."""
        hints = self._class.hints
        if hints is None:  # withheld by a graded release (labkit.grade.withhold)
            show(Note(_("No hint for `{name}`").format(name=self.name),
                      _("Hints are not available in this assignment.")))
            return
        if not hints:
            show(Note(_("No hint for `{name}`").format(name=self.name),
                      _("This exercise has no hints.")))
            return
        n = min(max(int(n), 1), len(hints))
        if n < len(hints):
            title = _("Hint {n} of {total} for `{name}` (try `hint({next})` for more)")
        else:
            title = _("Hint {n} of {total} for `{name}`")
        show(Note(title.format(n=n, total=len(hints), name=self.name, next=n + 1),
                  _(hints[n - 1])))

    def solution(self) -> None:
        """Show the reference solution."""
        if self._class.solution is None:  # withheld by a graded release
            show(Note(_("Solution: {title}").format(title=_(self._class.title)),
                      _("The solution is not available in this assignment.")))
            return
        body = f"```python\n{self._class.solution.strip()}\n```"
        show(Note(_("Solution: {title}").format(title=_(self._class.title)), body))

    def expect(self, outcome: str, fragment: str | None = None, **answers) -> Result:
        """For authors: assert the check gives ``outcome`` (and mentions ``fragment``).

        Used in author-test cells to feed known-wrong and known-right answers.
        """
        wanted = Outcome.parse(outcome)
        with language("en"):  # authors' fragments are English, whatever the notebook shows
            result = self.result(**answers)
        if result.outcome is not wanted or (fragment and fragment not in result.text()):
            extra = f" mentioning {fragment!r}" if fragment else ""
            raise AssertionError(
                f"expected `{self.name}` to be {wanted.value}{extra}, got:\n{result.text()}"
            )
        return result

    def __repr__(self) -> str:
        return _("<exercise `{name}`: {title}; .check() .hint() .solution()>").format(
            name=self.name, title=_(self._class.title))


class ExerciseSet:
    """The exercises of one chapter, as attributes: ``q.relu``, ``q.accuracy``..."""

    def __init__(self, chapter: str, classes, namespace: Mapping):
        self._chapter = chapter
        self._bound = {cls.name: BoundExercise(cls, namespace) for cls in classes}

    def __getattr__(self, name: str) -> BoundExercise:
        bound = self.__dict__.get("_bound", {})
        if name in bound:
            return bound[name]
        close = difflib.get_close_matches(name, bound, n=1)
        tip = _(" Did you mean `{name}`?").format(name=close[0]) if close else ""
        raise AttributeError(
            _("chapter {chapter} has no exercise `{name}`.{tip} Exercises: {names}").format(
                chapter=self.__dict__.get("_chapter"), name=name, tip=tip,
                names=", ".join(bound) or _("none yet")))

    def __dir__(self):
        return [*super().__dir__(), *self._bound]

    def __iter__(self):
        return iter(self._bound.values())

    def results(self) -> list[Result]:
        return [bound.result() for bound in self]

    def summary(self) -> None:
        """Show every exercise's outcome and the points so far."""
        results = self.results()
        got = sum(r.points for r in results)
        total = sum(r.max_points for r in results)
        lines = [f"- `{r.name}`: {_(OUTCOME_WORDS[r.outcome.value])}" for r in results]
        show(Note(_("Chapter {chapter}: {got:g} of {total:g} points").format(
            chapter=self._chapter, got=got, total=total), "\n".join(lines)))

    def __repr__(self) -> str:
        names = ", ".join(self._bound) or "none yet"
        return f"<exercises of {self._chapter}: {names}>"


def _assert_expected(result: Result) -> None:
    """Test harness only: fail loudly when a check's outcome is not the expected one."""
    expected = settings.expected_outcome()
    if expected and result.outcome is not Outcome.parse(expected):
        raise AssertionError(
            f"LABKIT_EXPECT={expected}, but the check gave:\n{result.text()}"
        )

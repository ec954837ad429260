"""Exercise checking, knowing no chapter: the ``Exercise`` base class, the one way to
call learner code (``Exercise.call``, guarded by ``labkit.check.guard``), expectations,
results and the hosts that reach learner objects. Chapters live in ``labkit.exercises``."""

from labkit.check import expect, probes
from labkit.check.bound import BoundExercise, ExerciseSet
from labkit.check.exercise import Exercise, run_check, variables
from labkit.check.handle import Handle, TouchedLearnerObject, is_handle
from labkit.check.host import Host, LocalHost
from labkit.check.result import Note, Outcome, Result
from labkit.check.signals import Incorrect, LearnerError, NotAttempted

__all__ = [
    "BoundExercise", "Exercise", "ExerciseSet", "Handle", "Host", "Incorrect",
    "LearnerError", "LocalHost", "Note", "NotAttempted", "Outcome", "Result",
    "TouchedLearnerObject", "run_check", "expect", "is_handle", "probes", "variables",
]

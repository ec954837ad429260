"""Exercise checking: ``q = check.bind("03_mlp", globals())``, then ``q.relu.check()``."""

from labkit.check import expect, probes
from labkit.check.bind import CHAPTERS, BoundExercise, ExerciseSet, bind, exercises_of
from labkit.check.exercise import Exercise, run_check, variables
from labkit.check.handle import Handle, TouchedLearnerObject, is_handle
from labkit.check.host import Host, LocalHost
from labkit.check.result import Note, Outcome, Result
from labkit.check.signals import Incorrect, LearnerError, NotAttempted

__all__ = [
    "CHAPTERS", "BoundExercise", "Exercise", "ExerciseSet", "Handle", "Host", "Incorrect",
    "LearnerError", "LocalHost", "Note", "NotAttempted", "Outcome", "Result",
    "TouchedLearnerObject", "bind", "run_check", "exercises_of", "expect", "is_handle",
    "probes", "variables",
]

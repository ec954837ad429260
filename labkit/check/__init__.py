"""Exercise checking: ``q = check.bind("03_mlp", globals())``, then ``q.relu.check()``."""

from labkit.check import expect
from labkit.check.bind import CHAPTERS, BoundExercise, ExerciseSet, bind, exercises_of
from labkit.check.exercise import Exercise, evaluate, variables
from labkit.check.result import Note, Outcome, Result
from labkit.check.signals import Incorrect, LearnerError, NotAttempted

__all__ = [
    "CHAPTERS", "BoundExercise", "Exercise", "ExerciseSet", "Incorrect", "LearnerError",
    "Note", "NotAttempted", "Outcome", "Result", "bind", "evaluate", "exercises_of",
    "expect", "variables",
]

"""Exceptions a check raises to say how the learner's answer fared.

They are signals, caught by ``evaluate``: a check never lets a learner see them
as a traceback.
"""

from __future__ import annotations


class Incorrect(Exception):
    """The answer runs but is wrong. Fields are shown in this fixed order."""

    def __init__(self, checked: str, expected: str, found: str, hint: str | None = None):
        super().__init__(f"{checked}: expected {expected}, found {found}")
        self.checked, self.expected, self.found, self.hint = checked, expected, found, hint


class NotAttempted(Exception):
    """The exercise still holds its placeholder (or the variable is missing)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LearnerError(Exception):
    """The learner's code raised while the check ran it."""

    def __init__(self, error: BaseException, during: str):
        super().__init__(f"{type(error).__name__} during {during}")
        self.error, self.during = error, during


def is_stub_error(err: BaseException) -> bool:
    """True for the stub's bare ``raise NotImplementedError()``.

    PyTorch raises NotImplementedError *with a message* for operations it does not
    support (e.g. the mean of a bool tensor); that is an error in the learner's code.
    """
    return type(err) is NotImplementedError and not str(err)

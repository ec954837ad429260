"""Exceptions a check raises to say how the learner's answer fared.

They are signals, caught by ``run_check``: a check never lets a learner see them
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
    """The learner's code raised while the check ran it.

    It carries plain text only (the error's type, message and learner line), since the
    learner's exception may live in another process.
    """

    def __init__(self, type_name: str, message: str, where: str, during: str):
        super().__init__(f"{type_name} during {during}")
        self.type_name, self.message, self.where, self.during = (
            type_name, message, where, during)

    def same_error(self, other: BaseException | None) -> bool:
        """True if ``other`` (an exception the check raised itself) is this very error."""
        from labkit.check.describe import cut

        return (other is not None and type(other).__name__ == self.type_name
                and cut(str(other), 300) == self.message)


def is_stub_error(err: BaseException) -> bool:
    """True for the stub's bare ``raise NotImplementedError()``.

    PyTorch raises NotImplementedError *with a message* for operations it does not
    support (e.g. the mean of a bool tensor); that is an error in the learner's code.
    """
    return type(err) is NotImplementedError and not str(err)

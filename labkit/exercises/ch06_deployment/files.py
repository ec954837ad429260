"""Files the chapter's checks write and read: a scratch folder, the weights-only loader's
verdict on a file in one line, and a file with code hidden in it."""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager

import torch
from torch import nn

from labkit.check.describe import cut
from labkit.i18n import _

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # terminal colour codes, which torch.load's error has


def load_failure(err: BaseException) -> str:
    """The reason a load failed, in one short line: for a weights-only load, the line that
    names the type it refused (``Unsupported global: GLOBAL ...``)."""
    text = _ANSI.sub("", str(err))
    for line in text.splitlines():
        if "Unsupported global" in line:
            reason = line.strip().removeprefix("WeightsUnpickler error: ").split(". ")[0]
            return f"{type(err).__name__}: {cut(reason, 200)}"
    return f"{type(err).__name__}: {cut(text, 200)}"


def weights_only_error(path: str) -> str | None:
    """None if ``torch.load(path, weights_only=True)`` reads the file, else why not."""
    try:
        torch.load(path, weights_only=True)
    except Exception as err:
        return load_failure(err)
    return None


NO_FILE = "no file"  # a probe's reply: the learner's function wrote nothing at `path`


def unsafe_text(unsafe: str) -> str:
    """Why a written file is not a weights-only file, as a sentence for the learner."""
    if unsafe == NO_FILE:
        return _("no file was written at `path`")
    return _("it raises {error}").format(error=unsafe)


def scratch_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder under $TMPDIR as it is now: in the grader's child process that
    is the one folder it may write to, even if `tempfile` chose /tmp before it was set."""
    return tempfile.TemporaryDirectory(prefix="labkit-check-",
                                       dir=os.environ.get("TMPDIR") or None)


@contextmanager
def plain_errors():
    """Let a learner's error go through, its message short and free of colour codes."""
    try:
        yield
    except Exception as err:
        message = err.args[0] if err.args and isinstance(err.args[0], str) else None
        if message is not None and ("\x1b[" in message or "Weights only load failed" in message):
            err.args = (load_failure(err).split(": ", 1)[1], *err.args[1:])
        raise


class Trap:
    """Pickles to a call of `payload`: what a hostile model file can do."""

    def __init__(self, marker: str, model: nn.Module):
        self.marker, self.model = marker, model

    def __reduce__(self):
        return (payload, (self.marker, self.model))


def payload(marker: str, model):
    """Runs while such a file is unpickled. Here it only leaves a file behind."""
    with open(marker, "w") as file:
        file.write("code from the model file ran")
    return model

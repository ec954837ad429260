"""Downloading safely: into a scratch folder, with a time limit, cleaned up afterwards.

torchvision downloads into the folder it is given. Pointing it at a scratch folder
inside ``root`` (same disk, so the final move is atomic) means a failed or partial
download never leaves half-written files where torchvision will look for them.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

DOWNLOAD_TIMEOUT_S = 20


@contextmanager
def scratch_folder(root: Path, prefix: str):
    """Yield an empty folder inside ``root``; it is removed afterwards, whatever happens."""
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # urllib would otherwise wait forever
    try:
        yield scratch
    finally:
        socket.setdefaulttimeout(previous_timeout)
        shutil.rmtree(scratch, ignore_errors=True)


def failure_reason(err: BaseException) -> str:
    """The most telling line of a download error, kept short."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1][:160] if lines else type(err).__name__

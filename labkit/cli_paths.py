"""What the command line checks about paths before it starts work, and its one error.

A folder that a command will write is checked first, so a typo or a read-only disk is
one clear line, not a traceback halfway through. Nothing here creates or changes a
folder: an existing folder keeps its owner and permissions.
"""

from __future__ import annotations

import os
from pathlib import Path


class UsageError(Exception):
    """A mistake in how a command was called; the message says the cause and the fix."""


def _can_write(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def writable_folder(path: Path, flag: str, *, must_exist: bool = False) -> Path:
    """``path`` when it is a folder this user can write, or one it can create."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{flag} {path} is a file, not a folder; give a folder "
                             "(it is created when missing)")
        if not _can_write(path):
            raise UsageError(f"{flag} {path} is read-only for this user; choose another "
                             f"folder or make it writable (chmod u+w {path})")
        return path
    if must_exist:
        raise UsageError(f"{flag} {path}: no such folder; check the path")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {path} cannot be created: {parent} is a file; "
                         "choose another folder")
    if not _can_write(parent):
        raise UsageError(f"{flag} {path} cannot be created: {parent} is read-only for this "
                         "user; choose a folder you can write")
    return path

"""The grader's version: labkit's release plus a digest of everything a grade depends on.

A re-run grades a submission again when this changes. It is derived, never listed by
hand: every source file of the labkit package (the check kit, the exercises, the models,
timing and process-group helpers they use, the grader itself), its message catalogs
(the words of the feedback), the chapter sources (the protected cells that run in the
child), the hidden checks, and the versions of Python and torch that run them all.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

SUFFIXES = (".py", ".po", ".json")


def package_files() -> list[Path]:
    """Every file of the labkit package a grade may depend on, in a stable order."""
    package = Path(__file__).resolve().parents[1]
    return sorted(p for p in package.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                  and "__pycache__" not in p.parts)


def grader_version(extra_files=()) -> str:
    """``extra_files``: the course's own (chapter sources, hidden checks)."""
    import torch

    from labkit import __version__

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in package_files():
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    for path in sorted(Path(p) for p in extra_files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(f"{platform.python_version()} {torch.__version__}".encode())
    return f"{__version__}+{digest.hexdigest()[:10]}"

"""The packages a chapter needs beyond the runtime's own, installed from its setup cell.

On Colab the course is installed with ``--no-deps``, so what only some chapters need
(the ONNX stack of chapter 06, babel for the Chinese catalogs) comes from one call in
the setup cell, with versions that the course was tested with::

    labkit.extras.install("onnx==1.23.2", "onnxruntime==1.32.0")

Only missing packages are installed; one already there is kept, whatever its version.
The runtime's torch stack and numpy are held where they are: pip gets a constraints
file of their exact installed versions, so a pin that would need another numpy stops
with pip's error instead of replacing the numpy every other package was built against.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from labkit.i18n import _

# Never upgraded or replaced by a chapter's extras.
HELD = ("torch", "torchvision", "torchaudio", "numpy")


def requirement_name(requirement: str) -> str:
    """``"onnx==1.23.2"`` -> ``"onnx"``."""
    name = re.split(r"[=<>!~;\[ ]", requirement.strip(), maxsplit=1)[0]
    if not name:
        raise ValueError(f"{requirement!r} is not a requirement; write e.g. 'onnx==1.23.2'")
    return name


def installed(name: str) -> str | None:
    """The installed version of the distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def missing(requirements) -> list[str]:
    """The requirements whose package is not installed at all."""
    return [r for r in requirements if installed(requirement_name(r)) is None]


def held_versions() -> dict[str, str]:
    """``{name: version}`` of the held packages that are installed."""
    return {name: v for name in HELD if (v := installed(name)) is not None}


def install(*requirements: str, run=subprocess.run) -> list[str]:
    """Install the missing ``requirements`` with pip, holding torch and numpy; return
    what was installed (nothing when all are there, the usual case off Colab)."""
    todo = missing(requirements)
    if not todo:
        return []
    held = held_versions()
    print(_("Installing {packages} (this chapter needs them); {held} stay as they are.")
          .format(packages=", ".join(todo), held=", ".join(held) or "torch"))
    with tempfile.TemporaryDirectory(prefix="labkit-extras-") as folder:
        constraints = Path(folder) / "held.txt"
        constraints.write_text("".join(f"{name}=={v}\n" for name, v in held.items()))
        done = run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-c", str(constraints), *todo],
                   check=False)
    if done.returncode != 0:
        raise RuntimeError(_("pip could not install {packages} (see its message above). "
                             "Check the internet connection, then run this cell again.")
                           .format(packages=", ".join(todo)))
    import importlib

    importlib.invalidate_caches()  # so the new packages import in this kernel
    return todo

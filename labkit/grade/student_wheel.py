"""The package students of a graded assignment install: labkit without its solutions.

``build(out)`` copies the installed labkit package (its source and data, never a
``__pycache__`` or compiled file, which would still hold the strings), rewrites every
exercise module with ``labkit.grade.withhold.strip_source``, and writes a wheel:
``labkit-<version>+graded-py3-none-any.whl``. The wheel is written by hand (a zip with
the three ``.dist-info`` files the wheel format asks for, PEP 427), so a release needs
no build backend and no network, and the same package gives the same bytes.

The hidden checks are never in it: they live in the instructor's own folder, and the
grader loads them in its own process only.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from labkit.grade import withhold

LOCAL = "graded"  # the local version label: 0.2.0+graded
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
EPOCH = (2020, 1, 1, 0, 0, 0)  # every entry's time, so the bytes do not depend on today


def package_folder() -> Path:
    import labkit

    return Path(labkit.__file__).resolve().parent


def package_files(package: Path, *, hints: bool = True) -> dict[str, bytes]:
    """``{path inside the wheel: bytes}``: the package, its exercises stripped."""
    package = Path(package)
    stripped = set(withhold.exercise_modules(package))
    withheld_hints = set() if hints else _hint_texts()
    files = {}
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (path.is_dir() or path.is_symlink() or SKIPPED_DIRS & set(relative.parts)
                or path.suffix in SKIPPED_SUFFIXES):
            continue
        data = path.read_bytes()
        if path in stripped:
            data = withhold.strip_source(data.decode(), hints=hints).encode()
        elif withheld_hints and path.suffix == ".po":
            data = _without_messages(data, withheld_hints)
        files[f"labkit/{relative.as_posix()}"] = data
    return files


def _hint_texts() -> set[str]:
    from labkit.exercises import CHAPTERS, exercises_of

    return {hint for chapter in CHAPTERS for e in exercises_of(chapter) for hint in e.hints}


def _without_messages(po: bytes, dropped: set[str]) -> bytes:
    """A catalog without the given messages: their translations are hints too."""
    import io

    from babel.messages.pofile import read_po, write_po

    catalog = read_po(io.BytesIO(po))
    for message in list(catalog):
        if message.id and message.id in dropped:
            del catalog[message.id]
    written = io.BytesIO()
    write_po(written, catalog, width=0)
    return written.getvalue()


def build(out: Path, *, hints: bool = True, package: Path | None = None) -> Path:
    """Write the student wheel into ``out``; return its path."""
    from labkit.notebook.project import installed_version

    version = f"{installed_version()}+{LOCAL}"
    files = package_files(package or package_folder(), hints=hints)
    info = f"labkit-{version}.dist-info"
    files[f"{info}/METADATA"] = (
        "Metadata-Version: 2.1\nName: labkit\n"
        f"Version: {version}\nSummary: The PyTorch course's package for a graded "
        "assignment (no reference solutions)\nRequires-Python: >=3.10\n").encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: labkit release --graded\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"labkit-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

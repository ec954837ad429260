"""``labkit collect``: an LMS's bulk download -> one folder per student + a manifest.

Two namings are understood (``--format auto`` tells them apart entry by entry):

- Canvas: ``<lastfirst>[_late]_<user id>_<submission id>_<file name>`` at the top of
  the zip (``doejane_late_1234_98765_03_mlp-1.ipynb``);
- Moodle: a folder per submission, ``<Full Name>_<participant id>_assignsubmission_file_``,
  holding the files as uploaded.

Each student's notebooks go to ``<out>/<id>/``; a file whose name names a chapter is
saved as ``<chapter>.ipynb`` (Canvas's ``-1`` resubmission suffix dropped), two for one
chapter keep the newest. ``manifest.json`` records per folder the name the LMS gave,
the submission time (the zip entry's time, read as UTC), Canvas's late mark and the
files; ``labkit.grade.times`` reads it for deadlines and ``labkit.grade.roster`` for
names.

The zip is treated as hostile: an entry with an absolute path, ``..``, a backslash or a
drive, a link, an encrypted entry, one past the size limit (checked on the header and
again while reading, so a lying header is caught), or past the count limit is refused
and listed in the manifest's ``refused``, never written. Nothing is written outside
``out``; names in it are made from the LMS's digits and chapter ids only.
"""

from __future__ import annotations

import json
import re
import stat
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

MAX_FILE = 50 * 1024 * 1024  # bytes per notebook
MAX_ENTRIES = 20_000
CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_late)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_file_?$")
CHAPTER_IN_NAME = re.compile(r"(\d\d[a-z]?_[a-z_]+?)(?:[-_ ]?\(?\d+\)?)?\.ipynb$")


def _refusal(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a link"
    if info.flag_bits & 0x1:
        return "encrypted"
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute or Windows path"
    if any(part in ("..", "") for part in PurePosixPath(name).parts) or "\0" in name:
        return "a path that leaves the folder"
    if info.file_size > MAX_FILE:
        return f"larger than {MAX_FILE // 2**20} MB"
    return None


def _owner(name: str, kind: str):
    """(format, student id, LMS name, file name, late mark) or None."""
    parts = PurePosixPath(name).parts
    if kind in ("auto", "moodle") and len(parts) >= 2:
        found = MOODLE.match(parts[0])
        if found:
            return "moodle", found["id"], found["name"], parts[-1], False
    if kind in ("auto", "canvas") and len(parts) == 1:
        found = CANVAS.match(parts[0])
        if found:
            return "canvas", found["id"], found["name"], found["file"], bool(found["late"])
    return None


def _target_name(file_name: str) -> str:
    from labkit.exercises import CHAPTERS

    found = CHAPTER_IN_NAME.search(file_name)
    if found and found[1] in CHAPTERS:
        return f"{found[1]}.ipynb"
    plain = re.sub(r"[^A-Za-z0-9_.-]", "_", file_name)[:100].lstrip(".")
    return plain if plain.endswith(".ipynb") else f"{plain}.ipynb"


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    with archive.open(info) as handle:
        data = handle.read(MAX_FILE + 1)
    return None if len(data) > MAX_FILE else data


def collect(zip_path: Path, out: Path, *, kind: str = "auto") -> dict:
    """Unpack the submissions; return the manifest (also written to out/manifest.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    students: dict[str, dict] = {}
    refused, skipped = [], []
    chosen: dict[tuple[str, str], tuple[datetime, bytes, str]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise ValueError(f"{zip_path}: {len(entries)} entries, more than {MAX_ENTRIES}; "
                             "is this an LMS download?")
        for info in entries:
            if info.is_dir():
                continue
            why = _refusal(info)
            owner = None if why else _owner(info.filename, kind)
            if why is None and owner is None:
                skipped.append(info.filename)
                continue
            if why is None and not owner[3].endswith(".ipynb"):
                skipped.append(info.filename)
                continue
            data = None if why else _read_bounded(archive, info)
            if why is None and data is None:
                why = f"larger than {MAX_FILE // 2**20} MB once unpacked"
            if why:
                refused.append({"entry": info.filename, "reason": why})
                continue
            fmt, sid, lms_name, file_name, late = owner
            when = datetime(*info.date_time, tzinfo=timezone.utc)
            entry = students.setdefault(sid, {"name": lms_name, "format": fmt,
                                              "submitted": None, "late_mark": False,
                                              "files": []})
            entry["late_mark"] = entry["late_mark"] or late
            entry["files"].append(info.filename)
            key = (sid, _target_name(file_name))
            if key not in chosen or when >= chosen[key][0]:
                chosen[key] = (when, data, info.filename)
    for (sid, target), (when, data, _entry) in sorted(chosen.items()):
        folder = out / sid
        folder.mkdir(exist_ok=True)
        (folder / target).write_bytes(data)
        stamp = students[sid]["submitted"]
        if stamp is None or when.isoformat() > stamp:
            students[sid]["submitted"] = when.isoformat()
    manifest = {"source": Path(zip_path).name, "students": students, "refused": refused,
                "skipped": skipped}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False),
                                       encoding="utf-8")
    return manifest

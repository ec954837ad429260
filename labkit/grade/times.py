"""When each student handed in: from the collection manifest, else the file's time.

``labkit collect`` writes ``manifest.json`` beside the folders it makes: for each
folder, the name the LMS gave the student and the submission time the LMS recorded
(the zip entry's time, which Canvas and Moodle set to the upload). That time is the
one a late penalty uses. Without a manifest entry the file's modification time is the
documented fallback, and the feedback says which of the two was used: a copy or an
unzip that does not keep times makes that fallback the time of the copy.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from labkit.i18n import N_

MANIFEST = "manifest.json"


def read_manifest(roots) -> dict[str, dict]:
    """``{folder: {"name": ..., "submitted": iso}}`` from every root's manifest."""
    found: dict[str, dict] = {}
    for root in roots:
        path = Path(root) / MANIFEST
        if not path.is_file():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        students = data.get("students") if isinstance(data, dict) else None
        if not isinstance(students, dict):
            raise ValueError(f"{path}: not a manifest written by `labkit collect`")
        for folder, entry in students.items():
            if isinstance(entry, dict):
                found[str(folder)] = entry
    return found


def submitted_at(folder: str, shown_path: str, roots, manifest) -> tuple[datetime | None,
                                                                         str]:
    """(time, "manifest" or "file time") for one submission; (None, "") if unknown."""
    entry = manifest.get(folder)
    if entry and entry.get("submitted"):
        from labkit.grade.assignment import parse_time

        return parse_time(entry["submitted"], f"{MANIFEST}: {folder}"), N_("manifest")
    for root in roots:
        path = Path(root) / shown_path
        if path.is_file() and not path.is_symlink():
            return (datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc),
                    N_("file time"))
    return None, ""

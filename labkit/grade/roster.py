"""The class list (``--roster roster.csv``) and who each submission belongs to.

The file is a CSV with a header: ``id,name,email`` and optionally ``section`` (any
other column is kept, unused). ``id`` is the key every export uses: give the id your
learning platform knows (Canvas's SIS User ID, Moodle's ID number).

A submission's folder belongs to the student whose ``id`` it is, exactly. Failing that,
the name the LMS gave the folder (``labkit collect`` writes it to the manifest) is
compared with the roster's names, ignoring case and spacing: one match is taken and
noted, none or two leave the folder unmatched, reported, and never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("id", "name", "email")


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str
    section: str = ""


def load(path: Path | None) -> dict[str, Student] | None:
    """``{id: Student}`` in file order, or None without a roster."""
    if path is None:
        return None
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ValueError(f"{path}: the roster needs the columns id, name, email (and "
                             f"optionally section); missing: {', '.join(missing)}")
        students: dict[str, Student] = {}
        for number, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            if not row["id"]:
                raise ValueError(f"{path}, line {number}: the id is empty; every student "
                                 "needs the id the learning platform knows them by")
            if row["id"] in students:
                raise ValueError(f"{path}, line {number}: id {row['id']!r} is there twice; "
                                 "one line per student")
            students[row["id"]] = Student(row["id"], row["name"], row["email"],
                                          row.get("section", ""))
    return students


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())


def match(folders, roster: dict[str, Student], names: dict[str, str]) -> tuple[
        dict[str, str], list[str], list[str]]:
    """(``{folder: roster id}``, folders matching nobody, notes) for submission folders;
    ``names`` is the manifest's ``{folder: name the LMS gave}``."""
    by_name: dict[str, list[str]] = {}
    for student in roster.values():
        by_name.setdefault(_plain(student.name), []).append(student.id)
    owners = {folder: folder for folder in folders if folder in roster}
    unmatched, notes = [], []
    for folder in sorted(set(folders) - set(owners)):
        found = by_name.get(_plain(names.get(folder, "")), [])
        if len(found) == 1 and found[0] not in owners.values():
            owners[folder] = found[0]
            notes.append(f"{folder!r} matched {found[0]!r} by the name {names[folder]!r}")
        else:
            unmatched.append(folder)
    return owners, unmatched, notes

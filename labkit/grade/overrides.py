"""The instructor's corrections: ``--overrides overrides.csv``.

A CSV with the header ``student,exercise,points,reason``: ``student`` is the roster id
(or the folder's name without a roster), ``exercise`` an exercise or written question
of the assignment, ``points`` a number (replacing what the grader gave) or ``excused``
(the exercise leaves both the score and the maximum). The reason is shown to the student
in the feedback, so write it for them. One line per student and exercise; the file is
read whole before anything is applied, and a bad line stops with its line number.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

EXCUSED = "excused"
COLUMNS = ("student", "exercise", "points", "reason")


@dataclass(frozen=True)
class Override:
    student: str
    exercise: str
    points: float | None  # None: excused
    reason: str


def load(path: Path | None) -> dict[tuple[str, str], Override]:
    if path is None:
        return {}
    found: dict[tuple[str, str], Override] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if [c for c in COLUMNS if c not in header]:
            raise ValueError(f"{path}: an overrides file has the columns "
                             f"{','.join(COLUMNS)}; found {','.join(header) or 'none'}")
        for number, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            key = (row["student"], row["exercise"])
            if not all(key):
                raise ValueError(f"{path}, line {number}: give both the student and the "
                                 "exercise")
            if key in found:
                raise ValueError(f"{path}, line {number}: a second line for {key[0]!r} and "
                                 f"{key[1]!r}; keep one")
            found[key] = Override(*key, _points(row["points"], path, number), row["reason"])
    return found


def _points(text: str, path, number: int) -> float | None:
    if text.lower() == EXCUSED:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{path}, line {number}: points {text!r}: give a number, 0 or "
                         f"more, or {EXCUSED}")
    return value


def check_known(overrides, students, exercises, where="--overrides") -> None:
    """Refuse an override for a student or exercise the assignment does not have (a
    typo would otherwise change nothing, silently)."""
    for student, exercise in overrides:
        if student not in students:
            raise ValueError(f"{where}: no student {student!r} in this grading; use the "
                             "roster id (or the folder name without a roster)")
        if exercise not in exercises:
            raise ValueError(f"{where}: {student!r}: no exercise {exercise!r} in this "
                             f"assignment; choose one of {', '.join(sorted(exercises))}")

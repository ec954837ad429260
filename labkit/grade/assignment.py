"""The instructor's assignment file: points, due date, late policy, written questions.

A TOML (or JSON with the same keys) file, given as ``--assignment FILE``::

    name = "Assignment 3: MLPs"        # the column's name in the LMS (default: chapter)
    chapter = "03_mlp"                 # the chapter it grades
    due = "2026-12-01T23:59:00+00:00"  # ISO 8601 with its offset (no offset: UTC)

    [late]
    grace_minutes = 15                 # this late is on time
    per_day = 10                       # percent of the earned points per day (or part)
    cap = 50                           # at most this percent in all

    [points]                           # exercise (public or hidden) -> points
    accuracy = 2
    relu_big = 3                       # an exercise not listed keeps its check's points;
    mnist_mlp = 0                      # 0 leaves it out of the assignment

    [written.why_relu]                 # a written answer (labkit.grade.written)
    points = 4
    rubric = [["names the dead units", 2], ["gives the gradient", 2]]

Everything is optional; no file means the checks' own points, no deadline, no written
answers. A mistake names the key, the value and what is allowed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class LatePolicy:
    grace_minutes: float = 0
    per_day: float = 0  # percent of the earned points, per started day past grace
    cap: float = 100  # percent

    def penalty(self, late_seconds: float) -> tuple[int, float]:
        """(days counted late, fraction of the points taken) for a delay in seconds."""
        late = late_seconds - self.grace_minutes * 60
        if late <= 0:
            return 0, 0.0
        days = math.ceil(late / 86_400)
        return days, min(days * self.per_day, self.cap) / 100


@dataclass(frozen=True)
class Written:
    question: str
    points: float
    rubric: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Assignment:
    name: str = ""
    chapter: str | None = None
    due: datetime | None = None
    late: LatePolicy = LatePolicy()
    points: dict = field(default_factory=dict)  # exercise -> points
    written: tuple[Written, ...] = ()

    def title(self, chapter: str) -> str:
        return self.name or chapter

    def scale(self, exercise: str, points: float, max_points: float) -> tuple[float, float]:
        """The exercise's (points, maximum) in this assignment: partial credit keeps its
        share of the maximum the instructor set."""
        if exercise not in self.points:
            return points, max_points
        top = float(self.points[exercise])
        return (round(points / max_points * top, 4) if max_points else 0.0), top


def load(path: Path | None) -> Assignment:
    if path is None:
        return Assignment()
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        raw = json.loads(text)
    else:
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib
        raw = tomllib.loads(text)
    return parse(raw, where=str(path))


def parse(raw: dict, *, where: str = "the assignment file") -> Assignment:
    known = {"name", "chapter", "due", "late", "points", "written"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; the keys are "
                         f"{', '.join(sorted(known))}")
    late = raw.get("late", {})
    policy = LatePolicy(**{k: _number(late, k, where, "late") for k in late
                           if _known_late(k, where)})
    points = {str(k): _number(raw.get("points", {}), k, where, "points")
              for k in raw.get("points", {})}
    written = tuple(
        Written(str(q), _number(spec, "points", where, f"written.{q}"),
                tuple((str(t), float(p)) for t, p in spec.get("rubric", [])))
        for q, spec in raw.get("written", {}).items())
    for item in written:
        if item.rubric and abs(sum(p for _t, p in item.rubric) - item.points) > 1e-9:
            raise ValueError(f"{where}: written.{item.question}: the rubric's points add up "
                             f"to {sum(p for _t, p in item.rubric):g}, not {item.points:g}")
    return Assignment(name=str(raw.get("name", "")), chapter=raw.get("chapter"),
                      due=parse_time(raw["due"], f"{where}: due") if "due" in raw else None,
                      late=policy, points=points, written=written)


def _known_late(key: str, where: str) -> bool:
    if key not in ("grace_minutes", "per_day", "cap"):
        raise ValueError(f"{where}: late.{key} is not a setting; use grace_minutes, "
                         "per_day (percent per day) and cap (percent)")
    return True


def _number(table: dict, key: str, where: str, section: str) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
            or not math.isfinite(value):
        raise ValueError(f"{where}: {section}.{key} = {value!r}: give a number, 0 or more")
    return float(value)


def parse_time(value, where: str) -> datetime:
    """An ISO 8601 time (a TOML datetime too); one without an offset is UTC."""
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a time; write it as "
                             "2026-12-01T23:59:00+00:00") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)

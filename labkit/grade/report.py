"""What a grading leaves behind: CSV files, a picture per chapter, and a summary.

- ``gradebook.csv``: one row per student and chapter, a column per exercise, the total,
  the status, the reason and the flags. A status that is not a score is written as
  such, never as a silent 0; ``invalid`` and ``ambiguous`` have no total at all.
- ``lms.csv``: one row per student, a column per chapter, for a learning platform.
- ``<chapter>.png``: pass rate per exercise and the distribution of totals.
- ``feedback/``: see ``labkit.grade.feedback``.

Every CSV cell goes through ``escape.csv_cell`` (a student's folder named ``=cmd|...``
stays text in a spreadsheet); every file name made from student input through
``escape.file_names``.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from labkit.grade.escape import csv_cell, safe_name
from labkit.grade.statuses import NOT_GRADED, SCORED
from labkit.grade.text import Text, load


def _fmt(points: float) -> str:
    return f"{points:g}"


def by_submission(book) -> dict[tuple[str, str], dict]:
    subs = {(s["student"], s["chapter"]): {**s, "rows": []} for s in book.submissions()}
    for row in book.results():
        key = (row["student"], row["chapter"])
        if key in subs:
            subs[key]["rows"].append(row)
    return subs


def reason_of(sub: dict) -> Text | None:
    texts = load(sub["reason"]) if sub["reason"] else []
    return texts[0] if texts else None


def flags_of(sub: dict) -> list[Text]:
    return [n for n in load(sub["notes"]) if n.template.startswith("flagged")]


def _writer(handle):
    writer = csv.writer(handle)
    return lambda row: writer.writerow([csv_cell(cell) for cell in row])


def write_csv(book, path: Path) -> Path:
    subs = by_submission(book)
    exercises: dict[str, list[str]] = defaultdict(list)
    for (_, chapter), sub in subs.items():
        for row in sub["rows"]:
            if row["exercise"] not in exercises[chapter]:
                exercises[chapter].append(row["exercise"])
    columns = [name for chapter in sorted(exercises) for name in exercises[chapter]]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write = _writer(handle)
        write(["student", "chapter", *columns, "total", "max", "status", "reason", "flags"])
        for (student, chapter), sub in sorted(subs.items()):
            cells = {r["exercise"]: (_fmt(r["points"]) if r["status"] in SCORED
                                     else r["status"]) for r in sub["rows"]}
            counted = sub["status"] not in NOT_GRADED
            total = sum(r["points"] for r in sub["rows"])
            top = sum(r["max_points"] for r in sub["rows"])
            reason = reason_of(sub)
            write([student, chapter, *(cells.get(c, "") for c in columns),
                   _fmt(total) if counted else "", _fmt(top) if counted else "",
                   sub["status"], reason.english() if reason else "",
                   "; ".join(f.english() for f in flags_of(sub))])
    return path


def write_lms(book, path: Path) -> Path:
    subs = by_submission(book)
    students = sorted({s for s, _ in subs})
    chapters = sorted({c for _, c in subs})
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write = _writer(handle)
        write(["student", *chapters, "notes"])
        for student in students:
            values, notes = [], []
            for chapter in chapters:
                sub = subs.get((student, chapter))
                if sub is None or sub["status"] in NOT_GRADED:
                    values.append("")
                else:
                    values.append(_fmt(sum(r["points"] for r in sub["rows"])))
                if sub is not None and sub["status"] != "graded":
                    notes.append(f"{chapter}: {sub['status']}")
            write([student, *values, "; ".join(notes)])
    return path


def write_pictures(book, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    paths = []
    by_chapter: dict[str, list[dict]] = defaultdict(list)
    for sub in by_submission(book).values():
        by_chapter[sub["chapter"]].append(sub)
    for chapter, subs in sorted(by_chapter.items()):
        graded = [s for s in subs if s["status"] not in NOT_GRADED]
        if not graded:
            continue
        fig = Figure(figsize=(10, 4), layout="constrained")
        left, right = fig.subplots(1, 2)
        passed, seen, order = Counter(), Counter(), []
        totals = [sum(r["points"] for r in s["rows"]) for s in graded]
        for sub in graded:
            for row in sub["rows"]:
                if row["exercise"] not in order:
                    order.append(row["exercise"])
                seen[row["exercise"]] += 1
                passed[row["exercise"]] += row["status"] == "passed"
        rates = [passed[e] / seen[e] for e in order]
        left.barh(order[::-1], rates[::-1], color="#2e7d32")
        left.set_xlim(0, 1)
        left.set_xlabel("share of submissions that passed")
        left.set_title(f"{chapter}: pass rate per exercise")
        right.hist(totals, bins=min(20, max(len(set(totals)), 1)), color="#1565c0")
        right.set_xlabel("points")
        right.set_ylabel("submissions")
        right.set_title(f"totals ({len(totals)} graded, {len(subs) - len(graded)} not)")
        path = folder / f"{safe_name(chapter)}.png"
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths


def summary_text(book, seconds: float, graded_now: int, skipped: int,
                 similar: list[list[str]] = ()) -> str:
    subs = list(by_submission(book).values())
    statuses = Counter(s["status"] for s in subs)
    lines = [f"Graded {graded_now} submission(s) in {seconds:.1f} s"
             + (f" ({graded_now / seconds * 60:.1f} per minute)" if seconds and graded_now
                else "") + (f"; {skipped} unchanged skipped" if skipped else "") + "."]
    lines.append("Status: " + ", ".join(f"{n} {k}" for k, n in sorted(statuses.items())))
    for chapter in sorted({s["chapter"] for s in subs}):
        mine = [s for s in subs if s["chapter"] == chapter and s["status"] not in NOT_GRADED]
        if not mine:
            continue
        totals = [sum(r["points"] for r in s["rows"]) for s in mine]
        top = max(sum(r["max_points"] for r in s["rows"]) for s in mine)
        lines.append(f"{chapter}: mean {sum(totals) / len(totals):.2f} of {top:g} points "
                     f"over {len(mine)} submission(s)")
    bugs = sum(r["status"] == "checker_bug" for s in subs for r in s["rows"])
    if bugs:
        lines.append(f"Checker bugs: {bugs} (see gradebook.csv): the checks, not the "
                     "students, need attention.")
    if statuses.get("grader_error"):
        lines.append(f"Grader errors: {statuses['grader_error']} (tracebacks in "
                     "grading.log); they are graded again on the next run.")
    for group in similar:
        lines.append("Kept apart, names alike: " + ", ".join(repr(n) for n in group))
    for sub in subs:
        if sub["status"] in NOT_GRADED:
            reason = reason_of(sub)
            lines.append(f"{sub['status']}: {sub['student']!r} {sub['chapter']}: "
                         f"{reason.english() if reason else ''}")
    return "\n".join(lines[:40])

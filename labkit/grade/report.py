"""What a grading leaves behind: CSV files, feedback for each student, a picture per chapter.

- ``gradebook.csv``: one row per student and chapter, a column per exercise, the total
  and the status. A status that is not a score (invalid, timeout, memory, crashed) is
  written as such, never as a silent 0.
- ``lms.csv``: one row per student, a column per chapter, for a learning platform.
- ``feedback/<student>/<chapter>.md``: each exercise's points and the check's words.
- ``<chapter>.png``: pass rate per exercise and the distribution of totals.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

SCORED = {"passed", "incorrect", "not_attempted", "error"}


def _fmt(points: float) -> str:
    return f"{points:g}"


def by_submission(book) -> dict[tuple[str, str], dict]:
    subs = {(s["student"], s["chapter"]): {**s, "rows": []} for s in book.submissions()}
    for row in book.results():
        key = (row["student"], row["chapter"])
        if key in subs:
            subs[key]["rows"].append(row)
    return subs


def write_csv(book, path: Path) -> Path:
    subs = by_submission(book)
    exercises: dict[str, list[str]] = defaultdict(list)
    for (_, chapter), sub in subs.items():
        for row in sub["rows"]:
            if row["exercise"] not in exercises[chapter]:
                exercises[chapter].append(row["exercise"])
    columns = [name for chapter in sorted(exercises) for name in exercises[chapter]]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "chapter", *columns, "total", "max", "status", "reason"])
        for (student, chapter), sub in sorted(subs.items()):
            cells = {r["exercise"]: (_fmt(r["points"]) if r["status"] in SCORED
                                     else r["status"]) for r in sub["rows"]}
            total = sum(r["points"] for r in sub["rows"])
            top = sum(r["max_points"] for r in sub["rows"])
            status = sub["status"]
            writer.writerow([student, chapter, *(cells.get(c, "") for c in columns),
                             "" if status == "invalid" else _fmt(total),
                             "" if status == "invalid" else _fmt(top), status,
                             sub["reason"] or ""])
    return path


def write_lms(book, path: Path) -> Path:
    subs = by_submission(book)
    students = sorted({s for s, _ in subs})
    chapters = sorted({c for _, c in subs})
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *chapters, "notes"])
        for student in students:
            values, notes = [], []
            for chapter in chapters:
                sub = subs.get((student, chapter))
                if sub is None:
                    values.append("")
                    continue
                if sub["status"] == "invalid":
                    values.append("")
                else:
                    values.append(_fmt(sum(r["points"] for r in sub["rows"])))
                if sub["status"] != "graded":
                    notes.append(f"{chapter}: {sub['status']}")
            writer.writerow([student, *values, "; ".join(notes)])
    return path


def write_feedback(book, folder: Path, *, show_hidden: bool = False) -> int:
    count = 0
    for (student, chapter), sub in by_submission(book).items():
        target = folder / student / f"{chapter}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(feedback_text(sub, show_hidden=show_hidden))
        count += 1
    return count


def feedback_text(sub: dict, *, show_hidden: bool = False) -> str:
    rows = sub["rows"]
    total = sum(r["points"] for r in rows)
    top = sum(r["max_points"] for r in rows)
    lines = [f"# {sub['chapter']}: feedback for {sub['student']}", ""]
    if sub["status"] == "invalid":
        lines += ["**Not graded:** the file could not be read.", "", f"Reason: {sub['reason']}",
                  ""]
        return "\n".join(lines)
    lines += [f"**Score: {_fmt(total)} of {_fmt(top)} points.**", ""]
    if sub["status"] != "graded":
        lines += [f"**Grading stopped early ({sub['status']}):** {sub['reason']}. The points "
                  "of the exercises judged before that are kept.", ""]
    for row in rows:
        lines += [f"## `{row['exercise']}`: {row['status'].replace('_', ' ')} "
                  f"({_fmt(row['points'])}/{_fmt(row['max_points'])})", "",
                  "```text", (row["message"] if show_hidden else row["public"]).strip(), "```",
                  ""]
    notes = json.loads(sub["notes"] or "[]")
    cells = json.loads(sub["cells"] or "[]")
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    if cells:
        ran = ", ".join(str(c["cell"] + 1) for c in cells)
        lines += ["## Cells that ran", "",
                  f"Only the cells the exercises need were run (code cells {ran}, counting "
                  "from 1).", ""]
        errors = [c for c in cells if c["error"]]
        lines += [f"- code cell {c['cell'] + 1} raised `{c['error']}`" for c in errors]
    return "\n".join(lines).rstrip() + "\n"


def write_pictures(book, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    paths = []
    by_chapter: dict[str, list[dict]] = defaultdict(list)
    for sub in by_submission(book).values():
        by_chapter[sub["chapter"]].append(sub)
    for chapter, subs in sorted(by_chapter.items()):
        fig = Figure(figsize=(10, 4), layout="constrained")
        left, right = fig.subplots(1, 2)
        passed, seen, order = Counter(), Counter(), []
        totals = []
        for sub in subs:
            if sub["status"] == "invalid":
                continue
            totals.append(sum(r["points"] for r in sub["rows"]))
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
        invalid = sum(s["status"] == "invalid" for s in subs)
        right.set_title(f"totals ({len(totals)} graded, {invalid} invalid)")
        path = folder / f"{chapter}.png"
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths


def summary_text(book, seconds: float, graded_now: int, skipped: int) -> str:
    subs = list(by_submission(book).values())
    statuses = Counter(s["status"] for s in subs)
    lines = [f"Graded {graded_now} submission(s) in {seconds:.1f} s"
             + (f" ({graded_now / seconds * 60:.1f} per minute)" if seconds and graded_now
                else "") + (f"; {skipped} unchanged skipped" if skipped else "") + "."]
    lines.append("Status: " + ", ".join(f"{n} {k}" for k, n in sorted(statuses.items())))
    chapters = sorted({s["chapter"] for s in subs})
    for chapter in chapters:
        mine = [s for s in subs if s["chapter"] == chapter and s["status"] != "invalid"]
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
    for sub in subs:
        if sub["status"] == "invalid":
            lines.append(f"invalid: {sub['student']} {sub['chapter']}: {sub['reason']}")
    return "\n".join(lines[:40])

"""Golden submissions: each failure mode ends as its own status, with the points it earned.

The cases live in ``golden.py``; this module grades them all once (two batches: one
with a short time limit for the infinite loop) and checks every case's status, points
and, where it matters, each exercise's status.
"""

import sqlite3
from pathlib import Path

import grade_fixtures as golden
import pytest

from labkit.exercises import ch01_tensors
from labkit.grade import cgroup
from labkit.grade.batch import grade

# One worker runs this module: its shared fixture (a batch, an environment) is built once.
pytestmark = pytest.mark.xdist_group("golden")

SHORT = {"infinite_loop"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("golden")
    golden.write_all(folder / "submissions")
    quick = folder / "quick"
    golden.write_all(quick, cases=SHORT)
    for case in SHORT:
        (folder / "submissions" / case / "01_tensors.ipynb").unlink()
    out = folder / "out"
    grade([folder / "submissions"], out, jobs=2, timeout=90, salt="golden", progress=False,
          echo=lambda text: None)
    grade([quick], out, jobs=1, timeout=8, salt="golden", progress=False,
          echo=lambda text: None)
    db = sqlite3.connect(out / "gradebook.sqlite")
    subs = {row[0]: row[1:] for row in db.execute(
        "SELECT student, status, reason FROM submissions")}
    rows = {}
    for student, exercise, status, points in db.execute(
            "SELECT student, exercise, status, points FROM results"):
        rows.setdefault(student, {})[exercise] = (status, points)
    return out, subs, rows


@pytest.mark.parametrize("case", sorted(golden.EXPECTED))
def test_golden_case(graded, case):
    """Does each golden submission get its expected status and points?"""
    _, subs, rows = graded
    status, points = golden.EXPECTED[case]
    assert subs[case][0] == status, (case, subs[case], rows.get(case))
    if points is None:
        assert case not in rows  # invalid: no scores at all, not a row of zeros
    else:
        assert sum(p for _, p in rows[case].values()) == points, rows[case]
        assert set(golden.ORDER) <= set(rows[case]), rows[case]
    for exercise, wanted in golden.STATUSES.get(case, {}).items():
        assert rows[case][exercise][0] == wanted, (case, exercise, rows[case])


def test_invalid_is_not_a_zero_in_the_csv(graded):
    out, _, _ = graded
    lines = (out / "gradebook.csv").read_text().splitlines()
    empty = next(line for line in lines if line.startswith("empty_file,"))
    assert ",invalid," in empty and ",0," not in empty
    assert "the file is empty" in empty


def test_nothing_was_planted_next_to_the_gradebook(graded):
    out, _, _ = graded
    assert not (out / "planted.txt").exists()
    assert sqlite3.connect(out / "gradebook.sqlite").execute(
        "SELECT count(*) FROM results").fetchone()[0] > 100


@pytest.mark.skipif(cgroup.group_path("probe") is None,
                    reason="no writable pids cgroup: a process that leaves its session and "
                           "environment can only be stopped by --sandbox here")
def test_no_process_outlives_grading(graded):
    left = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"sleep\x00613" in (entry / "cmdline").read_bytes():
                left.append(entry.name)
        except OSError:
            continue
    assert not left


def test_feedback_says_what_the_notebook_says(graded):
    out, _, _ = graded
    text = (out / "feedback" / "wrong" / "01_tensors.md").read_text()
    total = len(ch01_tensors.EXERCISES)
    assert f"Score: 0 of {total} points" in text
    assert "`pick_scores`: incorrect" in text
    assert "Checked:" in text and "Expected:" not in text  # hidden values stay hidden
    crashed = (out / "feedback" / "os_exit_after_points" / "01_tensors.md").read_text()
    assert "exercises judged before that are kept" in crashed


def test_feedback_names_the_cells_that_ran(graded):
    out, _, _ = graded
    text = (out / "feedback" / "correct" / "01_tensors.md").read_text()
    assert "Only the cells the exercises need were run" in text


def test_pictures_are_drawn(graded):
    out, _, _ = graded
    png = out / "01_tensors.png"
    assert png.exists() and png.read_bytes()[:4] == b"\x89PNG"

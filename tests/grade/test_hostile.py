"""Hostile submissions (issue 18), graded together in one batch beside honest ones.

Each test names the class it proves: (1) a batch always finishes, (2) no submission
harms another, (3) one student one row and stable results, (5) outputs safe to open,
(6) honest statuses on the grader's side. Confidentiality (4), leftovers (7) and the
pipeline (8) have files of their own.
"""

import csv
import json
import multiprocessing.forkserver
import os
import re
import sqlite3

import grade_fixtures as golden
import pytest

from labkit.grade.batch import grade
from labkit.grade.process import warm_up

# One worker runs this module: its shared fixture (a batch, an environment) is built once.
pytestmark = pytest.mark.xdist_group("hostile")


def _forkserver_pid_alive():
    pid = multiprocessing.forkserver._forkserver._forkserver_pid
    return pid if pid and os.waitpid(pid, os.WNOHANG) == (0, 0) else None


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    golden.write_hostile(folder / "subs")
    golden.write_all(folder / "subs", cases=["correct"])
    out = folder / "out"
    said = []
    warm_up()
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    grade([folder / "subs"], out, jobs=2, timeout=60, salt="hostile", progress=False,
          echo=said.append)
    # No child reached the fork server: the same one served the whole batch.
    said.append(f"fork server kept: {server == _forkserver_pid_alive()}")
    db = sqlite3.connect(out / "gradebook.sqlite")
    subs = {(s, c): (status, reason, path, notes, cells) for s, c, status, reason, path,
            notes, cells in db.execute("SELECT student, chapter, status, reason, path, "
                                       "notes, cells FROM submissions")}
    rows = {}
    for student, chapter, exercise, status, points, message in db.execute(
            "SELECT student, chapter, exercise, status, points, message FROM results"):
        rows.setdefault((student, chapter), {})[exercise] = (status, points, message)
    return folder, out, subs, rows, "\n".join(said)


@pytest.mark.parametrize("case", sorted(golden.HOSTILE_EXPECTED))
def test_each_hostile_case_gets_its_status_and_points(batch, case):
    """Classes 1-3: every file ends as its own status, with the points it earned."""
    _, _, subs, rows, said = batch
    status, points = golden.HOSTILE_EXPECTED[case]
    assert subs[(case, "01_tensors")][0] == status, (subs[(case, "01_tensors")], said)
    got = rows.get((case, "01_tensors"), {})
    if points is None:
        assert not got  # not graded: no scores at all, not a row of zeros
    else:
        assert sum(p for _, p, _ in got.values()) == points, got


def test_1_the_batch_finished_and_every_file_has_its_row(batch):
    """Class 1: the malformed, blocking and channel-writing submissions ended as
    themselves, and the honest submission graded after them got full marks."""
    folder, out, subs, rows, said = batch
    assert "fork server kept: True" in said
    assert (out / "gradebook.csv").exists() and (out / "feedback").is_dir()
    assert subs[("correct", "01_tensors")][0] == "graded"
    assert sum(p for _, p, _ in rows[("correct", "01_tensors")].values()) == 7
    forged = json.loads(subs[("forged_reply_bomb", "01_tensors")][1])
    assert "not a valid reply" in forged["t"]
    assert "does not start like" in forged["f"]["why"]  # the plain reason, for the instructor
    assert "nested too deeply" in subs[("nested_100000_deep", "01_tensors")][1]
    assert "not a regular file" in subs[("fifo", "01_tensors")][1]
    assert "`tags` are not a list" in json.dumps(subs[("tags_are_a_number", "01_tensors")][1])


def test_2_leftovers_of_one_child_are_not_seen_by_the_next(batch):
    """Class 2: /dev/shm and /tmp are the child's own; the reader saw nothing."""
    _, _, _, rows, _ = batch
    assert rows[("leftovers_b_reader", "01_tensors")]["rows_of_class"][0] == "passed"


def test_2_an_honest_submission_beside_a_reply_bomb_gets_its_marks(batch):
    _, _, subs, rows, _ = batch
    assert subs[("forged_reply_bomb", "01_tensors")][0] == "crashed"
    for student in ("correct", "alice", "Bob Jones"):
        got = rows[(student, "01_tensors")]
        assert all(got[name][0] == "passed" for name in golden.ORDER), got


def test_3_one_student_one_row(batch):
    """Class 3: a link is refused and never removes its target's row; names are kept
    exactly; two files of one chapter are ambiguous, naming both."""
    _, _, subs, _, said = batch
    assert subs[("alice", "01_tensors")][0] == "graded"
    assert "link" in subs[("mallory", "01_tensors")][1]
    assert ("Bob Jones", "01_tensors") in subs and ("Bob_Jones", "01_tensors") in subs
    assert "Kept apart, names alike: 'Bob Jones', 'Bob_Jones'" in said
    status, reason, path, _, _ = subs[("twice", "01_tensors")]
    assert status == "ambiguous"
    assert "01_tensors (1).ipynb" in reason and "twice/01_tensors.ipynb" in reason


def test_3_a_notebook_of_another_chapter_is_graded_as_asked_and_flagged(batch):
    _, out, subs, rows, _ = batch
    status, _, _, notes, _ = subs[("setup_as_tensors", "01_tensors")]
    assert status == "graded" and ("setup_as_tensors", "00_setup") not in subs
    assert sum(p for _, p, _ in rows[("setup_as_tensors", "01_tensors")].values()) == 0
    assert "flagged" in notes and "00_setup" in notes
    line = next(r for r in csv.reader(open(out / "gradebook.csv"))
                if r[0] == "setup_as_tensors")
    assert "00_setup" in line[-1]  # the flags column


def test_3_a_moved_check_cell_gives_what_run_all_gives(batch):
    _, _, _, rows, _ = batch
    assert rows[("check_cell_moved_above_answer", "01_tensors")]["rows_of_class"][0] == "passed"


def test_5_csv_cells_that_would_be_formulas_are_text(batch):
    """Class 5: a folder named like a formula is quoted in both CSV files."""
    _, out, _, _, _ = batch
    for name in ("gradebook.csv", "lms.csv"):
        cells = [cell for row in csv.reader(open(out / name)) for cell in row]
        assert "'=HYPERLINK(\"evil.example\")" in cells
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_5_feedback_holds_no_student_html_and_safe_file_names(batch):
    _, out, _, _, _ = batch
    folders = [p.name for p in (out / "feedback").iterdir()]
    assert not any(set(name) & set('<>:"|?*') for name in folders)
    assert len(folders) == len({f.casefold() for f in folders})
    text = "\n".join(p.read_text() for p in (out / "feedback").rglob("*.md"))
    # Inside a fence text is shown as it is; outside, no tag may reach the renderer.
    outside = re.sub(r"^(`{3,})text\n.*?\n\1$", "", text, flags=re.S | re.M)
    assert "<" not in outside, outside[outside.index("<") - 200:][:300]
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in outside  # the student's name
    html = next((out / "feedback").glob("html_in_an_error/*.md")).read_text()
    assert "`````text" in html  # a fence longer than the four backticks inside
    assert "<script>alert(1)</script>" in html  # ...holding the message as it was


def test_6_statuses_on_the_graders_side_are_honest(batch):
    """Class 6: words in a learner's error never make a status; a value the channel
    refuses is the learner's incorrect answer with what to return instead."""
    _, _, subs, rows, _ = batch
    assert subs[("says_out_of_memory", "01_tensors")][0] == "graded"
    status, _, message = rows[("sparse_answer", "04b_optimizers")]["pick_lr"]
    assert status == "incorrect" and "`.to_dense()`" in message


def test_6_a_refused_result_of_a_call_is_incorrect_not_a_checker_bug(batch):
    _, _, _, rows, _ = batch
    status, _, message = rows[("sparse_result", "01_tensors")]["one_hot"]
    assert status == "incorrect" and "dense" in message, message

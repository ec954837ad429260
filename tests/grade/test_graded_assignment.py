"""One graded assignment from release to LMS upload, as an instructor runs it.

Graded release (a scratch course: chapter 01 plus a written question) -> a class made
from the handout: right, partial, late, missing, one who copies the solutions the old
way, a folder matching nobody -> a Canvas bulk zip with hostile entries -> collect ->
grade with hidden checks, a roster and an assignment file -> written scores imported ->
overrides -> every export read back against its documented columns. One grading run
for the whole module; each test reads its results.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import grade_fixtures as golden
import pytest

from labkit.cli import main

# One worker runs this module: its graded batch is built once.
pytestmark = pytest.mark.xdist_group("graded_assignment")

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "why_vectorise"
COPIER = '''\
import ast, pathlib
from labkit.exercises import exercises_of
import labkit.exercises.ch01_tensors as chapter_module
found = [e.solution for e in exercises_of("01_tensors") if isinstance(e.solution, str)]
for path in pathlib.Path(chapter_module.__file__).parent.glob("*.py"):
    try:
        tree = ast.parse(path.read_text())
    except Exception:
        continue
    found += [n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
              and any(getattr(t, "id", "") == "solution" for t in n.targets)
              and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)]
for text in found:
    try:
        exec(text)
    except Exception:
        pass
'''
HIDDEN = '''
import torch
from labkit.check import Exercise, expect

CHAPTER = "01_tensors"


class OneHotBig(Exercise):
    name, title, points = "one_hot_big", "one_hot on many classes", 2

    def check(self, one_hot):
        labels = self.randint(0, 50, 30)
        found = self.call(one_hot, labels, 50, during="`one_hot(labels, 50)`")
        expect.close(found, torch.nn.functional.one_hot(labels, 50).float(), name="one_hot")


EXERCISES = [OneHotBig]
'''
ASSIGNMENT = f'''
name = "Assignment 1: tensors"
chapter = "01_tensors"
due = "2026-11-30T23:59:00+00:00"

[late]
grace_minutes = 15
per_day = 10
cap = 50

[points]
one_hot = 2
bilinear = 0  # left out of this assignment

[written.{QUESTION}]
points = 3
rubric = [["names the loop overhead", 2], ["mentions one kernel call", 1]]
'''
ROSTER = [("1001", "Alice Smith", "alice@example.edu", "A"),
          ("1002", "Bob <b>Jones</b>", "bob@example.edu", "A"),
          ("1003", "Carol Jonas", "carol@example.edu", "B"),
          ("1004", "Dave Missing", "dave@example.edu", "B"),
          ("1005", "Eve Copier", "eve@example.edu", "B")]
ON_TIME, LATE = (2026, 11, 30, 20, 0, 0), (2026, 12, 2, 10, 0, 0)


def _course(folder: Path) -> Path:
    (folder / "notebooks" / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, folder / name)
    source = (ROOT / "notebooks" / "src" / "01_tensors.py").read_text()
    marked = (f'# %% [markdown] tags=["answer:{QUESTION}"]\n'
              "# *Why is the vectorised form faster? Write your answer here.*\n\n"
              "# %%\nq.summary()")
    assert "# %%\nq.summary()" in source
    (folder / "notebooks" / "src" / "01_tensors.py").write_text(
        source.replace("# %%\nq.summary()", marked))
    return folder


def _student(handout: dict, answers: dict, written: str | None) -> bytes:
    nb = golden._answer(copy.deepcopy(handout), answers)
    for cell in nb["cells"]:
        if f"answer:{QUESTION}" in cell.get("metadata", {}).get("tags", []) and written:
            cell["source"] = written
    return json.dumps(nb).encode()


def _entry(archive, name, data, when, *, link=False):
    info = zipfile.ZipInfo(name, date_time=when)
    info.external_attr = ((stat.S_IFLNK | 0o777) if link else (stat.S_IFREG | 0o644)) << 16
    archive.writestr(info, data)


def _run(argv) -> tuple[int, str]:
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(argv)
    return code, said.getvalue()


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    base = tmp_path_factory.mktemp("assignment")
    course = _course(base / "course")
    handout = base / "handout"
    assert _run(["release", "--graded", "--course", str(course), "--out", str(handout),
                 "-q"])[0] == 0
    nb = json.loads((handout / "01_tensors.ipynb").read_text())
    right, first3 = golden.RIGHT, {k: golden.RIGHT[k] for k in golden.ORDER[:3]}
    copier = {name: COPIER for name in golden.ORDER}
    with zipfile.ZipFile(base / "submissions.zip", "w") as archive:
        _entry(archive, "smithalice_1001_5001_01_tensors.ipynb",
               _student(nb, right, "A Python loop runs one step per element."), ON_TIME)
        _entry(archive, "jonesbob_1002_5002_01_tensors.ipynb",
               _student(nb, first3, "<script>alert('bob')</script> =1+1"), ON_TIME)
        _entry(archive, "jonascarol_late_1003_5003_01_tensors-1.ipynb",
               _student(nb, right, "One kernel call instead of many."), LATE)
        _entry(archive, "copiereve_1005_5005_01_tensors.ipynb", _student(nb, copier, None),
               ON_TIME)
        _entry(archive, "strangerx_1999_5999_01_tensors.ipynb", _student(nb, {}, None),
               ON_TIME)
        _entry(archive, "evil_1006_5006_../../outside.ipynb", b"{}", ON_TIME)
        _entry(archive, "linky_1007_5007_01_tensors.ipynb", "/etc/passwd", ON_TIME,
               link=True)
    (base / "roster.csv").write_text("id,name,email,section\n" + "".join(
        f'{i},"{n}",{e},{s}\n' for i, n, e, s in ROSTER))
    (base / "assignment.toml").write_text(ASSIGNMENT)
    (base / "hidden").mkdir()
    (base / "hidden" / "ch01_hidden.py").write_text(HIDDEN)
    subs, grades = base / "subs", base / "grades"
    code, collected = _run(["collect", str(base / "submissions.zip"), "--out", str(subs)])
    assert code == 0, collected
    salt = os.environ.get("LABKIT_GRADE_SALT")
    os.environ["LABKIT_GRADE_SALT"] = "end-to-end"
    try:
        code, graded = _run(["grade", str(subs), "--out", str(grades), "--course",
                             str(course), "--extra-checks", str(base / "hidden"),
                             "--roster", str(base / "roster.csv"), "--assignment",
                             str(base / "assignment.toml"), "--jobs", "2", "-q"])
    finally:
        os.environ.pop("LABKIT_GRADE_SALT") if salt is None else os.environ.update(
            LABKIT_GRADE_SALT=salt)
    assert code == 0, graded
    answers = grades / "assignment" / "written" / "answers.csv"
    before = answers.read_text()
    rows = list(csv.DictReader(io.StringIO(before)))
    marks = {"1001": ("3", "clear"), "1002": ("1", "say why"), "1003": ("2", "")}
    for row in rows:
        row["points"], row["comment"] = marks.get(row["student"], ("", ""))
    with open(base / "scored.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, imported = _run(["gradebook", "import", str(grades), str(base / "scored.csv")])
    assert code == 0, imported
    (base / "overrides.csv").write_text(
        "student,exercise,points,reason\n"
        "1002,batch_scores,1,Your answer was right; the cell order hid it.\n"
        "1005,fix_mse,excused,Excused: ill that week.\n")
    code, exported = _run(["gradebook", "export", str(grades), "--overrides",
                           str(base / "overrides.csv")])
    assert code == 0, exported
    return {"base": base, "subs": subs, "grades": grades / "assignment", "collected": collected,
            "graded": graded, "answers_before": before}


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _by_id(flow) -> dict[str, dict]:
    return {r["id"]: r for r in csv.DictReader(io.StringIO(
        (flow["grades"] / "grades.csv").read_text()))}


def test_the_copier_would_have_copied_from_a_practice_package():
    """Control: with the solutions present (the instructor's side), the copier works."""
    namespace: dict = {}
    exec(COPIER, namespace)  # noqa: S102 - the test's own text
    assert callable(namespace.get("one_hot"))


def test_collect_refuses_hostile_entries_and_keeps_the_rest(flow):
    manifest = json.loads((flow["subs"] / "manifest.json").read_text())
    assert sorted(manifest["students"]) == ["1001", "1002", "1003", "1005", "1999"]
    refused = {r["entry"]: r["reason"] for r in manifest["refused"]}
    assert "leaves the folder" in refused["evil_1006_5006_../../outside.ipynb"]
    assert refused["linky_1007_5007_01_tensors.ipynb"] == "a link"
    assert not (flow["base"] / "outside.ipynb").exists()
    assert (flow["subs"] / "1003" / "01_tensors.ipynb").is_file()  # "-1" dropped
    assert manifest["students"]["1003"]["late_mark"] is True
    assert manifest["students"]["1003"]["submitted"] == "2026-12-02T10:00:00+00:00"


def test_grades_right_partial_late_missing_copier_and_excused(flow):
    rows = _by_id(flow)
    assert sorted(rows) == ["1001", "1002", "1003", "1004", "1005"]  # roster order, ids
    alice, bob, carol, dave, eve = (rows[i] for i in ("1001", "1002", "1003", "1004",
                                                      "1005"))
    assert (alice["status"], alice["total"], alice["max"]) == ("graded", "13", "13")
    assert alice["one_hot"] == "2" and alice["one_hot_big"] == "2"  # scaled; hidden
    assert alice[QUESTION] == "3"
    # Bob: three right (one_hot worth 2), the hidden one_hot_big, 1 written, 1 override.
    assert (bob["total"], bob["batch_scores"], bob[QUESTION]) == ("8", "1", "1")
    assert (carol["earned"], carol["late_days"], carol["penalty"], carol["total"]) == (
        "12", "2", "2.4", "9.6")
    assert (dave["status"], dave["total"], dave["max"]) == ("missing", "0", "13")
    assert (eve["total"], eve["fix_mse"], eve["max"]) == ("0", "excused", "12")


def test_the_folder_matching_nobody_is_reported(flow):
    assert "matched nobody on the roster: '1999'" in flow["graded"]
    assert "'1999'" in (flow["grades"] / "roster-report.txt").read_text()
    assert "1999" not in (flow["grades"] / "canvas.csv").read_text()


def test_canvas_csv_has_the_import_columns_and_points_possible(flow):
    rows = _csv(flow["grades"] / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Assignment 1: tensors"]
    assert rows[1] == ["Points Possible", "", "", "", "", "13"]
    assert ["Carol Jonas", "", "1003", "", "B", "9.6"] in rows[2:]
    assert len(rows) == 2 + len(ROSTER)


def test_moodle_csv_has_an_identifier_the_grade_and_feedback(flow):
    rows = _csv(flow["grades"] / "moodle.csv")
    assert rows[0] == ["ID number", "Email address", "Full name", "Assignment 1: tensors",
                       "Feedback"]
    carol = next(r for r in rows if r[0] == "1003")
    assert carol[1:4] == ["carol@example.edu", "Carol Jonas", "9.6"] and "late" in carol[4]
    assert next(r for r in rows if r[0] == "1004")[4] == "missing"


def test_gradescope_results_json_per_submission(flow):
    result = json.loads((flow["grades"] / "gradescope" / "1002" / "results.json")
                        .read_text())
    assert set(result) == {"score", "output", "tests", "visibility"}
    assert result["score"] == 8
    assert sum(t["score"] for t in result["tests"]) == 8
    assert all(set(t) == {"name", "score", "max_score", "status", "output", "visibility"}
               for t in result["tests"])
    batch = next(t for t in result["tests"] if t["name"] == "batch_scores")
    assert "the cell order hid it" in batch["output"]
    assert not (flow["grades"] / "gradescope" / "1004").exists()  # missing: no submission


def test_feedback_shows_overrides_penalty_excused_and_escapes_html(flow):
    folder = flow["grades"] / "feedback"
    bob_html = (folder / "1002.html").read_text()
    assert "<b>Jones</b>" not in bob_html and "&lt;b&gt;Jones&lt;/b&gt;" in bob_html
    assert "changed by your instructor" in bob_html and "the cell order hid it" in bob_html
    carol = (folder / "1003.md").read_text()
    assert "2 day(s) late" in carol and "2.4 points were taken" in carol
    assert "Score: 9.6 of 13 points." in carol and "manifest" in carol
    assert "excused" in (folder / "1005.md").read_text()
    assert "No submission was received." in (folder / "1004.md").read_text()


def test_written_answers_exported_side_by_side_escaped_and_imported(flow):
    rows = list(csv.DictReader(io.StringIO(flow["answers_before"])))
    assert {r["student"] for r in rows} == {i for i, *_ in ROSTER}
    bob = next(r for r in rows if r["student"] == "1002")
    assert bob["answer"].startswith("<script>") and bob["points"] == ""
    eve = next(r for r in rows if r["student"] == "1005")
    assert eve["answer"] == ""  # the handout's placeholder left as it was: no answer
    page = (flow["grades"] / "written" / f"{QUESTION}.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "One kernel call instead of many." in page and "names the loop overhead" in page


def test_a_score_above_the_question_is_refused(flow, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"student,question,answer,points,comment\n1001,{QUESTION},x,4,\n")
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        assert main(["gradebook", "import", str(flow["grades"].parent), str(bad)]) == 2
    assert "from 0 to 3" in said.getvalue()


def test_regrade_one_student_with_force_keeps_the_others_and_the_overrides(flow,
                                                                          monkeypatch):
    """Last in the module: `--student 1002 --force` grades Bob alone again; the stored
    assignment files (overrides included) still apply."""
    before = _by_id(flow)
    monkeypatch.setenv("LABKIT_GRADE_SALT", "end-to-end")
    code, said = _run(["grade", str(flow["subs"]), "--out", str(flow["grades"].parent),
                       "--course", str(flow["base"] / "course"), "--extra-checks",
                       str(flow["base"] / "hidden"), "--student", "1002", "--force", "-q"])
    assert code == 0, said
    assert "Graded 1 submission(s)" in said
    assert _by_id(flow) == before  # same answers, same grades; Bob's override kept

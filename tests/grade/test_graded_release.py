"""A graded release: can a student of it read any reference solution anywhere?

One release (English, hints withheld) is written once for the module; every test reads
it. "Anywhere" is the notebooks, the wheel, the package as pip would install it, and the
compiled caches Python writes there.
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from labkit.cli import main
from labkit.grade import withhold

# One worker runs this module: its graded batch is built once.
pytestmark = pytest.mark.xdist_group("graded_release")

ALL_REFERENCES = withhold.reference_texts()


def _in_check_code() -> set[str]:
    """References that the checks themselves spell out (a one-line fix such as
    `loss_fn = nn.BCEWithLogitsLoss()` that another exercise's check builds too): they
    are code the check needs, not a withheld answer, so the search leaves them out."""
    from labkit.grade.student_wheel import package_folder

    code = "".join(withhold.strip_source(p.read_text())
                   for p in withhold.exercise_modules(package_folder()))
    return {key for key, text in ALL_REFERENCES.items() if text in code}


IN_CHECK_CODE = _in_check_code()
REFERENCES = {k: v for k, v in ALL_REFERENCES.items() if k not in IN_CHECK_CODE}


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    assert main(["release", "--graded", "--no-hints", "--out", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def installed(handout, tmp_path_factory):
    """The wheel unpacked as pip does for a pure-Python wheel, then byte-compiled."""
    target = tmp_path_factory.mktemp("site")
    (wheel,) = handout.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    assert compileall.compile_dir(target / "labkit", quiet=1)
    return target


def _leaks(text: str) -> list[str]:
    """Which reference solutions appear in ``text``, as written or string-escaped."""
    return [key for key, solution in REFERENCES.items()
            if solution in text or repr(solution)[1:-1] in text]


def test_the_references_exist_to_look_for():
    assert len(REFERENCES) >= 40
    assert len(IN_CHECK_CODE) <= 3, IN_CHECK_CODE  # one-liners only, not whole answers
    assert all("\n" not in ALL_REFERENCES[k] for k in IN_CHECK_CODE)
    assert any("argmax" in s for s in REFERENCES.values())


def test_no_solution_in_the_notebooks(handout):
    notebooks = sorted(handout.glob("*.ipynb"))
    assert len(notebooks) >= 8
    for path in notebooks:
        assert _leaks(path.read_text()) == [], path.name


def test_no_solution_in_the_wheel_or_the_installed_package_or_its_caches(installed):
    files = [p for p in installed.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pyc" for p in files)  # the caches were made and are read
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert _leaks(text) == [], path


def test_the_practice_package_does_hold_them(tmp_path):
    """The same search finds the solutions in a practice package (the test can fail)."""
    from labkit.grade.student_wheel import package_folder

    text = (package_folder() / "exercises" / "ch03_mlp" / "per_class_accuracy.py").read_text()
    assert _leaks(text) == ["03_mlp/per_class_accuracy"]


def test_the_setup_cell_installs_the_graded_wheel_written_beside_it(handout):
    (wheel,) = handout.glob("*.whl")
    assert wheel.name.endswith("+graded-py3-none-any.whl")
    assert (handout / "requirements.txt").read_text().strip() == wheel.name
    cell = json.loads((handout / "03_mlp.ipynb").read_text())["cells"][0]
    source = "".join(cell["source"])
    assert f'--force-reinstall "{wheel.name}"' in source
    assert 'endswith("+graded")' in source and "git+" not in source
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Version: " in metadata and "+graded" in metadata
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_solution_and_hint_say_they_are_withheld(installed):
    """In the student's package, q.x.solution() and q.x.hint() say so, in words."""
    script = (
        "import labkit, sys\n"
        f"assert labkit.__file__.startswith({str(installed)!r}), labkit.__file__\n"
        "from labkit.exercises import exercises_of, bind\n"
        "assert all(e.solution is None for e in exercises_of('03_mlp'))\n"
        "q = bind('03_mlp', {})\n"
        "q.per_class_accuracy.solution(); q.per_class_accuracy.hint()\n")
    env = {**os.environ, "PYTHONPATH": str(installed), "LABKIT_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=installed,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "The solution is not available in this assignment." in done.stdout
    assert "Hints are not available in this assignment." in done.stdout
    assert "argmax" not in done.stdout


def test_graded_options_need_graded(tmp_path, capsys):
    assert main(["release", "--no-hints", "--out", str(tmp_path / "x")]) == 2
    assert "--graded" in capsys.readouterr().err


def test_strip_source_handles_any_quoting_and_keeps_the_check():
    source = ('class A:\n    name = "a"\n    solution = ("def f():\\n"\n'
              '                "    return 1")\n    hints: tuple = ("h",)\n'
              '    def check(self, f):\n        solution = "local"\n')
    stripped = withhold.strip_source(source, hints=False)
    assert "return 1" not in stripped and '"h"' not in stripped
    assert "solution = None" in stripped and "hints = None" in stripped
    assert "solution = 'local'" in stripped  # inside a method: not the class's answer
    assert "'h'" in withhold.strip_source(source)  # hints kept unless withheld


def test_a_grading_child_forgets_the_solutions(monkeypatch):
    from labkit.exercises import CHAPTERS, exercises_of

    chapter = exercises_of("01_tensors")
    # forget_loaded clears every chapter loaded in this process: put them all back after
    saved = [(e, e.solution) for name in CHAPTERS for e in exercises_of(name)]
    try:
        assert withhold.forget_loaded() >= len(chapter)
        assert all(e.solution is None for e in chapter)
    finally:
        for exercise, text in saved:
            exercise.solution = text


def test_the_masked_copies_cover_every_exercise_file(tmp_path):
    from labkit.grade.student_wheel import package_folder

    masked = withhold.masked_copies(tmp_path / "w", package_folder())
    sources = [Path(p) for p in masked if p.endswith(".py")]
    assert len(sources) == len(withhold.exercise_modules(package_folder()))
    for original in sources:
        assert _leaks(Path(masked[str(original)]).read_text()) == []


def test_no_hint_in_the_package_of_a_release_without_hints(installed):
    """--no-hints: neither the hints nor their translations ship."""
    from labkit.exercises import exercises_of

    hint = exercises_of("03_mlp")[5].hints[0]  # per_class_accuracy's first hint, a sentence
    assert "labels == k" in hint
    from labkit.grade.student_wheel import package_folder
    from labkit.i18n import finished_entries

    relative = Path("locale") / "zh" / "ch03_mlp.po"
    assert hint in finished_entries(package_folder() / relative)  # there to withhold
    shipped = finished_entries(installed / "labkit" / relative)
    assert shipped and hint not in shipped
    source = (installed / "labkit" / "exercises" / "ch03_mlp" / "per_class_accuracy.py").read_text()
    assert hint not in source

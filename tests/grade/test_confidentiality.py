"""Class 4 of issue 18: student code reads nothing it should not, under every fence.

A spy cell tries to read what a student must never see (the gradebook, the salt, the
hidden checks, a classmate's notebook, the grader's home, the course repository,
/etc/shadow, the labels of held-out data) and reports what it could in its own error
message, which the gradebook keeps. The same batch is graded at the default level and
under ``--sandbox``; the spy must report nothing and a user that is not root, and the
marks (hidden checks, with a probe of their own, included) must be the same.
"""

import json
import shutil
import sqlite3
import textwrap
from pathlib import Path

import grade_fixtures as golden
import pytest

from labkit.grade.batch import grade

SALT = "s3cret-salt-for-the-spy-test"
# Hidden checks, written like the shipped exercises; this one runs a probe of its own.
HIDDEN = '''
import torch

from labkit.check import Exercise, expect

CHAPTER = "01_tensors"


def row_sums(fn, x, labels, k):
    """A probe of this file: runs beside the learner's code, returns a tensor."""
    return fn(x, labels, k).sum(dim=1)


class RowsOfClassHidden(Exercise):
    name = "rows_of_class_hidden"
    title = "Rows of a class, on inputs nobody has seen"
    points = 2

    def check(self, rows_of_class):
        x, labels = self.randn(50, 4), self.randint(0, 5, 50)
        found = self.probe(row_sums, rows_of_class, x, labels, 3, during="`rows_of_class`")
        expect.close(found, x[labels == 3].sum(dim=1), name="row sums")


EXERCISES = [RowsOfClassHidden]
'''
SPY = '''\
import glob, os, sys
_secret = {salt!r}
_targets = {{
    "gradebook": {out!r} + "/gradebook.sqlite", "output folder": {out!r},
    "classmate": {subs!r} + "/alice/01_tensors.ipynb", "submissions": {subs!r},
    "hidden checks": {hidden!r}, "shadow": "/etc/shadow", "grader home": {home!r},
    "course repository": {repo!r} + "/tests", "solved notebooks": {repo!r} + "/build",
    "grader data": {data!r},
}}
_leaked = []
for _name, _path in _targets.items():
    try:
        os.listdir(_path) if os.path.isdir(_path) else open(_path, "rb").read(1)
        _leaked.append(_name)
    except OSError:
        pass
for _path in glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/environ"):
    try:
        if _secret.encode() in open(_path, "rb").read():
            _leaked.append("salt in " + _path)
    except OSError:
        pass
if any(_secret in v for v in os.environ.values()):
    _leaked.append("salt in the environment")
if any("hidden" in p for p in sys.path):
    _leaked.append("hidden checks on sys.path")
try:
    _raw = os.environ["LABKIT_DATA"] + "/MNIST/raw/t10k-labels-idx1-ubyte"
    if any(open(_raw, "rb").read()[8:]):
        _leaked.append("test labels in LABKIT_DATA")
except OSError:
    pass
import numpy as _np
import labkit.data
_npz = os.path.join(os.path.dirname(labkit.data.__file__), "mnist_subset.npz")
try:
    if _np.load(_npz)["test_labels"].any():
        _leaked.append("test labels shipped in the package")
except OSError:
    pass
raise RuntimeError(f"uid={{os.getuid()}} leaked={{sorted(_leaked)}}")
'''
LEVELS = ["auto", pytest.param("sandbox", marks=pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed"))]


@pytest.mark.parametrize("level", LEVELS)
def test_4_student_code_reads_nothing_it_should_not(tmp_path, level):
    subs, out, hidden = tmp_path / "subs", tmp_path / "out", tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "secret_ch01.py").write_text(textwrap.dedent(HIDDEN))
    golden.write_all(subs, cases=["correct", "wrong"])
    (subs / "correct").rename(subs / "alice")
    from labkit import settings

    # A file of the grader's home (Python may live there too: that part it may read).
    home = next((str(p) for p in sorted(Path.home().iterdir()) if p.is_file()),
                str(Path.home() / ".bashrc"))
    spy = SPY.format(salt=SALT, out=str(out), subs=str(subs), hidden=str(hidden),
                     repo=str(golden.ROOT), data=str(settings.data_root()), home=home)
    # In an exercise's cell, after the answer: the grader runs only cells it needs.
    nb = golden._answer(golden.right(golden._load()), {}, suffix={"rows_of_class": spy})
    (subs / "spy").mkdir()
    (subs / "spy" / "01_tensors.ipynb").write_text(json.dumps(nb))
    said = []
    book = grade([subs], out, jobs=2, timeout=120, salt=SALT, extra_checks=hidden,
                 sandbox=level == "sandbox", progress=False, echo=said.append)
    cells = json.loads(next(s["cells"] for s in book.submissions() if s["student"] == "spy"))
    report = next(c["error"] for c in cells if c["error"] and "leaked=" in c["error"])
    assert report.endswith("leaked=[]"), report
    assert "uid=0 " not in report  # never root
    points = {r["student"]: 0 for r in book.results()}
    for row in book.results():
        points[row["student"]] += row["points"]
    assert points == {"alice": 9, "spy": 9, "wrong": 0}
    hidden_rows = {r["student"]: r["status"] for r in book.results()
                   if r["exercise"] == "rows_of_class_hidden"}
    assert hidden_rows == {"alice": "passed", "spy": "passed", "wrong": "incorrect"}
    header = (out / "gradebook.csv").read_text().splitlines()[0]
    assert "rows_of_class_hidden" in header
    runs = book.runs()
    assert runs and runs[-1]["protections"]["reads"] != "not protected (--unsafe)"
    assert "Protections in effect for student code" in said[0]
    assert "nobody" in said[0]


def test_the_salt_is_stored_only_in_the_gradebook(tmp_path):
    """The gradebook (in an output folder only the grader's user opens) keeps the salt
    so shards and re-runs agree; nothing else the grader writes holds it."""
    golden.write_all(tmp_path / "subs", cases=["empty_file"])
    grade([tmp_path / "subs"], tmp_path / "out", salt=SALT, progress=False,
          echo=lambda text: None)
    db = sqlite3.connect(tmp_path / "out" / "gradebook.sqlite")
    assert db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()[0] == SALT
    assert oct((tmp_path / "out").stat().st_mode)[-3:] == "700"
    for path in Path(tmp_path / "out").rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".md", ".log"):
            assert SALT not in path.read_text()

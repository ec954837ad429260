"""Hidden checks (--extra-checks): written like the shipped exercises, graded beside them."""

import textwrap

import grade_fixtures as golden

from labkit.grade.batch import grade

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


def test_hidden_checks_are_graded_with_their_own_probes(tmp_path):
    folder = tmp_path / "hidden"
    folder.mkdir()
    (folder / "secret_ch01.py").write_text(textwrap.dedent(HIDDEN))
    golden.write_all(tmp_path / "subs", cases=["correct", "wrong"])
    book = grade([tmp_path / "subs"], tmp_path / "out", jobs=2, timeout=60, salt="s",
                 extra_checks=folder, progress=False, echo=lambda text: None)
    rows = {(r["student"], r["exercise"]): r for r in book.results()}
    assert rows[("correct", "rows_of_class_hidden")]["status"] == "passed"
    assert rows[("correct", "rows_of_class_hidden")]["points"] == 2
    assert rows[("wrong", "rows_of_class_hidden")]["status"] == "incorrect"
    csv = (tmp_path / "out" / "gradebook.csv").read_text().splitlines()
    assert "rows_of_class_hidden" in csv[0]
    assert any(line.startswith("correct,01_tensors,") and ",9,9," in line for line in csv)

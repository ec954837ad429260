"""What a learner reads in a code cell: found, rewritten from a table, and refused when a
translation would change the code."""

import pytest

from labkit.notebook import codetext, literals
from labkit.notebook.codetext import CodeTextError

CELL = '''\
def fit(x):
    """Fit a line.

    Returns the loss.
    """
    y = 2 * x  # (B, 1)
    z = y + 1  # the bias
    # a comment on
    # two lines
    print(f"loss after {n} steps: {v:.3f} with the bug, "  # i18n
          f"{w} fixed", "cuda")
    plt.plot(a, "o-", label="train")  # i18n
    plt.plot(a, "o-", label="train")
    return y'''


def test_comments_docstrings_and_marked_strings_are_found_and_nothing_else():
    found = [(t.kind, t.message) for t in codetext.texts(CELL)]
    assert found == [
        ("docstring", "Fit a line.\n\nReturns the loss."),
        ("comment", "the bias"),  # "(B, 1)" is a shape: it reads the same in Chinese
        ("comment", "a comment on\ntwo lines"),  # one run of lines, one entry
        ("string", "loss after {n} steps: {v:.3f} with the bug, {w} fixed"),
        ("string", "train"),  # "o-" holds no word, "cuda" and the unmarked line are code
    ]


TABLE = {
    "Fit a line.\n\nReturns the loss.": "拟合一条直线。\n\n返回损失。",
    "the bias": "偏置",
    "a comment on\ntwo lines": "一条注释，\n占了\n三行",
    "loss after {n} steps: {v:.3f} with the bug, {w} fixed":
        "{n} 步后的损失：有错误时 {v:.3f}，修复后 {w}",
    "train": "训练",
}


def test_a_translated_cell_changes_only_its_words_and_loses_its_markers():
    out, missing = codetext.translate(CELL, TABLE)
    assert missing == 0
    assert out == '''\
def fit(x):
    """拟合一条直线。

    返回损失。
    """
    y = 2 * x  # (B, 1)
    z = y + 1  # 偏置
    # 一条注释，
    # 占了
    # 三行
    print(f"{n} 步后的损失：有错误时 {v:.3f}，修复后 {w}", "cuda")
    plt.plot(a, "o-", label="训练")  # i18n
    plt.plot(a, "o-", label="train")
    return y'''.replace("  # i18n", "", 1)


def test_the_english_notebook_shows_no_marker_and_keeps_its_layout():
    stripped = codetext.strip_markers(CELL)
    assert codetext.MARKER not in stripped
    assert stripped == CELL.replace("  # i18n", "")
    # an untranslated text stays as it is, and is counted
    out, missing = codetext.translate(CELL, {})
    assert (out, missing) == (stripped, 5)


def test_a_long_translation_keeps_the_lines_of_the_english():
    cell = ('print(f"a rather long English sentence about {x} that goes on and on, "  # i18n\n'
            '      f"and then some more words about {y} at the end")')
    long = ("一个相当长的中文句子，讲的是 {x}，它一直写下去，写了又写，写了又写，"
            "最后在结尾讲到 {y} 的更多内容，仍然没有写完，还要继续写下去")
    out, _ = codetext.translate(cell, {codetext.texts(cell)[0].message: long})
    lines = out.split("\n")
    assert len(lines) == 2 and lines[1].startswith('      f"')  # the English layout
    printed = []
    exec(out, {"print": printed.append, "x": "X", "y": "Y"})
    assert printed == [long.format(x="X", y="Y")]  # the same text, cut at a safe place


@pytest.mark.parametrize("english, translation, form, fault", [
    ("{x} after {n} steps", "{n} 步之后", 'f"', "lost {x}"),
    ("{v:.3f} fixed", "修复后 {v:.4f}", 'f"', "lost {v:.3f}"),
    ("{len(a)} items", "{len(b)} 项", 'f"', "lost {len(a)}"),
    ("say hi", '说 "你好"', '"', "not a valid Python"),
    ("one line", "一行\n两行", '"', "not a valid Python"),
])
def test_a_translation_that_would_change_the_code_is_refused(english, translation, form,
                                                             fault):
    faults = literals.faults(english, translation, form)
    assert any(fault in f for f in faults), faults
    # and the cell keeps the English rather than break
    cell = f'print({form}{english}{form.lstrip("rf")})  # i18n'
    assert codetext.translate(cell, {english: translation})[0] == cell.replace("  # i18n", "")


@pytest.mark.parametrize("english, translation, form", [
    ("{x} after {n} steps", "{n} 步之后的 {x}", 'f"'),  # fields in another order
    ("{a['k']:.2f} and {b!r}", "{b!r} 与 {a['k']:.2f}", 'f"'),
    ('say \\"hi\\"', '说 \\"你好\\"', '"'),  # escapes written as the English writes them
    ("# anything", "# 什么都行", "#"),
])
def test_word_order_and_escapes_are_fine(english, translation, form):
    assert literals.faults(english, translation, form) == []


@pytest.mark.parametrize("cell, message", [
    ("x = 1  # i18n", "marks no string"),
    ("# i18n\nprint('hi')", "not on a line of its own"),
    ("print('hi')  # i18n: a label", "at the very end of the line"),
    ('print("one "  # i18n\n      # why\n      "two")', "comment inside a marked string"),
    ('print(r"a\\b " "c")  # i18n', "joins raw and plain"),
    ("print('unclosed", "does not parse"),
])
def test_a_marker_that_cannot_work_is_explained(cell, message):
    with pytest.raises(CodeTextError, match=message):
        codetext.texts(cell, "00_demo.py, cell 3")


def test_ipython_lines_are_left_alone():
    cell = "%pip install x  # not translated\n!ls\nprint('done')  # i18n"
    assert [t.message for t in codetext.texts(cell)] == ["done"]
    assert codetext.translate(cell, {"done": "完成"})[0] == \
        "%pip install x  # not translated\n!ls\nprint('完成')"

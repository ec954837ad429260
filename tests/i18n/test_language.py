"""Choosing the language, and looking messages up in labkit's catalogs."""

import ast
from pathlib import Path

import pytest

from labkit import i18n
from labkit.check import Exercise, expect, run_check
from labkit.check.result import Outcome
from labkit.i18n import _, current, language, ngettext

LABKIT = Path(i18n.__file__).resolve().parents[1]


def test_english_unless_told(monkeypatch):
    monkeypatch.delenv("LABKIT_LANG", raising=False)
    assert current() == "en"
    assert _("the values of `{name}`") == "the values of `{name}`"


def test_a_block_and_the_environment_pick_chinese(monkeypatch):
    monkeypatch.delenv("LABKIT_LANG", raising=False)
    with language("zh"):
        assert _("the values of `{name}`") == "`{name}` 的值"
    assert current() == "en"
    monkeypatch.setenv("LABKIT_LANG", "zh_CN")  # a locale name works too
    assert current() == "zh"
    with language("en"):  # a block wins over the environment
        assert _("passed") == "passed"


def test_set_language_reaches_child_processes_and_says_how_figures_look(monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_LANG", "en")
    i18n.set_language("zh")
    assert __import__("os").environ["LABKIT_LANG"] == "zh"
    line = capsys.readouterr().out
    assert "字体" in line or "中文字体" in line  # which font, or that there is none
    i18n.set_language("en")


@pytest.mark.parametrize("bad", ["fr", "", "klingon"])
def test_an_unknown_language_is_refused_with_the_choices(bad):
    with pytest.raises(ValueError, match="use one of: en, zh"):
        i18n.set_language(bad)


def test_an_unknown_message_stays_english():
    with language("zh"):
        assert _("a sentence nobody translated") == "a sentence nobody translated"
        assert _("") == ""


def test_plural_forms():
    assert ngettext("{got}/{total} point", "{got}/{total} points", 2) == "{got}/{total} points"
    with language("zh"):
        assert ngettext("{got}/{total} point", "{got}/{total} points", 2) == "{got}/{total} 分"


class _Double(Exercise):
    name = "double"
    title = "Double"
    hints = ("Multiply by two.",)

    def check(self, double):
        import torch
        x = torch.tensor([1.0, -2.0])
        found = self.call(double, x, during="`double(x)`")
        expect.close(found, 2 * x, name="double(x)", hint=self.hints[0])


def test_a_check_result_reads_in_chinese_and_keeps_english_keys():
    with language("zh"):
        wrong = run_check(_Double(), {"double": lambda x: x}, seed=0)
        blank = run_check(_Double(), {"double": ...}, seed=0)
        shown, blank_shown = wrong.text(), blank.text()
    assert wrong.outcome is Outcome.INCORRECT
    assert shown.splitlines()[0] == "`double`：不正确（0/1 分）"
    assert "检查项：`double(x)` 的值" in shown
    # stored labels stay English: the grader filters on them
    assert [label for label, _text in wrong.details][:3] == ["Checked", "Expected", "Found"]
    assert "占位符 `...`" in blank_shown
    # the frame (headline, labels) follows the language it is shown in
    assert wrong.headline() == "`double`: incorrect (0/1 point)"


def test_messages_made_on_the_learners_side_follow_the_checks_language():
    def stub(x):
        raise NotImplementedError()

    def broken(x):
        return x.nothing

    with language("zh"):
        not_yet = run_check(_Double(), {"double": stub}, seed=0)
        error = run_check(_Double(), {"double": broken}, seed=0)
    assert "仍然抛出 `NotImplementedError`" in not_yet.text()
    assert "你的代码在这一步抛出了错误" in error.text()
    assert "位于 `broken` 中" in error.text()


def _shadowing(path: Path) -> list[str]:
    """Functions that assign `_` and also call it: `_("...")` would then be a local."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
              ast.SetComp, ast.DictComp, ast.GeneratorExp)
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        stores, loads = [], []
        todo = list(ast.iter_child_nodes(function))
        while todo:
            node = todo.pop()
            if isinstance(node, scopes):
                continue
            if isinstance(node, ast.Name) and node.id == "_":
                (stores if isinstance(node.ctx, ast.Store) else loads).append(node.lineno)
            todo += list(ast.iter_child_nodes(node))
        if stores and loads:
            found.append(f"{path.relative_to(LABKIT.parent)}:{function.lineno} "
                         f"`{function.name}` assigns `_` (line {min(stores)})")
    return found


def test_no_function_hides_the_translation_function():
    found = [line for path in sorted(LABKIT.rglob("*.py")) for line in _shadowing(path)]
    assert not found, "rename the throwaway variable:\n" + "\n".join(found)


def test_chinese_lines_lose_the_spaces_beside_full_width_punctuation_but_code_keeps_them():
    from labkit.i18n import tidy

    line = "检查在运行 `f(x)`（x 的形状为 (5,)） 时，见 `a ， b` 。执行 读取 `g` 的源代码 时"
    with language("zh"):
        assert tidy(line) == ("检查在运行 `f(x)`（x 的形状为 (5,)）时，见 `a ， b`。"
                              "执行读取 `g` 的源代码时")
    with language("en"):
        assert tidy(line) == line  # English text is never touched


@pytest.mark.parametrize("label, checked", [
    ({"name": "relu(x)"}, "the values of `relu(x)`"),                     # code: wrapped
    ({"subject": "`w.grad` after `step()`"},
     "the values of `w.grad` after `step()`"),                            # words: as they are
    ({"name": "w.grad"}, "the values of `w.grad`"),
])
def test_a_name_is_code_and_a_subject_is_words(label, checked):
    import torch

    from labkit.check.signals import Incorrect

    with pytest.raises(Incorrect) as caught:
        expect.close(torch.zeros(2), torch.ones(2), **label)
    assert caught.value.checked == checked

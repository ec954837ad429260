"""bind(): explicit, per-notebook, no global state."""

import pytest
import torch

from labkit.check import Outcome
from labkit.exercises import CHAPTERS, bind, exercises_of


def test_each_binding_sees_its_own_namespace():
    solved = {"torch": torch}
    exec(exercises_of("00_setup")[0].solution, solved)  # noqa: S102 - the course's own text
    good = bind("00_setup", solved)
    wrong = bind("00_setup", {"device": torch.device("cpu")})  # a device, not a function
    empty = bind("00_setup", {})
    assert good.device.result().outcome is Outcome.PASSED
    assert wrong.device.result().outcome is Outcome.INCORRECT
    assert empty.device.result().outcome is Outcome.NOT_ATTEMPTED


def test_binding_sees_later_changes_to_the_namespace():
    namespace = {}
    q = bind("00_setup", namespace)
    namespace["device"] = ...
    assert "placeholder" in q.device.result().text()


def test_unknown_exercise_suggests_the_closest():
    q = bind("00_setup", {})
    with pytest.raises(AttributeError, match="Did you mean `device`"):
        q.devise  # noqa: B018


def test_unknown_chapter_lists_the_chapters():
    with pytest.raises(ValueError, match="Did you mean '03_mlp'"):
        bind("03-mlp", {})


def test_namespace_must_be_a_mapping():
    with pytest.raises(TypeError, match="globals()"):
        bind("00_setup", ["device"])


def test_expect_is_for_authors_and_reports_mismatches():
    q = bind("00_setup", {})
    q.device.expect("not attempted")
    with pytest.raises(AssertionError, match="expected `device` to be passed"):
        q.device.expect("passed")
    with pytest.raises(AssertionError, match="mentioning 'banana'"):
        q.device.expect("incorrect", "banana", device="cpu")


def test_dir_lists_exercises_for_tab_completion():
    assert {"device", "split_indices"} <= set(dir(bind("00_setup", {})))


def test_chapters_are_in_course_order():
    assert CHAPTERS[0] == "00_setup" and CHAPTERS[-1] == "06_deployment"
    assert [cls.name for cls in exercises_of("00_setup")] == ["device", "split_indices"]


def test_chapters_follow_the_exercise_modules_and_the_notebooks():
    """Is CHAPTERS the list of exercise modules, one per notebook source, in course order?"""
    from pathlib import Path

    sources = Path(__file__).resolve().parents[2] / "notebooks" / "src"
    assert list(CHAPTERS) == sorted(CHAPTERS)
    assert set(CHAPTERS) == {path.stem for path in sources.glob("[0-9][0-9]*.py")}


def test_a_broken_exercise_module_raises(monkeypatch):
    """Does a chapter package that fails to import raise, instead of giving no exercises?"""
    import labkit.exercises as registry

    def broken(name):
        raise ModuleNotFoundError("No module named 'missing_dependency'",
                                  name="missing_dependency")

    monkeypatch.setattr(registry.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="missing_dependency"):
        exercises_of("00_setup")


def test_an_unknown_chapter_names_the_closest():
    """Does an unknown chapter id say which one was meant, and list them all?"""
    with pytest.raises(ValueError, match="Did you mean '03_mlp'") as info:
        exercises_of("03-mlp")
    assert "00_setup" in str(info.value)

"""Does every exercise of every chapter have its standard tests?"""

import importlib.util
from pathlib import Path

from labkit.exercises import CHAPTERS, exercises_of

HERE = Path(__file__).parent


def _cases():
    found = {}
    for path in sorted(HERE.glob("test_ch*.py")):
        spec = importlib.util.spec_from_file_location(f"_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for case in getattr(module, "CASES", []):
            found[case.exercise] = path.name
    return found


def test_every_exercise_has_a_case():
    covered = _cases()
    missing = [
        f"{chapter}: {cls.__name__}"
        for chapter in CHAPTERS
        for cls in exercises_of(chapter)
        if cls not in covered
    ]
    assert not missing, f"exercises without a Case in tests/exercises: {missing}"


def test_exercise_names_are_unique_within_a_chapter():
    for chapter in CHAPTERS:
        names = [cls.name for cls in exercises_of(chapter)]
        assert len(names) == len(set(names)), f"{chapter}: {names}"

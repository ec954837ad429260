"""Which cells an exercise needs (labkit.grade.plan)."""

from labkit.grade.plan import analyse, needed_cells


def plan(cells, names, before=None):
    code = [analyse(c) for c in cells]
    return needed_cells(code, names, len(cells) if before is None else before)


def test_definitions_and_what_they_read_are_kept():
    cells = ["import torch", "SCALE = 2", "def f(x):\n    return SCALE * torch.ones(1)",
             "plot(f)", "train_for_an_hour()"]
    assert plan(cells, ["f"]) == [0, 1, 2]


def test_a_global_bound_after_the_function_is_found():
    cells = ["def f():\n    return helper()", "def helper():\n    return 1"]
    assert plan(cells, ["f"]) == [0, 1]


def test_changes_in_place_are_kept_but_a_rebinding_ends_the_search():
    cells = ["model = make()", "fit(model, data)", "model = make()", "model.train()",
             "print('hello')"]
    assert plan(cells, ["model"]) == [2, 3]


def test_magics_parse_and_unparsable_cells_are_kept_when_they_mention_a_name():
    cells = ["%matplotlib inline\nx = 1", "def g(:\n    x", "y = 3"]
    assert plan(cells, ["x"]) == [0, 1]  # cell 1 does not parse but names x: kept
    assert plan(cells, ["g"]) == [1]
    assert plan(cells, ["y"]) == [2]


def test_only_cells_before_the_check_count():
    cells = ["a = 1", "a = 2", "b = a"]
    assert plan(cells, ["a"], before=1) == [0]


def test_a_top_level_read_does_not_pull_in_later_cells():
    """Only reads inside functions happen later; a class body runs where it stands."""
    cells = ["from base import Base", "class A(Base):\n    pass",
             "A = train_for_an_hour(A)\nthing = A()", "class B(A):\n    pass"]
    assert plan(cells, ["B"]) == [0, 1, 2, 3]
    cells = ["import torch", "data = torch.ones(3)",
             "try:\n    1 / 0\nexcept ZeroDivisionError as err:\n    print(err)",
             "data.add_(1)", "def f():\n    return torch.zeros(1)"]
    assert plan(cells, ["f"]) == [0, 4]


def test_an_exercise_is_judged_where_run_all_leaves_the_answer():
    """A check cell pasted above its answer still judges the answer; the chapter's own
    cells that use the answer later (training with it) do not move the judging."""
    from labkit.grade.plan import judged_at
    from labkit.grade.restore import Cell

    cells = [Cell("c0", "import torch", "chapter", ("protected",)),
             Cell("chk", "q.f.check()", "chapter", ("protected",)),
             Cell("ex", "def f(x):\n    return x", "learner", ("exercise",)),
             Cell("demo", "f = torch.compile(f)\nfit(f)", "chapter", ()),
             Cell("chk2", "q.g.check()", "chapter", ("protected",)),
             Cell("added-5", "g = 2", "added")]
    code = [analyse(c.source) for c in cells]
    where = judged_at(code, cells, {"f": {"f"}, "g": {"g"}, "h": {"h"}})
    assert where == {"f": 3, "g": 6, "h": 6}

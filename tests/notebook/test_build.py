"""labkit build: learner and solved notebooks, and committed files kept up to date."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from labkit.notebook import build, chapters
from labkit.notebook.build import learner_notebook, solved_notebook
from labkit.notebook.project import colab_url, repository_url, version
from labkit.notebook.readme import BEGIN, END, TEACHES_BEGIN, TEACHES_END

REPO = Path(__file__).resolve().parents[2]

SOURCE = '''\
# ---
# jupyter:
#   labkit:
#     teaches: "doubling numbers"
# ---

# %% [markdown]
# # 99 Demo

# %%
from labkit import exercises
q = exercises.bind("00_setup", globals())

# %%
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

# %% tags=["author-test"]
assert double(2) == 4
'''


@pytest.fixture
def repo(tmp_path):
    """A tiny course repository with one chapter."""
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    (tmp_path / "notebooks" / "src" / "00_setup.py").write_text(SOURCE)
    (tmp_path / "README.md").write_text(
        f"# Course\n{BEGIN}\n{END}\n{TEACHES_BEGIN}\n{TEACHES_END}\nmore text\n")
    return tmp_path


def test_committed_notebooks_and_readme_are_up_to_date():
    """Does every committed learner notebook (and the README table) match its source?"""
    stale = build(REPO, write_learner=False, write_solved=False)
    assert not stale, f"run `make build` and commit: {[str(p) for p in stale]}"


def test_every_chapter_has_a_committed_notebook():
    for chapter in chapters(REPO):
        assert chapter.learner_path(REPO).exists(), chapter.stem


def test_learner_notebook(repo):
    nb = learner_notebook(repo / "notebooks" / "src" / "00_setup.py", repository_url(repo))
    nbformat.validate(nb)
    sources = [c.source for c in nb.cells]
    assert "%pip install --quiet --no-deps" in sources[0]
    assert repository_url(repo) in sources[0]
    assert not any("assert double(2)" in s for s in sources)  # author test removed
    assert any("raise NotImplementedError()" in s for s in sources)
    assert not any("return 2 * x" in s for s in sources)
    assert all(c.get("outputs", []) == [] for c in nb.cells)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_solved_notebook_keeps_solutions_and_author_tests(repo):
    nb = solved_notebook(repo / "notebooks" / "src" / "00_setup.py", repository_url(repo))
    sources = "\n".join(c.source for c in nb.cells)
    assert "return 2 * x" in sources and "assert double(2) == 4" in sources
    assert 'os.environ["LABKIT_EXPECT"] = "passed"' in sources
    assert "### BEGIN SOLUTION" not in sources


def test_build_writes_then_reports_nothing_stale(repo):
    stale = build(repo)
    assert {p.name for p in stale} == {"00_setup.ipynb", "README.md"}
    assert (repo / "build" / "solved" / "00_setup.ipynb").exists()
    assert build(repo, write_learner=False, write_solved=False) == []
    readme = (repo / "README.md").read_text()
    assert "| `00_setup` | doubling numbers |" in readme
    # the badge opens the notebook of the release, at the URL and version of pyproject
    assert colab_url(repository_url(repo), version(repo), "notebooks/00_setup.ipynb") in readme
    assert f"/blob/v{version(repo)}/notebooks/00_setup.ipynb" in readme
    assert readme.endswith("more text\n")


def test_a_stale_notebook_is_detected(repo):
    build(repo)
    path = repo / "notebooks" / "00_setup.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][1]["source"] = ["# changed by hand"]
    path.write_text(json.dumps(nb))
    assert build(repo, write_learner=False, write_solved=False) == [path]


def test_cell_ids_are_stable(repo):
    build(repo)
    first = (repo / "notebooks" / "00_setup.ipynb").read_text()
    build(repo)
    assert (repo / "notebooks" / "00_setup.ipynb").read_text() == first


def test_missing_readme_markers_are_explained(repo):
    (repo / "README.md").write_text("# Course\n")
    with pytest.raises(ValueError, match="chapters:begin"):
        build(repo)


def test_setup_cell_is_valid_ipython(repo):
    """Does the Colab setup cell (an indented %pip inside try/except) compile in IPython?"""
    from IPython.core.inputtransformer2 import TransformerManager

    nb = learner_notebook(repo / "notebooks" / "src" / "00_setup.py", repository_url(repo))
    code = TransformerManager().transform_cell(nb.cells[0].source)
    assert "run_line_magic('pip'" in code
    compile(code, "setup cell", "exec")


def test_readme_summary_comes_from_the_chapter_header(tmp_path):
    """Is README's 'What each chapter teaches' line read from the chapter, and is a
    missing one an error that shows the header to write?"""
    from labkit.notebook.chapter import teaches
    from labkit.notebook.regions import RegionError

    header = ("# ---\n# jupyter:\n#   labkit:\n#     teaches: \"tensors, fast\"\n# ---\n\n"
              "# %%\nx = 1\n")
    good = tmp_path / "09_new.py"
    good.write_text(header)
    assert teaches(good) == "tensors, fast"
    bare = tmp_path / "10_bare.py"
    bare.write_text("# %%\nx = 1\n")
    with pytest.raises(RegionError, match="teaches"):
        teaches(bare)

"""A translated chapter runs the English chapter's code: only its words differ.

A Chinese submission is graded against the English chapter cell by cell, so every code
cell of a translation must be the English cell with other comments and string contents:
the same syntax tree once string constants are masked, f-string fields included.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from labkit.notebook import codetext, regions
from labkit.notebook.build import read_source, solved_notebook
from labkit.notebook.catalogs import chapter_table
from labkit.notebook.chapter import chapters
from labkit.notebook.project import repository_url

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = chapters(REPO)


def skeleton(source: str) -> str:
    """The cell's syntax tree with every string's text masked; an f-string keeps its
    fields (sorted: a translation may reorder them)."""
    tree = ast.parse(TransformerManager().transform_cell(source))

    class Mask(ast.NodeTransformer):
        def visit_Constant(self, node):
            return ast.Constant("<text>") if isinstance(node.value, str) else node

        def visit_JoinedStr(self, node):
            fields = sorted(ast.dump(v) for v in node.values
                            if isinstance(v, ast.FormattedValue))
            return ast.Constant(f"<f-string {fields}>")

    return ast.dump(Mask().visit(tree))


def _code_cells(nb):
    return [(c["id"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
             c["metadata"].get("tags", [])) for c in nb["cells"] if c["cell_type"] == "code"]


def _compare(english, chinese, what: str) -> None:
    assert [c["id"] for c in english["cells"]] == [c["id"] for c in chinese["cells"]], what
    assert [c["cell_type"] for c in english["cells"]] == [c["cell_type"] for c in
                                                           chinese["cells"]], what
    for (cid, en, tags), (_cid, zh, zh_tags) in zip(_code_cells(english), _code_cells(chinese),
                                                     strict=True):
        assert tags == zh_tags, f"{what}, cell {cid}: tags differ"
        if "setup" in tags:
            assert 'labkit.i18n.set_language("zh")' in zh
            continue
        assert skeleton(en) == skeleton(zh), (
            f"{what}, cell {cid}: the Chinese code differs from the English in more than "
            f"its words:\n--- English\n{en}\n--- Chinese\n{zh}")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_the_chinese_learner_notebook_is_the_english_code_with_chinese_words(chapter):
    english = json.loads(chapter.learner_path(REPO).read_text(encoding="utf-8"))
    chinese = json.loads(chapter.translated_learner_path(REPO, "zh").read_text(encoding="utf-8"))
    # the marked sources the build keeps for translating never reach a file
    assert english["metadata"]["labkit"]["chapter"] == chapter.stem
    assert chinese["metadata"]["labkit"] == {**english["metadata"]["labkit"], "language": "zh"}
    _compare(english, chinese, f"notebooks/zh/{chapter.stem}.ipynb")
    english_code = "\n".join(source for _id, source, _tags in _code_cells(english))
    chinese_code = "\n".join(source for _id, source, _tags in _code_cells(chinese))
    assert codetext.MARKER not in english_code + chinese_code, "a marker reached a notebook"
    # the words did change: a chapter whose code cells speak has Chinese in them
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese_code), chapter.stem


def test_the_solved_notebooks_line_up_too():
    """The solved notebooks (built, not committed) keep their solutions in English but
    must still line up, cell by cell, with the English ones."""
    chapter = next(c for c in CHAPTERS if c.stem == "02_autograd")
    url, table = repository_url(REPO), chapter_table(REPO, "zh", chapter.stem)
    english = json.loads(json.dumps(solved_notebook(chapter.source, url)))
    chinese = json.loads(json.dumps(solved_notebook(chapter.source, url, lang="zh",
                                                    table=table)))
    _compare(english, chinese, "solved 02_autograd")


def _roles(tree) -> dict[int, str]:
    """For each string constant used to find something (a dict key, a subscript, a
    comparison, `startswith`), its role; other strings are not listed."""
    roles = {}
    for node in ast.walk(tree):
        found = []
        if isinstance(node, ast.Dict):
            found = [k for k in node.keys if k is not None]
        elif isinstance(node, ast.Subscript):
            found = list(ast.walk(node.slice))
        elif isinstance(node, ast.Compare):
            found = [node.left, *node.comparators]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith")):
            found = list(node.args)
        for item in found:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                roles[id(item)] = type(node).__name__
    return roles


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_a_translated_key_is_translated_wherever_it_is_looked_up(chapter):
    """`speeds["GPU, float32"]` must find the key `"GPU, float32"` was stored under: a
    string marked where it serves as a key must be marked everywhere it occurs."""
    marked, unmarked = {}, {}
    for number, cell in enumerate(read_source(chapter.source).cells, start=1):
        if cell.cell_type != "code" or "author-test" in cell.metadata.get("tags", []):
            continue
        source = regions.learner(cell.source)
        words = {t.start for t in codetext.texts(source) if t.kind == "string"}
        tree = ast.parse(TransformerManager().transform_cell(source))
        roles, lines = _roles(tree), source.split("\n")
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            is_marked = codetext._columns(lines, node)[0] in words
            where = f"{chapter.stem}, cell {number}, line {node.lineno}"
            if is_marked and id(node) in roles:
                marked.setdefault(node.value, []).append(where)
            elif not is_marked:
                unmarked.setdefault(node.value, []).append(where)
    clashes = [f"{key!r}: translated as a key at {marked[key][0]}, left English at "
               f"{unmarked[key][0]}" for key in marked if key in unmarked]
    assert not clashes, ("mark every occurrence (`# i18n`) or none:\n" + "\n".join(clashes))

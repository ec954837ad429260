"""Build learner and solved notebooks from the chapter sources, as a list of small steps.

``notebooks/src/NN_name.py`` (jupytext percent format) is the source of truth:

    read source -> the setup cell (setup_cell.py) -> drop author tests (learner)
    -> strip or keep solutions -> drop the ``# i18n`` markers -> clear outputs
    -> stable cell ids -> (a translation: its words, from the chapter's catalog) -> write

The learner notebook goes to ``notebooks/NN_name.ipynb`` (committed); the solved one
to ``build/solved/NN_name.ipynb`` (tests only). A translation keeps the English
notebook's cells and ids; its code cells are translated from the marked source (see
``labkit.notebook.codetext``), so they differ from the English ones only in words.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from labkit.notebook import codetext, regions, setup_cell
from labkit.notebook.chapter import chapters, read_source, teaches
from labkit.notebook.project import repository_url, version

AUTHOR_TEST = "author-test"
# Tags the grader reads: cells restored from the source before grading, and the cells
# that hold the learner's answers.
PROTECTED, EXERCISE = "protected", "exercise"
CHECK_CALL = re.compile(r"^\s*q\.(\w+)\.check\(\)\s*$", re.MULTILINE)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
MARKED = codetext.MARKED

# Only in solved notebooks: the tests require every check there to pass.
HARNESS_CELL = '''\
# Test harness (solved notebook only): every check in this notebook must pass.
import os
os.environ["LABKIT_EXPECT"] = "passed"'''


@dataclass(frozen=True)
class Release:
    """What a setup cell installs: the course's version and the tested pins."""

    version: str
    pins: dict

    @classmethod
    def of(cls, source: Path) -> Release:
        """The release of the course that holds ``source`` (notebooks/src/NN_name.py); a
        chapter outside a course (a test's scratch copy) takes labkit's own checkout."""
        repo = source.resolve().parents[2]
        if not (repo / "pyproject.toml").exists():
            repo = Path(__file__).resolve().parents[2]
        return cls(version(repo), setup_cell.read_pins(repo))


def _setup(nb, path: Path, url: str, release: Release | None):
    """The setup cell, and the facts it was made from kept in the notebook's metadata (a
    translation rebuilds its own setup cell from them)."""
    release = release or Release.of(path)
    extras = setup_cell.chapter_extras(nb.metadata, release.pins, path.name)
    facts = {"release": release.version, "extras": extras}
    if (nb.metadata.get("labkit") or {}).get("accelerator") == "GPU":
        facts["accelerator"] = "GPU"  # _finish adds what Colab reads
    return _code(setup_cell.setup_source("en", url, release.version, extras), "setup"), facts


def learner_notebook(path: Path, url: str, *, release: Release | None = None,
                     lang: str = "en", table: dict[str, str] | None = None):
    """The learner notebook of the chapter source ``path``; in ``lang`` with the
    chapter's catalog ``table`` (English -> translation), for a translation."""
    return _in_language(_notebook(path, url, solved=False, release=release), lang, table,
                        url)


def solved_notebook(path: Path, url: str, *, release: Release | None = None,
                    lang: str = "en", table: dict[str, str] | None = None):
    return _in_language(_notebook(path, url, solved=True, release=release), lang, table,
                        url)


def _notebook(path: Path, url: str, *, solved: bool, release: Release | None = None):
    """The English notebook. The code cells that had ``# i18n`` markers keep their
    marked form in ``metadata.labkit.i18n`` (by cell index) for ``translate.translated``,
    which finds the strings to translate there; ``to_text`` never writes it."""
    nb = read_source(path)
    setup, facts = _setup(nb, path, url, release)
    extra = [setup]
    if solved:
        extra.append(_code(HARNESS_CELL, "harness"))
    else:
        nb.cells = [c for c in nb.cells if AUTHOR_TEST not in c.metadata.get("tags", [])]
    marked = _map_code(nb, path, regions.solved if solved else regions.learner)
    nb = _finish(nb, path.stem, extra_cells=extra, facts=facts)
    nb.metadata["labkit"][MARKED] = {str(index + len(extra)): source
                                     for index, source in marked.items()}
    return nb


def _in_language(nb, lang: str, table, url: str):
    if lang == "en":
        return nb
    from labkit.notebook import translate

    return translate.translated(nb, table or {}, lang, url)


def _map_code(nb, path: Path, transform) -> dict[int, str]:
    """Turn each code cell into its learner or solved form, without markers; return the
    marked form of the cells that had markers, by cell index."""
    marked = {}
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            tags = list(cell.metadata.get("tags", []))
            if regions.BEGIN in cell.source:
                tags.append(EXERCISE)
            elif _is_protected(cell.source):
                tags.append(PROTECTED)
            cell.metadata["tags"] = tags
            where = f"{path.name}, cell {number}"
            source = transform(cell.source, where=where)
            cell.source = codetext.strip_markers(source, where)
            if cell.source != source:
                marked[number - 1] = source
    return marked


def _is_protected(source: str) -> bool:
    """Cells a learner must not change: imports, the exercise binding, and checks."""
    if CHECK_CALL.search(source) or "exercises.bind(" in source:
        return True
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body)


def _code(source: str, tag: str):
    import nbformat

    return nbformat.v4.new_code_cell(source, metadata={"tags": [tag, PROTECTED]})


def _finish(nb, chapter: str, extra_cells, facts: dict):
    """Put the extra cells first, clear outputs, and give every cell a stable id."""
    nb.cells = [*extra_cells, *nb.cells]
    seen: dict[str, int] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        tags = [t for t in cell.metadata.get("tags", [])]
        cell.metadata = {"tags": tags} if tags else {}
        digest = hashlib.sha1(cell.source.encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = f"{digest}-{seen[digest]}"
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                   "labkit": {"chapter": chapter, **facts}}
    if facts.get("accelerator") == "GPU":
        # Colab opens the notebook on a GPU runtime (Runtime > Change runtime type).
        nb.metadata["accelerator"] = "GPU"
        nb.metadata["colab"] = {"gpuType": "T4", "provenance": []}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def to_text(nb) -> str:
    import nbformat

    labkit = nb.metadata.get("labkit", {})
    if MARKED in labkit:
        nb = nbformat.from_dict({**nb, "metadata": {
            **nb.metadata, "labkit": {k: v for k, v in labkit.items() if k != MARKED}}})
    return nbformat.writes(nb) + "\n"


def build(repo: Path, *, write_learner: bool = True, write_solved: bool = True) -> list[Path]:
    """Build every chapter; return the committed files (notebooks, READMEs) that were stale.

    Each chapter is built in English and in every language of ``TRANSLATIONS``: the same
    code cells, the prose from ``notebooks/locale/<lang>/NN_name.po``. With
    ``write_learner=False`` the committed files are only compared, not written. Solved
    notebooks are build products: written when asked, never reported.
    """
    from labkit.notebook import translate

    url = repository_url(repo)
    release = Release(version(repo), setup_cell.read_pins(repo))
    sources = chapters(repo)
    tables = {lang: {c.stem: translate.chapter_table(repo, lang, c.stem) for c in sources}
              for lang in translate.TRANSLATIONS}
    stale = []
    for chapter in sources:
        learner = _notebook(chapter.source, url, solved=False, release=release)
        _emit(chapter.learner_path(repo), to_text(learner), stale, write_learner)
        solved = (_notebook(chapter.source, url, solved=True, release=release)
                  if write_solved else None)
        if solved is not None:
            _write(chapter.solved_path(repo), to_text(solved))
        for lang in translate.TRANSLATIONS:
            table = tables[lang][chapter.stem]
            _emit(chapter.translated_learner_path(repo, lang),
                  to_text(_in_language(learner, lang, table, url)), stale,
                  write_learner)
            if solved is not None:
                _write(chapter.translated_solved_path(repo, lang),
                       to_text(_in_language(solved, lang, table, url)))
    readmes = [("en", repo / "README.md")]
    # A translated README is optional (a course may have none); its tables are generated.
    readmes += [(lang, repo / f"README.{lang}.md") for lang in translate.TRANSLATIONS
                if (repo / f"README.{lang}.md").exists()]
    summaries = {c.stem: teaches(c.source) for c in sources}
    for lang, path in readmes:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        # a translation's summaries come from its catalogs (English has none)
        wanted = _readme(current, summaries, url, release.version, lang, tables.get(lang))
        _emit(path, wanted, stale, write_learner, current=current)
    return stale


def _readme(current: str, summaries: dict[str, str], url: str, course_version: str,
            lang: str, tables: dict[str, dict[str, str]] | None = None) -> str:
    """README text with its tables; ``tables``: each chapter's catalog, for a translation."""
    from labkit.notebook import readme

    folder = "notebooks" if lang == "en" else f"notebooks/{lang}"
    if tables is not None:
        summaries = {stem: tables[stem].get(text, text) for stem, text in summaries.items()}
    return readme.with_chapter_table(current, list(summaries), url, course_version, summaries,
                                     folder=folder, lang=lang)


def _emit(target: Path, text: str, stale: list[Path], write: bool, *,
          current: str | None = None) -> None:
    """Write a committed file when it differs (and writing is asked); note it as stale."""
    if current is None:
        current = target.read_text(encoding="utf-8") if target.exists() else None
    if current != text:
        stale.append(target)
        if write:
            _write(target, text)


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")

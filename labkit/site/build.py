"""The course site: every chapter, in every language, as a learner sees it after Run All.

    learner notebooks -> executed copies (reused when current, see execute.py)
    -> one HTML page each (nbconvert, JupyterLab's look, figures as files)
    -> the bar on every page: chapters, languages, Colab, Binder, download
    -> an index per language

nbconvert with a small template, not Jupyter Book: it ships with JupyterLab (nothing
more to install), works offline, and renders exactly what JupyterLab shows. The layout:

    index.html, NN_name.html, NN_name_files/, notebooks/NN_name.ipynb
    zh/index.html, zh/NN_name.html, ...
"""

from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from labkit.notebook.project import binder_url, colab_url, repository_url, version
from labkit.site.execute import execute_stale

TEMPLATES = Path(__file__).resolve().parent / "template"
LANGUAGES = {"en": "English", "zh": "中文"}
WORDS = {
    "en": {"course": "PyTorch, hands on", "chapters": "Chapters", "colab": "Open in Colab",
           "download": "Download notebook", "chapter": "Chapter", "title": "Title",
           "built": "Built from release {version}: every output is what Run All shows, "
                    "before any exercise is solved."},
    "zh": {"course": "PyTorch 动手学", "chapters": "章节", "colab": "在 Colab 中打开",
           "download": "下载 notebook", "chapter": "章节", "title": "标题",
           "built": "由 {version} 版构建：每个输出都是“全部运行”后的样子，练习尚未作答。"},
}


@dataclass(frozen=True)
class Page:
    lang: str
    stem: str
    notebook: Path  # the learner notebook (committed)
    executed: Path  # its executed copy

    @property
    def folder(self) -> str:
        """The page's folder inside the site ("" or "zh/")."""
        return "" if self.lang == "en" else f"{self.lang}/"

    @property
    def repo_path(self) -> str:
        return "notebooks/" + ("" if self.lang == "en" else f"{self.lang}/") + f"{self.stem}.ipynb"


def pages(root: Path, executed: Path) -> list[Page]:
    """Every learner notebook in every language that has them."""
    found = []
    for lang in LANGUAGES:
        sub = "" if lang == "en" else lang
        for notebook in sorted((root / "notebooks" / sub).glob("[0-9]*.ipynb")):
            found.append(Page(lang, notebook.stem, notebook, executed / sub / notebook.name))
    return found


def title_of(nb) -> str:
    """The chapter's title: its first top-level heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^# (.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return nb.metadata.get("labkit", {}).get("chapter", "")


def _relative(target: str, page_folder: str) -> str:
    """A link to ``target`` (relative to the site root) from a page in ``page_folder``."""
    return ("../" * page_folder.count("/")) + target


def _links(page: Page, every: list[Page], url: str, course_version: str) -> dict:
    same = [p for p in every if p.lang == page.lang]
    k = [p.stem for p in same].index(page.stem)
    to = lambda p: _relative(f"{p.folder}{p.stem}.html", page.folder)  # noqa: E731
    others = {p.lang: p for p in every if p.stem == page.stem}
    return {
        "css": _relative("course.css", page.folder),
        "home": "index.html",
        "words": WORDS[page.lang] | {"built": WORDS[page.lang]["built"].format(
            version=course_version)},
        "chapters": [{"stem": p.stem, "href": to(p), "current": p == page} for p in same],
        "languages": [{"code": code, "name": name, "current": code == page.lang,
                       "href": to(others[code]) if code in others else None}
                      for code, name in LANGUAGES.items() if code in others],
        "colab": colab_url(url, course_version, page.repo_path),
        "binder": binder_url(url, course_version, page.repo_path),
        "download": f"notebooks/{page.stem}.ipynb",
        "previous": {"stem": same[k - 1].stem, "href": to(same[k - 1])} if k > 0 else None,
        "next": {"stem": same[k + 1].stem, "href": to(same[k + 1])} if k + 1 < len(same)
        else None,
    }


def exporter():
    """nbconvert's HTML exporter with the course template; figures become files. One
    serves every page (its template is compiled once)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExtractOutputPreprocessor

    made = HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)])
    made.register_preprocessor(ExtractOutputPreprocessor(), enabled=True)
    return made


def render(page: Page, links: dict, out: Path, html_exporter=None) -> tuple[Path, str]:
    """Write the page, its figures and its download copy; return (html path, title)."""
    import nbformat
    from nbconvert.writers import FilesWriter

    nb = nbformat.read(page.executed, as_version=4)
    html_exporter = html_exporter or exporter()
    html_exporter.language_code = page.lang  # <html lang="...">; resources cannot set it
    folder = out / page.folder
    body, resources = html_exporter.from_notebook_node(nb, resources={
        "page": links, "unique_key": page.stem,
        "output_files_dir": f"{page.stem}_files", "metadata": {"name": title_of(nb)}})
    shutil.rmtree(folder / f"{page.stem}_files", ignore_errors=True)
    FilesWriter(build_directory=str(folder)).write(body, resources, notebook_name=page.stem)
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page.notebook, folder / "notebooks" / page.notebook.name)
    return folder / f"{page.stem}.html", title_of(nb)


_EXPORTER = None  # one per process: its template is compiled once


def _render_in_worker(job: tuple) -> tuple[Path, str]:
    global _EXPORTER
    _EXPORTER = _EXPORTER or exporter()
    return render(*job, html_exporter=_EXPORTER)


def _render_all(work: list[tuple], jobs: int) -> list[tuple[Path, str]]:
    """Render the pages, ``jobs`` processes at a time (nbconvert is single-threaded)."""
    if jobs <= 1 or len(work) <= 1:
        return [_render_in_worker(job) for job in work]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_render_in_worker, work))


def index_page(lang: str, entries: list[tuple[str, str]], every_lang: list[str],
               course_version: str) -> str:
    """The chapter list of one language, with links to the other languages' lists."""
    words = WORDS[lang]
    up = "" if lang == "en" else "../"
    switch = " · ".join(
        f"<strong>{LANGUAGES[code]}</strong>" if code == lang else
        f'<a hreflang="{code}" href="{up}{"" if code == "en" else code + "/"}index.html">'
        f"{LANGUAGES[code]}</a>" for code in every_lang)
    rows = "\n".join(f'<tr><td><a href="{stem}.html">{stem}</a></td>'
                     f"<td>{html.escape(title)}</td></tr>" for stem, title in entries)
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f"<title>{words['course']}</title>\n"
            f'<link rel="stylesheet" href="{up}course.css">\n</head>\n<body>\n'
            f'<div class="course-index">\n<h1>{words["course"]}</h1>\n<p>{switch}</p>\n'
            f"<table>\n<tr><th>{words['chapter']}</th><th>{words['title']}</th></tr>\n"
            f"{rows}\n</table>\n<p>{words['built'].format(version=course_version)}</p>\n"
            "</div>\n</body>\n</html>\n")


def build_site(root: Path, out: Path, *, executed: Path, jobs: int | None = None,
               echo=print) -> Path:
    """Build the site into ``out``; return the English index page."""
    root, out = Path(root), Path(out)
    url, course_version = repository_url(root), version(root)
    every = pages(root, Path(executed))
    jobs = jobs or min(2, os.cpu_count() or 1)
    execute_stale([(p.notebook, p.executed) for p in every], jobs=jobs, echo=echo)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "course.css", out / "course.css")
    entries: dict[str, list[tuple[str, str]]] = {}
    work = [(page, _links(page, every, url, course_version), out) for page in every]
    for page, (path, title) in zip(every, _render_all(work, jobs), strict=True):
        entries.setdefault(page.lang, []).append((page.stem, title))
        echo(f"wrote {path.relative_to(out)}")
    for lang, rows in entries.items():
        folder = out / ("" if lang == "en" else lang)
        (folder / "index.html").write_text(
            index_page(lang, rows, list(entries), course_version), encoding="utf-8")
    return out / "index.html"

"""The chapter table in README.md, with Colab and Binder badges built from one URL and
the release's tag (a badge opens the notebook of the release, never a moving branch)."""

from __future__ import annotations

from labkit.notebook.project import binder_url, colab_url

BEGIN, END = "<!-- chapters:begin -->", "<!-- chapters:end -->"
TEACHES_BEGIN, TEACHES_END = "<!-- teaches:begin -->", "<!-- teaches:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


# The words of the generated tables, per language.
WORDS = {
    "en": {"chapter": "Chapter", "learn": "You will learn", "colab": "Open in Colab"},
    "zh": {"chapter": "章节", "learn": "你将学到", "colab": "在 Colab 中打开"},
}


def chapter_table(stems: list[str], url: str, course_version: str, *,
                  folder: str = "notebooks", lang: str = "en") -> str:
    words = WORDS[lang]
    rows = [f"| {words['chapter']} | Colab | Binder |", "|---|---|---|"]
    for stem in stems:
        path = f"{folder}/{stem}.ipynb"
        colab, binder = colab_url(url, course_version, path), binder_url(url, course_version, path)
        rows.append(
            f"| [`{stem}`]({path}) | [![{words['colab']}]({COLAB_BADGE})]({colab}) "
            f"| [![Binder]({BINDER_BADGE})]({binder}) |"
        )
    return "\n".join(rows)


def teaches_table(teaches: dict[str, str], lang: str = "en") -> str:
    """What each chapter teaches, from the ``teaches`` line of each chapter's header."""
    words = WORDS[lang]
    rows = [f"| {words['chapter']} | {words['learn']} |", "|---|---|"]
    rows += [f"| `{stem}` | {text} |" for stem, text in teaches.items()]
    return "\n".join(rows)


def _between(readme: str, begin: str, end: str, table: str) -> str:
    if begin not in readme or end not in readme:
        raise ValueError(f"README.md needs the lines {begin} and {end} around a generated table")
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def with_chapter_table(readme: str, stems: list[str], url: str, course_version: str,
                       teaches: dict[str, str] | None = None, *,
                       folder: str = "notebooks", lang: str = "en") -> str:
    """README text with the generated tables replaced (their markers are required)."""
    readme = _between(readme, BEGIN, END,
                      chapter_table(stems, url, course_version, folder=folder, lang=lang))
    if teaches is not None:
        readme = _between(readme, TEACHES_BEGIN, TEACHES_END, teaches_table(teaches, lang))
    return readme

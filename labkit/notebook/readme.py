"""The chapter table in README.md, with Colab and Binder badges built from one URL."""

from __future__ import annotations

from labkit.notebook.project import github_slug

BEGIN, END = "<!-- chapters:begin -->", "<!-- chapters:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def chapter_table(stems: list[str], url: str, branch: str = "main") -> str:
    slug = github_slug(url)
    rows = ["| Chapter | Colab | Binder |", "|---|---|---|"]
    for stem in stems:
        path = f"notebooks/{stem}.ipynb"
        colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/{path}"
        binder = f"https://mybinder.org/v2/gh/{slug}/{branch}?labpath={path}"
        rows.append(
            f"| [`{stem}`]({path}) | [![Open in Colab]({COLAB_BADGE})]({colab}) "
            f"| [![Binder]({BINDER_BADGE})]({binder}) |"
        )
    return "\n".join(rows)


def with_chapter_table(readme: str, stems: list[str], url: str) -> str:
    """README text with the table between the markers replaced (markers required)."""
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README.md needs the lines {BEGIN} and {END} around the chapter table")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{chapter_table(stems, url)}\n{END}{tail}"

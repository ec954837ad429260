"""Facts about the course repository, read from its one source: pyproject.toml."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def pyproject(repo: Path) -> dict:
    path = repo / "pyproject.toml"
    if not path.exists():
        raise FileNotFoundError(
            f"no pyproject.toml in {repo}: run this from the course repository's root "
            "(or pass --root PATH)"
        )
    return tomllib.loads(path.read_text())


def repository_url(repo: Path) -> str:
    """The course's repository URL, from ``[project.urls] Repository``."""
    urls = pyproject(repo).get("project", {}).get("urls", {})
    if "Repository" not in urls:
        raise KeyError("pyproject.toml has no [project.urls] Repository entry; add it")
    return urls["Repository"].rstrip("/")


def github_slug(url: str) -> str:
    """'https://github.com/org/repo' -> 'org/repo' (badges need it)."""
    prefix = "https://github.com/"
    if not url.startswith(prefix):
        raise ValueError(f"the repository URL must start with {prefix}; got {url!r}")
    return url[len(prefix):].removesuffix(".git")

"""Facts about the course repository, read from its one source: pyproject.toml.

Two facts there reach the learner: the repository URL (``[project.urls] Repository``)
and the version (``[project] version``). Every setup cell, badge, site page and test
builds its links from them, and a notebook installs the course at the release it was
built from: the git tag ``v<version>``, never a branch that moves. A fork edits the URL
line, then runs ``labkit build``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACKAGE = "labkit"
GITHUB = "https://github.com/"


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


def version(repo: Path) -> str:
    """The course's version, from ``[project] version``."""
    found = pyproject(repo).get("project", {}).get("version")
    if not found:
        raise KeyError('pyproject.toml has no [project] version = "X.Y.Z"; add it')
    return str(found)


def release_tag(course_version: str) -> str:
    """The git tag a release of ``course_version`` carries: ``v0.2.0``."""
    return f"v{course_version}"


def install_source(url: str, course_version: str) -> str:
    """What pip installs in a setup cell: the course at its release tag."""
    return f"{PACKAGE} @ git+{url}@{release_tag(course_version)}"


def github_slug(url: str) -> str:
    """'https://github.com/org/repo' -> 'org/repo' (badges need it)."""
    if not url.startswith(GITHUB):
        raise ValueError(f"the repository URL must start with {GITHUB}; got {url!r}")
    return url[len(GITHUB):].removesuffix(".git")


def colab_url(url: str, course_version: str, path: str) -> str:
    """Open ``path`` (e.g. notebooks/01_tensors.ipynb) of the release in Colab."""
    return (f"https://colab.research.google.com/github/{github_slug(url)}/blob/"
            f"{release_tag(course_version)}/{path}")


def binder_url(url: str, course_version: str, path: str) -> str:
    """Open ``path`` of the release in JupyterLab on Binder."""
    return (f"https://mybinder.org/v2/gh/{github_slug(url)}/{release_tag(course_version)}"
            f"?labpath={path}")


def installed_version() -> str:
    """labkit's version: from the checkout's pyproject.toml when labkit runs from one (so
    it is never stale), else from the installed package's metadata."""
    checkout = Path(__file__).resolve().parents[2]
    try:
        project = pyproject(checkout).get("project", {})
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") == PACKAGE and project.get("version"):
        return str(project["version"])
    from importlib import metadata

    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"

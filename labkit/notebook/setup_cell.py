"""The first cell of every notebook: the course where it is missing, at the release the
notebook was built from, and the packages the chapter needs beyond the runtime's own.

On a laptop (`make lab`) everything is installed and the cell does nothing. On Colab it
installs labkit with ``--no-deps`` from the release's git tag (never a branch that
moves), then calls `labkit.extras.install` with the chapter's extra packages pinned to
the versions in ``constraints.txt``: that installs only what is missing and never
replaces the runtime's torch or numpy.

A chapter names its extras in its header (the pins come from ``constraints.txt``)::

    #   labkit:
    #     extras: [onnx, onnxruntime, onnxscript]
"""

from __future__ import annotations

import re
from pathlib import Path

from labkit.notebook.project import install_source
from labkit.notebook.regions import RegionError

CONSTRAINTS = "constraints.txt"
# Every notebook may speak another language, and labkit reads its catalogs with babel.
ALWAYS = ("babel",)

TEMPLATES = {
    "en": '''\
# Setup: installs the course where it is missing (on Colab, for example), at the release
# this notebook was built from. --no-deps keeps the torch that is already installed.
try:
    import labkit
except ImportError:
    %pip install --quiet --no-deps "{install}"
    import labkit
# Packages this chapter needs, at tested versions; only those missing are installed.
labkit.extras.install({extras})''',
    "zh": '''\
# 设置：只在缺少课程包时安装它（例如在 Colab 上），版本与构建这个 notebook 时的一致。
# --no-deps 会保留已经装好的 torch。
try:
    import labkit
except ImportError:
    %pip install --quiet --no-deps "{install}"
    import labkit
# 本章需要的其他包，使用测试过的版本；只安装缺少的那些（babel 用来读取中文翻译）。
labkit.extras.install({extras})
# 从这里起，检查结果、提示和图都是中文（没有中文字体时，图用课程自带的字体）
labkit.i18n.set_language("zh")''',
}


def read_pins(repo: Path) -> dict[str, str]:
    """``{name: "name==version"}`` from the repository's constraints.txt (a scratch course
    without one, as in the tests, uses labkit's own)."""
    path = repo / CONSTRAINTS
    if not path.exists():
        path = Path(__file__).resolve().parents[2] / CONSTRAINTS
    pins = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                name = re.split(r"[=<>!~;\[ ]", line, maxsplit=1)[0]
                pins[name.lower()] = line
    return pins


def chapter_extras(metadata: dict, pins: dict[str, str], where: str) -> list[str]:
    """The pinned requirements a chapter's setup cell installs where they are missing."""
    declared = (metadata.get("labkit") or {}).get("extras") or []
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        raise RegionError(f"{where}: `labkit: extras:` must be a list of package names, "
                          "e.g. [onnx, onnxruntime]")
    wanted = [*ALWAYS, *declared]
    unpinned = [name for name in wanted if name.lower() not in pins]
    if unpinned:
        raise RegionError(f"{where}: no version for {', '.join(unpinned)} in {CONSTRAINTS}; "
                          "add a line such as `onnx==1.23.2` there (the tested version)")
    return [pins[name.lower()] for name in wanted]


def setup_source(lang: str, url: str, course_version: str, extras: list[str]) -> str:
    """The setup cell's code in ``lang`` (the same code in every language, apart from
    comments and the language switch)."""
    return TEMPLATES[lang].format(install=install_source(url, course_version),
                                  extras=", ".join(f'"{pin}"' for pin in extras))

"""`labkit doctor`: every part the course needs, found or missing, each with its fix.

Each part is checked by a small function that reads and never changes anything (the
font search adds the system's CJK fonts to Matplotlib's list in this process only).
A part is *missing* when a chapter cannot run as written without it; the command
exits 1 when any is.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from labkit.i18n import _

# The oldest releases labkit works with (pyproject.toml says the same; a test checks it).
MIN_PYTHON = (3, 10)
MIN_TORCH = (2, 7)
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
INSTALL = "pip install -e .  (or `make lab`)"


@dataclass(frozen=True)
class Part:
    name: str
    found: bool
    detail: str  # the version or what was seen
    fix: str = ""  # how to get it, when missing


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _release(text: str) -> tuple[int, ...]:
    """'2.14.1+cu130' -> (2, 14, 1)."""
    numbers = []
    for piece in text.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def package(name: str, label: str | None = None, fix: str = INSTALL) -> Part:
    """Installed (by its metadata) or not."""
    found = _version(name)
    if found is None:
        return Part(label or name, False, _("not installed"), fix)
    return Part(label or name, True, found)


def _recent_enough(name: str, found: str | None, floor: tuple[int, ...]) -> Part:
    """``name`` at version ``found`` (None: not installed) against the oldest that works."""
    if found is None:
        return Part(name, False, _("not installed"), INSTALL)
    if _release(found) < floor:
        return Part(name, False, _("{version} is too old").format(version=found),
                    _("install {name} {version} or newer (see README)").format(
                        name=name, version=".".join(map(str, floor))))
    return Part(name, True, found)


def python() -> Part:
    return _recent_enough("Python", ".".join(map(str, sys.version_info[:3])), MIN_PYTHON)


def torch_part() -> Part:
    return _recent_enough("PyTorch", _version("torch"), MIN_TORCH)


def torchvision_part() -> Part:
    """torchvision must import beside this torch (a mismatched pair fails at import)."""
    found = _version("torchvision")
    if found is None:
        return Part("torchvision", False, _("not installed"), INSTALL)
    try:
        import torchvision  # noqa: F401
    except Exception as err:  # e.g. "operator torchvision::nms does not exist"
        return Part("torchvision", False, _("{version} does not import: {error}").format(
            version=found, error=str(err).splitlines()[0][:120] if str(err) else
            type(err).__name__),
            _("install the torchvision release made for your PyTorch (see README)"))
    return Part("torchvision", True, found)


def widgets_extension(search=None) -> Part:
    """JupyterLab's widget manager: without it a slider shows as plain text."""
    if search is None:
        try:
            from jupyter_core.paths import jupyter_path
        except ImportError:
            search = []
        else:
            search = jupyter_path("labextensions")
    for folder in search:
        manifest = Path(folder) / WIDGETS_EXTENSION / "package.json"
        if manifest.is_file():
            try:
                found = json.loads(manifest.read_text()).get("version", "?")
            except (OSError, ValueError):
                found = "?"
            return Part(_("widgets extension"), True, f"{WIDGETS_EXTENSION} {found}")
    return Part(_("widgets extension"), False, _("not found"),
                "pip install jupyterlab_widgets  " + _("(then restart JupyterLab)"))


def cjk_font_part() -> Part:
    from labkit.i18n.fonts import cjk_font

    family = cjk_font()
    if family:
        return Part(_("CJK font"), True, family)
    return Part(_("CJK font"), False, _("none; Chinese notebooks draw English labels"),
                _("Debian/Ubuntu: apt-get install fonts-noto-cjk; macOS and Windows have "
                  "one built in"))


def data_part() -> Part:
    """The shipped MNIST subset (what offline notebooks need), and what is on disk."""
    from labkit.env import mnist_status

    shipped = Path(__file__).resolve().parent / "data" / "mnist_subset.npz"
    if not shipped.is_file():
        return Part("MNIST", False, _("the offline subset is missing from labkit"),
                    _("reinstall the course: {command}").format(command=INSTALL))
    usable, on_disk = mnist_status()
    if not usable:
        return Part("MNIST", False, on_disk)  # the message says the fix
    return Part("MNIST", True, on_disk)


def parts() -> list[Part]:
    """Every part the course needs, in the order a learner meets them."""
    return [
        python(), torch_part(), torchvision_part(), package("numpy"), package("matplotlib"),
        package("tqdm"), package("jupyterlab", "JupyterLab"), package("ipywidgets"),
        widgets_extension(), package("babel"), package("onnx"), package("onnxruntime"),
        package("onnxscript"), cjk_font_part(), data_part(),
    ]


def format_parts(found: list[Part], *, only_missing: bool = False) -> str:
    """A table of parts and a closing line; ``only_missing`` leaves out the good ones."""
    from labkit.env import columns

    shown = [p for p in found if not (only_missing and p.found)]
    width = max((columns(p.name) for p in shown), default=0)
    lines = []
    for part in shown:
        mark = "ok     " if part.found else "MISSING"
        line = f"{mark}  {part.name}{' ' * (width - columns(part.name))}  {part.detail}"
        if not part.found and part.fix:
            line += "\n" + " " * (width + 11) + _("fix: {fix}").format(fix=part.fix)
        lines.append(line)
    missing = [p.name for p in found if not p.found]
    if missing:
        lines.append(_("{count} part(s) missing: {names}.").format(
            count=len(missing), names=", ".join(missing)))
    else:
        lines.append(_("Every part the course needs is here."))
    return "\n".join(lines)

"""What a child may read: the one list every isolation mechanism enforces.

The list is derived, not kept by hand: Python's own folders (its prefixes and every
``site-packages`` on ``sys.path``), the labkit package alone (never the course
repository around it, with its tests and solved notebooks), the system's libraries and
programs, a handful of files from /etc that programs need to start, the data prepared
for children (``labkit.grade.heldout``) and nothing else. Not in it: the submissions,
the output folder, the grader's home, hidden checks, the rest of /etc, other users'
files, /tmp and /dev/shm of the machine.

``masked`` lists files inside a readable folder that a child must not read (held-out
labels shipped inside the package); each mechanism covers them: a bind mount of a
blanked copy, or no Landlock rule for them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda")
ETC = ("passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
       "localtime", "fonts", "alternatives", "mime.types")
DEVICES = ("null", "zero", "full", "random", "urandom")
GPU_GLOBS = ("nvidia*", "dri")


@dataclass
class View:
    """Paths a child reads (as the child sees them), with where each one comes from."""

    readable: list[Path] = field(default_factory=list)  # folders and files, read-only
    links: dict[Path, str] = field(default_factory=dict)  # /lib -> usr/lib, kept as links
    devices: list[Path] = field(default_factory=list)  # read-write device nodes
    masked: dict[Path, Path] = field(default_factory=dict)  # path -> blanked copy

    def to_config(self) -> dict:
        """Plain lists and dicts of strings, to travel to the child."""
        return {"readable": [str(p) for p in self.readable],
                "links": {str(k): v for k, v in self.links.items()},
                "devices": [str(p) for p in self.devices],
                "masked": {str(k): str(v) for k, v in self.masked.items()}}

    @classmethod
    def from_config(cls, config: dict) -> View:
        return cls([Path(p) for p in config["readable"]],
                   {Path(k): v for k, v in config["links"].items()},
                   [Path(p) for p in config["devices"]],
                   {Path(k): Path(v) for k, v in config["masked"].items()})


def labkit_package() -> Path:
    return Path(__file__).resolve().parents[1]


def python_paths() -> list[Path]:
    """Python's prefixes and the folders on ``sys.path`` that belong to an installation."""
    prefixes = {Path(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    found = set(prefixes)
    for entry in sys.path:
        if not entry:
            continue
        path = Path(entry)
        inside = any(path.is_relative_to(p) for p in prefixes)
        if inside or path.name in ("site-packages", "dist-packages"):
            found.add(path)
    for path in list(found):  # a venv whose site-packages lives elsewhere (a link)
        if path.exists() and path.resolve() != path:
            found.add(path.resolve())
    return sorted(p for p in found if p.exists())


def build(*, data_dir: str | None = None, masked: dict[str, str] | None = None) -> View:
    import glob

    view = View()
    for name in SYSTEM:
        path = Path(name)
        if path.is_symlink():
            view.links[path] = str(path.readlink())
        elif path.is_dir():
            view.readable.append(path)
    for name in ETC:
        path = Path("/etc") / name
        if path.exists():
            view.readable.append(path)
    view.readable += python_paths()
    view.readable.append(labkit_package())
    if data_dir:
        view.readable.append(Path(data_dir))
    cpu = Path("/sys/devices/system/cpu")
    if cpu.is_dir():
        view.readable.append(cpu)
    view.devices = [Path("/dev") / d for d in DEVICES if (Path("/dev") / d).exists()]
    for pattern in GPU_GLOBS:
        view.devices += [Path(p) for p in sorted(glob.glob(f"/dev/{pattern}"))]
    view.masked = {Path(k): Path(v) for k, v in (masked or {}).items()}
    view.readable = _outermost(view.readable)
    return view


def _outermost(paths: list[Path]) -> list[Path]:
    """Each path once, and none that lies inside another (its folder covers it)."""
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return sorted(kept)

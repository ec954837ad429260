"""A private machine for one child: its own mount, PID, network and IPC namespaces.

``enter`` runs in the child's first process (root, or an ordinary user who then gets a
user namespace of their own). The next process it forks is PID 1 of a fresh PID
namespace: when it ends, the kernel kills everything it started, even processes that
left its session. That process calls ``build_root``, which makes a new root file system
out of a small tmpfs holding, read-only, exactly the paths of ``labkit.grade.view``;
a private /tmp (the working folder) and /dev/shm, both small tmpfs that vanish with
the namespace; a /proc that shows only the child's own processes; a handful of device
nodes. It then switches to that root and unmounts the machine's. No network device
but its own loopback (``loopback_up``), which reaches nothing outside.

Uses only system calls (through ctypes), so it works without bubblewrap; where the
kernel or the grader's privileges refuse a step, it raises OSError and the grader
falls back or refuses (see ``labkit.grade.isolation``).
"""

from __future__ import annotations

import ctypes
import os
import platform
from pathlib import Path

from labkit.grade.view import View

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_ST_TO_MS = {os.ST_RDONLY: MS_RDONLY, os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV,
             os.ST_NOEXEC: MS_NOEXEC, os.ST_NOATIME: MS_NOATIME,
             os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}
WORKDIR = "/tmp/work"
_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags: int, data: str | None = None) -> None:
    _check(_c().mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)),
           f"mount {target}")


def _b(text):
    return None if text is None else str(text).encode()


def enter(*, as_user: bool) -> None:
    """Unshare mount, PID, network, IPC and UTS namespaces (and the user one when
    ``as_user``: an ordinary user's way to get them). Must run single-threaded."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    uid, gid = os.getuid(), os.getgid()
    if as_user:
        flags |= CLONE_NEWUSER
    _check(_c().unshare(flags), "unshare")
    if as_user:  # map the user to itself: nothing is root in there
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)


def build_root(root: str, view: View, *, owner: tuple[int, int] | None,
               tmp_mb: int = 256, shm_mb: int = 64) -> None:
    """Make ``root`` (an empty folder) the new root holding only ``view``; chdir to the
    working folder. ``owner`` (uid, gid) gets the writable folders."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=8m")
    new = Path(root)
    for path, target in sorted(view.links.items()):
        _make_parents(new, path)
        os.symlink(target, new / path.relative_to("/"))
    _tmpfs(new / "tmp", f"mode=1777,size={tmp_mb}m,nr_inodes=65536")
    for path in view.readable:
        _bind(path, new / path.relative_to("/"), read_only=True)
    for path, copy in sorted(view.masked.items()):
        if (new / path.relative_to("/")).exists():
            _bind(copy, new / path.relative_to("/"), read_only=True)
    (new / "dev").mkdir(exist_ok=True)
    for device in view.devices:
        _bind(device, new / device.relative_to("/"), read_only=False, devices=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, new / "dev" / name)
    _tmpfs(new / "dev" / "shm", f"mode=1777,size={shm_mb}m,nr_inodes=4096")
    (new / "proc").mkdir()
    mount("proc", new / "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    work = new / WORKDIR.lstrip("/")
    work.mkdir(mode=0o700)
    if owner is not None:
        os.chown(work, *owner)
    mount(None, root, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(root)
    _check(_c().syscall(_PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(_c().umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir(WORKDIR)


def loopback_up() -> None:
    """Bring up the namespace's own loopback device (it starts down)."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def _tmpfs(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def _make_parents(new: Path, path: Path) -> None:
    (new / path.relative_to("/")).parent.mkdir(parents=True, exist_ok=True, mode=0o755)


def _bind(source: Path, target: Path, *, read_only: bool, devices: bool = False) -> None:
    real = Path(source).resolve()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    if real.is_dir():
        target.mkdir(exist_ok=True)
    elif not target.exists():
        target.touch()
    mount(real, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if devices else MS_NODEV)
    flags |= MS_RDONLY if read_only else 0
    locked = os.statvfs(target).f_flag  # flags a user namespace may not clear
    flags |= sum(ms for st, ms in _ST_TO_MS.items() if locked & st)
    mount(None, target, None, flags)

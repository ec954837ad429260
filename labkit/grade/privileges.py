"""A child never runs as root: who it becomes, and the calls that make it so.

- A grader that is really root (uid 0 in the machine's own user namespace) hands the
  child to ``nobody``: setgroups, setgid, setuid, in that order, and checks the result.
- Any other grader is already an ordinary user outside; a child that gained
  capabilities inside a user namespace of its own (to build its private view) gives
  them all up.

Either way ``no_new_privs`` is set, so no program the child runs (a set-uid one
included) can gain privileges again.
"""

from __future__ import annotations

import ctypes
import os

_PR_SET_NO_NEW_PRIVS = 38
_CAP_VERSION_3 = 0x20080522


def nobody_ids() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def real_root() -> bool:
    """True when this process is root of the machine, not only of a user namespace."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as handle:
            first = handle.readline().split()
    except OSError:
        return True
    return first[:3] == ["0", "0", "4294967295"]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    return libc.capset(ctypes.byref(header), data) == 0


def drop(*, ids: tuple[int, int] | None = None) -> str:
    """Become unprivileged for good; return who the child now is, in words.

    Raises PermissionError when that cannot be done (the caller must then not run
    student code)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if real_root():
        uid, gid = ids or nobody_ids()
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if 0 in os.getresuid() or 0 in os.getresgid():
            raise PermissionError("the child is still root after setuid")
        who = f"nobody (uid {uid})"
    else:
        if not drop_capabilities():
            raise PermissionError("the child could not give up its capabilities")
        who = f"the grader's own unprivileged user (uid {os.getuid()})"
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise PermissionError("no_new_privs could not be set")
    return who

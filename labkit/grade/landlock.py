"""Landlock: a fence a process puts around itself and everything it starts.

Landlock is a Linux security module (kernel 5.13 and newer) that any process, root
included, can apply to itself; it cannot be undone. The grader's child applies it
before any student code runs:

- reads (``readable``): only below the folders and files named, every other file on the
  machine is refused, whatever its permissions; files in ``masked`` stay refused even
  inside a readable folder (held-out labels shipped with the package);
- writes: only below ``writable``;
- no signals to processes outside the fence and no connection to abstract Unix
  sockets made outside it (ABI 6 and newer).

``restrict`` returns what took effect; where the kernel lacks Landlock it does nothing
and says so.
"""

from __future__ import annotations

import ctypes
import os
import platform
from pathlib import Path

_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE = 1 << 4, 1 << 5
MAKE = sum(1 << bit for bit in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
READ = EXECUTE | READ_FILE | READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when there is none."""
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None or platform.system() != "Linux":
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(numbers[0], None, ctypes.c_size_t(0),
                           ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def restrict_writes(writable: list[str]) -> bool:
    """From now on this process may write only below ``writable``; True if applied."""
    return bool(restrict(writable=writable).get("writes"))


def restrict(*, writable, readable=None, masked=()) -> dict[str, bool]:
    """Apply the fence; ``readable`` None leaves reads alone. Returns what took effect:
    ``writes``, ``reads`` and ``scoped`` (signals, abstract sockets). TCP is left alone:
    the course's process groups (chapter 05) talk over TCP on the loopback."""
    abi = abi_version()
    if abi < 1:
        return {}
    create, add_rule, enforce = _SYSCALLS[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    writes = WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE
    writes |= (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    handled = writes | (READ if readable is not None else 0)
    if abi >= 5:
        handled |= IOCTL_DEV
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    attr = _RulesetAttr(handled, 0, scoped)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return {}
    rules: dict[str, int] = {}
    for path in writable:
        own = handled if os.path.isdir(path) else (
            WRITE_FILE | READ_FILE | (TRUNCATE | IOCTL_DEV) & handled)
        rules[str(path)] = rules.get(str(path), 0) | own
    if readable is not None:
        for path, access in _read_rules(readable, masked).items():
            rules[path] = rules.get(path, 0) | access
    try:
        for path, access in rules.items():
            if not os.path.exists(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                if not os.path.isdir(path):
                    access &= ~(READ_DIR | MAKE | REMOVE_DIR | REMOVE_FILE | REFER)
                rule = _PathBeneath(access & handled, fd)
                if libc.syscall(add_rule, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule),
                                ctypes.c_uint32(0)) != 0:
                    return {}
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return {}
        if libc.syscall(enforce, ruleset, ctypes.c_uint32(0)) != 0:
            return {}
    finally:
        os.close(ruleset)
    return {"writes": True, "reads": readable is not None, "scoped": bool(scoped)}


def _read_rules(readable, masked) -> dict[str, int]:
    """Read rights for each readable path; a folder holding a masked file is opened up
    entry by entry, leaving that file out (a rule always covers everything beneath)."""
    masked = [Path(m) for m in masked]
    rules: dict[str, int] = {}
    pending = [Path(p) for p in readable]
    while pending:
        path = pending.pop()
        inside = [m for m in masked if m != path and m.is_relative_to(path)]
        if path in masked:
            continue
        if not inside or not path.is_dir():
            rules[str(path)] = READ
            continue
        rules[str(path)] = READ_DIR  # list it, but read its files one rule at a time
        try:
            pending += [path / name for name in os.listdir(path)]
        except OSError:
            continue
    return rules

"""The grader's line to one child: framed messages over a socket, with deadlines.

A frame is a 4-byte length and the payload. The grader writes ``kind + nonce + body``
and expects ``nonce + body`` back, the nonce a fresh random 8 bytes per request: a reply
to another request, or bytes the learner's code wrote into the socket itself, do not
carry it. The grader never waits without a deadline (the clock is the grader's, not the
child's), never reads a frame over ``MAX_FRAME`` and never trusts a reply's content:
``labkit.check.plain.decode`` and the schemas in ``labkit.grade.child`` do that.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time

from labkit.check import plain

_LENGTH = struct.Struct("<I")
NONCE = 8
MAX_FRAME = plain.MAX_BYTES + 4096


class ChannelError(RuntimeError):
    """Base of what can go wrong on the line; ``status`` is the submission's status."""

    status = "crashed"


class Timeout(ChannelError):
    status = "timeout"


class Closed(ChannelError):
    """The child's end is closed: it exited or was killed."""


class Garbled(ChannelError):
    """The child sent bytes that are not a reply to the question asked."""


class GraderSide:
    """The grader's end: ``ask(kind, body, deadline)`` returns the reply's body."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.setblocking(False)

    def ask(self, kind: bytes, body: bytes, deadline: float) -> bytes:
        nonce = os.urandom(NONCE)
        self._send(kind + nonce + body, deadline)
        reply = self.receive(deadline)
        if reply[:NONCE] != nonce:
            raise Garbled("a reply that does not answer the question asked (the "
                          "notebook's code wrote into the grader's channel)")
        return reply[NONCE:]

    def receive(self, deadline: float) -> bytes:
        (length,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
        if length > MAX_FRAME:
            raise Garbled(f"a reply of {length / 2**20:.0f} MB, over the limit")
        return self._read(length, deadline)

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            self._wait(deadline, write=True)
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                continue
            except OSError:
                raise Closed("the notebook's process closed its channel") from None
            view = view[sent:]

    def _read(self, count: int, deadline: float) -> bytes:
        buffer = bytearray()
        while len(buffer) < count:
            self._wait(deadline, write=False)
            try:
                chunk = self.sock.recv(min(count - len(buffer), 1 << 20))
            except BlockingIOError:
                continue
            except OSError:
                raise Closed("the notebook's process closed its channel") from None
            if not chunk:
                raise Closed("the notebook's process closed its channel")
            buffer += chunk
        return bytes(buffer)

    def _wait(self, deadline: float, *, write: bool) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("no reply before the time limit")
        args = ([], [self.sock], []) if write else ([self.sock], [], [])
        ready = select.select(*args, min(left, 0.5))
        if not any(ready) and time.monotonic() >= deadline:
            raise Timeout("no reply before the time limit")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ChildSide:
    """The child's end: blocking reads of requests, replies stamped with their nonce."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.setblocking(True)

    def next_request(self) -> tuple[bytes, bytes, bytes] | None:
        """(kind, nonce, body), or None when the grader has gone."""
        try:
            header = self._read(_LENGTH.size)
            (length,) = _LENGTH.unpack(header)
            data = self._read(length)
        except (EOFError, OSError):
            return None
        return data[:1], data[1:1 + NONCE], data[1 + NONCE:]

    def reply(self, nonce: bytes, body: bytes) -> None:
        data = nonce + body
        self.sock.sendall(_LENGTH.pack(len(data)) + data)

    def _read(self, count: int) -> bytes:
        buffer = bytearray()
        while len(buffer) < count:
            chunk = self.sock.recv(count - len(buffer))
            if not chunk:
                raise EOFError
            buffer += chunk
        return bytes(buffer)

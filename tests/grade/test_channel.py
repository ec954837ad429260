"""The grader's line to a child (labkit.grade.channel): every wait bounded, every frame
checked, a reply that does not answer the question refused."""

import socket
import struct
import threading
import time

import pytest

from labkit.grade import channel


@pytest.fixture
def line():
    ours, theirs = socket.socketpair()
    yield channel.GraderSide(ours), channel.ChildSide(theirs)
    ours.close()
    theirs.close()


def test_a_question_and_its_answer(line):
    grader, child = line

    def answer():
        kind, nonce, body = child.next_request()
        child.reply(nonce, kind + body[::-1])

    threading.Thread(target=answer).start()
    assert grader.ask(b"c", b"abc", time.monotonic() + 5) == b"ccba"


def test_a_silent_child_meets_the_deadline_of_the_grader(line):
    grader, _ = line
    start = time.monotonic()
    with pytest.raises(channel.Timeout):
        grader.ask(b"c", b"x", start + 0.3)
    assert time.monotonic() - start < 2


def test_a_frame_that_stops_halfway_meets_the_deadline(line):
    grader, child = line
    child.sock.sendall(struct.pack("<I", 1000) + b"only part")
    with pytest.raises(channel.Timeout):
        grader.receive(time.monotonic() + 0.3)


def test_a_reply_with_another_nonce_is_garbled(line):
    grader, child = line
    child.reply(b"\0" * channel.NONCE, b"forged in advance")
    with pytest.raises(channel.Garbled, match="does not answer"):
        grader.ask(b"c", b"x", time.monotonic() + 2)


def test_a_huge_length_is_refused_before_reading(line):
    grader, child = line
    child.sock.sendall(b"Not at EOF? ")
    with pytest.raises(channel.Garbled, match="over the limit"):
        grader.receive(time.monotonic() + 2)


def test_a_closed_child_is_told_apart(line):
    grader, child = line
    child.sock.close()
    with pytest.raises(channel.Closed):
        grader.receive(time.monotonic() + 2)

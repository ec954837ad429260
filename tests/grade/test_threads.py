"""Checks of several submissions run at once in one grader: each keeps its own random
sequence while the others wait for their children."""

import pickle
import threading
import time

import torch

from labkit.check import Exercise, expect, plain, run_check
from labkit.grade.judge import CHECK_LOCK
from labkit.grade.run import RemoteHost


class SlowChild:
    """Stands in for a learner process: answers after a pause, like a busy child.

    A real child is another process; this one answers without touching this process's
    random generator (as LearnerSide would, which seeds it), so only the checks use it.
    """

    def __init__(self, namespace):
        self.namespace = namespace

    def exchange(self, request: bytes) -> bytes:
        time.sleep(0.02)
        asked = pickle.loads(request)
        if asked["op"] == "lookup":
            return plain.encode(("ok", {plain.MARKER: 1, "type": "function"}))
        return plain.encode(("ok", {"value": torch.ones(1), "report": {"used": [], "changed": []}}))


class DrawsAroundACall(Exercise):
    name, title = "draws", "Draws around a call"

    def check(self, f):
        first = torch.rand(4)  # the check's own draws from the global generator...
        self.call(f, torch.ones(1), during="`f(x)`")
        second = torch.rand(4)  # ...continue the same sequence after the call
        g = torch.Generator().manual_seed(self.seed)
        expected = torch.cat([torch.rand(4, generator=g), torch.rand(4, generator=g)])
        expect.close(torch.cat([first, second]), expected, name="draws")


def test_concurrent_checks_keep_their_own_random_sequence():
    results = {}

    def grade_one(seed):
        with CHECK_LOCK:
            host = RemoteHost(SlowChild({"f": lambda x: torch.rand(100) + x}), CHECK_LOCK)
            results[seed] = run_check(DrawsAroundACall(), host, seed=seed)

    threads = [threading.Thread(target=grade_one, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.passed for r in results.values()), [r.text() for r in results.values()]


def test_without_taking_turns_the_sequences_would_mix():
    """The test above can fail: with no lock, threads draw from each other's sequence."""
    mixed = False
    for _ in range(3):  # thread timing decides; one mix in three tries is plenty
        results = {}

        def grade_one(seed, results=results):
            host = RemoteHost(SlowChild({"f": lambda x: x}))
            results[seed] = run_check(DrawsAroundACall(), host, seed=seed)

        threads = [threading.Thread(target=grade_one, args=(seed,)) for seed in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        mixed = mixed or not all(r.passed for r in results.values())
    assert mixed

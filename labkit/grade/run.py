"""Step 4, run: start the learner's process; cells run as the judge reaches them.

The child is started with the run's isolation (``labkit.grade.isolation``); one that
cannot apply it runs nothing (``grader_error``). Cells run in notebook order, each at
most once, and only the cells some exercise needs (``labkit.grade.plan``); the
``Session`` runs those before a position when the judge asks for it, so a cell never
runs after a later one. A cell's error is recorded with the cell; whether it was out
of memory is the child's structured answer, never a word matched in a message.
"""

from __future__ import annotations

from labkit.check.host import Host
from labkit.grade.pipeline import CellRun


def step(work) -> None:
    from labkit.grade.process import LearnerProcess

    exercises = work.exercises
    process = LearnerProcess(work.options.settings,
                             probe_modules=getattr(exercises, "modules", ("labkit.",)),
                             probe_sources=getattr(exercises, "probe_sources", {}))
    work.cleanup.callback(process.stop)
    work.protections = process.protections
    expected = work.options.protections
    if expected and process.protections.get("reads") != expected.get("reads"):
        from labkit.grade.pipeline import Stop
        from labkit.i18n import N_

        raise Stop("grader_error", N_("the child's isolation differed from the run's "
                                      "({found}); it ran no student code"),
                   found=process.protections.get("reads", "?"))
    work.session = Session(process, work)


class Session:
    """The running child of one submission and the cells it has run."""

    def __init__(self, process, work):
        self.process, self.work = process, work
        self.ran: set[int] = set()

    def run_before(self, position: int) -> None:
        """Run every needed cell before ``position`` that has not run yet."""
        cells = self.work.restored.cells
        for index in sorted(i for i in self.work.plan.needed if i < position):
            if index in self.ran:
                continue
            self.ran.add(index)
            reply = self.process.run_cell(cells[index].source)
            self.work.output_dropped = max(self.work.output_dropped, reply["dropped"])
            error = reply["error"]
            if error and reply["memory"]:
                self.work.out_of_memory = True
            self.work.cells.append(CellRun(index, cells[index].origin, reply["seconds"],
                                           error))

    def host(self, lock):
        return RemoteHost(self.process, lock)


class RemoteHost(Host):
    """The check's side of the door when the learner's objects live in a child.

    Checks of several submissions run in threads of one grader process, and torch's
    random generator is global: each check holds ``lock`` while it computes, lets go of
    it while it waits for its child (and while the reply is validated), and takes its
    own generator state along, so no check ever draws from another's sequence.
    """

    def __init__(self, process, lock=None):  # a LearnerProcess, or a stand-in for tests
        super().__init__()
        self.process = process
        self.lock = lock

    def exchange(self, request: bytes) -> bytes:
        if self.lock is None:
            return self.process.exchange(request)
        import torch

        state = torch.get_rng_state()
        self.lock.release()
        try:
            return self.process.exchange(request)
        finally:
            self.lock.acquire()
            torch.set_rng_state(state)

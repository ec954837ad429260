"""Every status the grader writes, what it means, and which a re-run grades again.

A submission (one student, one chapter) gets one of:

==============  ===========================================================================
graded          every exercise was judged (each has its own status, below)
invalid         the file cannot be graded as it is (not a regular file, empty, too large,
                not a notebook, a broken structure); the reason says what to fix
ambiguous       two or more files claim the same student and chapter; none was graded,
                the reason names them (``--duplicates newest`` grades the newest instead)
timeout         the child used up its time (``--timeout``) or its CPU time; exercises
                judged before keep their points
memory          the child ran out of memory, or the system killed it (most likely for
                memory)
crashed         the child ended on its own (``os._exit``, a segfault) or sent bytes that
                are not a valid reply (the learner's code wrote into the grader's channel)
grader_error    the grader itself failed on this submission (an exception while judging
                it, a child that could not be isolated, a file that changed while being
                graded); the traceback is in ``grading.log``, never in the feedback
==============  ===========================================================================

An exercise gets one of ``passed``, ``incorrect``, ``not_attempted``, ``error`` (the
learner's code raised), ``checker_bug`` (the check's own code failed on valid input),
``missing`` (its cell was deleted), or the submission's status when the child was lost
before it could be judged (``timeout``, ``memory``, ``crashed``, ``grader_error``).

Notes, not statuses: ``flagged`` when the notebook's metadata names another chapter
than the one it was submitted as (it is graded as the chapter asked for).

A re-run skips a submission only when its file and the grader are unchanged and its
status is ``FINAL``: the others may have come from the machine (a busy machine's
timeout, memory taken by other programs, a grader bug) and are graded again.
"""

from __future__ import annotations

from labkit.i18n import N_

SUBMISSION = ("graded", "invalid", "ambiguous", "timeout", "memory", "crashed",
              "grader_error")
EXERCISE = ("passed", "incorrect", "not_attempted", "error", "checker_bug", "missing")
LOST = ("timeout", "memory", "crashed", "grader_error")
FINAL = frozenset({"graded", "invalid", "ambiguous", "crashed"})
SCORED = frozenset({"passed", "incorrect", "not_attempted", "error"})
NOT_GRADED = frozenset({"invalid", "ambiguous"})  # no points at all, not a row of zeros

WORDS = {  # how each status reads in feedback, in the submission's language
    "graded": N_("graded"), "invalid": N_("not graded"), "ambiguous": N_("not graded"),
    "timeout": N_("time limit reached"), "memory": N_("out of memory"),
    "crashed": N_("the notebook's process ended"), "grader_error": N_("grader error"),
    "passed": N_("passed"), "incorrect": N_("incorrect"),
    "not_attempted": N_("not attempted"), "error": N_("error in your code"),
    "checker_bug": N_("checker bug"), "missing": N_("missing"),
}

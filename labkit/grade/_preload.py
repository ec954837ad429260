"""Imported by the grader's fork server: everything a child needs, loaded once."""

from labkit.grade.child import preload

preload()

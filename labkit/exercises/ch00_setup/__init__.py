"""Exercises of chapter 00, Setup, in notebook order."""

from labkit.exercises.ch00_setup.device import Device, pretend_machine
from labkit.exercises.ch00_setup.split_indices import SplitIndices

EXERCISES = [Device, SplitIndices]

__all__ = ["EXERCISES", "Device", "SplitIndices", "pretend_machine"]

"""Exercises of chapter 00, Setup, in notebook order."""

from labkit.exercises.ch00_setup.device import Device, pretend_machine
from labkit.exercises.ch00_setup.seeded_noise import SeededNoise

EXERCISES = [Device, SeededNoise]

__all__ = ["EXERCISES", "Device", "SeededNoise", "pretend_machine"]

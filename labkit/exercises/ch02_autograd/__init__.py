"""Exercises of chapter 02, Autograd, in notebook order."""

from labkit.exercises.ch02_autograd.finite_diff import FiniteDiff
from labkit.exercises.ch02_autograd.grad_by_hand import GradByHand
from labkit.exercises.ch02_autograd.newton import Newton
from labkit.exercises.ch02_autograd.round_ste import RoundSte
from labkit.exercises.ch02_autograd.sigmoid_backward import SigmoidBackward
from labkit.exercises.ch02_autograd.train_steps import TrainSteps, given_train_steps

EXERCISES = [GradByHand, TrainSteps, RoundSte, FiniteDiff, SigmoidBackward, Newton]

__all__ = ["EXERCISES", "FiniteDiff", "GradByHand", "Newton", "RoundSte",
           "SigmoidBackward", "TrainSteps", "given_train_steps"]

"""Exercises of chapter 04b, Optimizers, in notebook order.

The update rules are checked against ``torch.optim`` itself, on parameters and gradients
the check draws, over several steps, shapes, dtypes and hyperparameters; ``torch.optim``
(or, for clipping, ``clip_grad_norm_``) is ruled out however it is reached.
"""

from labkit.exercises.ch04b_optimizers.adam import AdamStep, AdamWStep
from labkit.exercises.ch04b_optimizers.clip import ClipGlobalNorm
from labkit.exercises.ch04b_optimizers.groups import DecayGroups
from labkit.exercises.ch04b_optimizers.momentum import MomentumStep
from labkit.exercises.ch04b_optimizers.pick_lr import PickLearningRate
from labkit.exercises.ch04b_optimizers.schedule import WarmupCosine, reference_schedule
from labkit.exercises.ch04b_optimizers.train_loop import FixTrainLoop, given_train

EXERCISES = [PickLearningRate, MomentumStep, AdamStep, AdamWStep, DecayGroups, ClipGlobalNorm,
             WarmupCosine, FixTrainLoop]

__all__ = ["EXERCISES", "AdamStep", "AdamWStep", "ClipGlobalNorm", "DecayGroups", "FixTrainLoop",
           "MomentumStep", "PickLearningRate", "WarmupCosine", "given_train",
           "reference_schedule"]

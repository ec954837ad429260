"""Exercises of chapter 01, Tensors, in notebook order."""

from labkit.exercises.ch01_tensors.batch_scores import BatchScores
from labkit.exercises.ch01_tensors.bilinear import Bilinear
from labkit.exercises.ch01_tensors.fix_mse import FixMse, buggy_mse
from labkit.exercises.ch01_tensors.one_hot import OneHot
from labkit.exercises.ch01_tensors.pairwise_sq_dists import PairwiseSqDists
from labkit.exercises.ch01_tensors.pick_scores import PickScores
from labkit.exercises.ch01_tensors.rows_of_class import RowsOfClass
from labkit.exercises.ch01_tensors.standardize_rows import StandardizeRows

EXERCISES = [RowsOfClass, PickScores, OneHot, BatchScores, Bilinear, StandardizeRows,
             PairwiseSqDists, FixMse]

__all__ = ["EXERCISES", "BatchScores", "Bilinear", "FixMse", "OneHot", "PairwiseSqDists",
           "PickScores", "RowsOfClass", "StandardizeRows", "buggy_mse"]

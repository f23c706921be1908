"""Exercises as data: repetitions counted per tracked person, per-rep metrics, form checks, ``auto`` choice.

schema (the YAML format, ``ExerciseCatalog``) -> signals (one number per frame) -> counting (the state
machine) -> reps (metrics, checks, set summary) -> auto (which exercise) -> tracks (per track of a run).
"""

from pose_demo.exercises.auto import Choice, choose_exercise
from pose_demo.exercises.reps import SetSummary, TrackReps, count_track
from pose_demo.exercises.schema import Exercise, ExerciseCatalog, ExerciseError, catalog_names
from pose_demo.exercises.tracks import PersonReps, count_reps, track_series
from pose_demo.results import CheckResult, Rep

__all__ = [
    "CheckResult",
    "Choice",
    "Exercise",
    "ExerciseCatalog",
    "ExerciseError",
    "PersonReps",
    "Rep",
    "SetSummary",
    "TrackReps",
    "catalog_names",
    "choose_exercise",
    "count_reps",
    "count_track",
    "track_series",
]

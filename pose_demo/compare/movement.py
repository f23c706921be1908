"""Whether two clips show the same movement, so that a walk is never scored against a squat as if it were
one. Two witnesses, neither tied to a clip:

- the exercise of the catalog that each clip repeats (``reps.recognised``), when both name one: two
  different exercises are two different movements;
- how alike the joints move: the RV coefficient of the two clips' covariance matrices of their reported
  joint angles (those measurable in both). It is 1 when the same joints move together in the same
  proportions, whatever the size of the movement (a shallow squat against a deep one), its pace or its
  timing, and near 0 when other joints move (a squat's hips and knees against a lateral raise's shoulders)
  or move otherwise (a walk's legs in turn against a squat's together). The better of the athlete's sides
  as seen and swapped counts: a clip filmed from the other side shows the same movement.

Different movements: the score is capped at ``DIFFERENT_MAX_SCORE`` and the summary warns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from pose_demo.compare.features import JOINT_ANGLES, REPORTED, fill_gaps, measurable
from pose_demo.exercises.schema import load_catalog
from pose_demo.i18n import title_in, translate

MIN_SIMILARITY = 0.5  # joints moving less alike than this: different movements
DIFFERENT_MAX_SCORE = 30.0
# The columns of ``reported_angles`` for the mirror image: left and right swapped (the trunk stays).
_MIRROR_OF = {angle.name: angle.mirror_of for angle in JOINT_ANGLES}
SWAPPED = [REPORTED.index(_MIRROR_OF.get(name, name)) for name in REPORTED]


def _covariance(angles: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The covariance of some columns of angles (N, K) over the frames where the person is seen, gaps
    filled over time."""
    seen = angles[~np.isnan(angles).all(axis=1)][:, columns]
    return np.atleast_2d(np.cov(fill_gaps(seen), rowvar=False))


def motion_similarity(reference: np.ndarray, athlete: np.ndarray) -> float | None:
    """How alike two clips' joints move, 0..1 (see the module's docstring), from their ``reported_angles``
    (N, len(REPORTED)) and (M, len(REPORTED)); None when fewer than two angles are measurable in both, or
    when nothing moves in one of them."""
    best = None
    for athlete_side in (athlete, athlete[:, SWAPPED]):
        columns = measurable(reference) & measurable(athlete_side)
        if columns.sum() < 2:
            continue
        a, b = _covariance(reference, columns), _covariance(athlete_side, columns)
        norm = math.sqrt(float(np.sum(a * a) * np.sum(b * b)))
        if norm > 0:
            similarity = float(np.sum(a * b)) / norm
            best = similarity if best is None else max(best, similarity)
    return best


def exercise_title(exercise: str, language: str) -> str:
    """An exercise of the default catalog by its title in ``language``."""
    return title_in(load_catalog("default").get(exercise).title, language)


@dataclass(frozen=True)
class MovementCheck:
    """Whether the athlete's clip shows the reference's movement (None: it cannot be told) and why:
    ``reason`` is ``same_exercise``, ``joints_alike``, ``different_exercises``, ``joints_differ`` or
    ``unknown``; the exercise recognised in each clip (catalog ids) and how alike the joints move (0..1)."""

    same: bool | None
    reason: str
    reference_exercise: str | None
    athlete_exercise: str | None
    similarity: float | None

    def words(self, language: str = "en") -> str:
        """The decision and its reason in words."""
        t = partial(translate, language=language)
        exercises = {
            name: exercise_title(exercise, language)
            for name, exercise in (("reference", self.reference_exercise), ("athlete", self.athlete_exercise))
            if exercise is not None
        }
        reason = t(
            f"report.compare.movement.reason.{self.reason}",
            **exercises,
            similarity="" if self.similarity is None else f"{self.similarity:.2f}",
            least=f"{MIN_SIMILARITY:g}",
        )
        verdict = {True: "same", False: "different", None: "unknown"}[self.same]
        return t(f"report.compare.movement.{verdict}", reason=reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "reference_exercise": self.reference_exercise,
            "athlete_exercise": self.athlete_exercise,
            "similarity": None if self.similarity is None else round(self.similarity, 3),
            "text": self.words(),
        }


def movement_check(
    reference: np.ndarray,
    athlete: np.ndarray,
    reference_exercise: str | None,
    athlete_exercise: str | None,
) -> MovementCheck:
    """Whether two clips show the same movement, from their ``reported_angles`` and the exercise recognised
    in each (catalog ids, None where none is): two exercises named and different, or joints moving less
    alike than ``MIN_SIMILARITY``, are different movements."""
    similarity = motion_similarity(reference, athlete)
    named = reference_exercise is not None and athlete_exercise is not None
    if named and reference_exercise != athlete_exercise:
        same, reason = False, "different_exercises"
    elif similarity is not None and similarity < MIN_SIMILARITY:
        same, reason = False, "joints_differ"
    elif named:
        same, reason = True, "same_exercise"
    elif similarity is not None:
        same, reason = True, "joints_alike"
    else:
        same, reason = None, "unknown"
    return MovementCheck(same, reason, reference_exercise, athlete_exercise, similarity)

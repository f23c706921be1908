"""Two movements compared: features -> (rep matching) -> DTW alignment -> score, differences, timing."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.analysis import AnalysisOptions
from pose_demo.compare.align import MAX_ALIGN_FRAMES, Alignment, align, usable_columns
from pose_demo.compare.features import REPORTED, pose_angles, reported_angles
from pose_demo.compare.motion import CompareError, Motion, analyse_clip, photo_motion
from pose_demo.compare.movement import DIFFERENT_MAX_SCORE, MovementCheck, movement_check
from pose_demo.compare.report import (
    TOLERANCE_DEG,
    Difference,
    joint_differences,
    largest_differences,
    pace_words,
    similarity_score,
    timing,
)
from pose_demo.compare.reps import TURN_CONTEXT_S, match_reps, recognised, rep_anchors, rep_turns
from pose_demo.i18n import translate
from pose_demo.predictor import UniModel
from pose_demo.timing import StageTimer
from pose_demo.video.pipeline import Progress, VideoOptions

# Clips shorter than this (photos) are not searched for repetitions.
MIN_FRAMES_FOR_REPS = 3
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def is_photo(path: str | os.PathLike[str]) -> bool:
    """Whether a file is taken as a photo (by its suffix) rather than a video."""
    return Path(path).suffix.lower() in PHOTO_SUFFIXES


@dataclass(frozen=True)
class Comparison:
    """The athlete's movement against the reference's. ``alignment``: pairs of processed-frame positions;
    ``joint_differences``: athlete minus reference per pair and ``REPORTED`` angle (degrees, NaN where
    not seen); ``exercise``: the exercise whose repetitions were matched, if any; ``movement``: whether
    both clips show the same movement (None for photos and clips too short to tell); when they do not, the
    score is at most ``DIFFERENT_MAX_SCORE``."""

    reference: Motion
    athlete: Motion
    alignment: Alignment
    score: float
    joint_differences: np.ndarray
    differences: tuple[Difference, ...]
    timing: dict[str, Any]
    exercise: str | None
    mirror: bool = False
    tolerance: float = TOLERANCE_DEG
    movement: MovementCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        ref_frames = self.reference.frames[self.alignment.reference]
        ath_frames = self.athlete.frames[self.alignment.athlete]

        def rounded(values: np.ndarray) -> list[float | None]:
            return [None if math.isnan(v) else round(float(v), 1) for v in values]

        return {
            "score": round(self.score, 1),
            "alignment": [[int(r), int(a)] for r, a in zip(ref_frames, ath_frames, strict=True)],
            "differences": [d.to_dict() for d in self.differences],
            "timing": self.timing,
            "exercise": self.exercise,
            "same_movement": None if self.movement is None else self.movement.same,
            "movement": None if self.movement is None else self.movement.to_dict(),
            "joint_differences": {
                joint: rounded(self.joint_differences[:, k]) for k, joint in enumerate(REPORTED)
            },
        }


def summary_lines(comparison: Comparison, language: str = "en") -> list[str]:
    """The comparison in a few lines: the score, whether the movements are the same (clips; a warning when
    they differ), the tempo (clips), the largest differences."""
    t = partial(translate, language=language)
    lines = [t("report.compare.score", score=f"{comparison.score:.1f}")]
    movement = comparison.movement
    if movement is not None:
        text = movement.words(language)
        if movement.same is False:
            text = t("report.compare.movement_warning", text=text, cap=f"{DIFFERENT_MAX_SCORE:g}")
        lines.append(text)
    if not (comparison.reference.photo and comparison.athlete.photo):
        timing = comparison.timing
        pace = pace_words(timing["pace"], language)
        lines.append(t("report.compare.tempo", ratio=f"{timing['tempo_ratio']:.2f}", pace=pace))
    lines += [t("report.compare.difference", text=d.words(language)) for d in comparison.differences]
    if not comparison.differences:
        lines.append(t("report.compare.no_difference", tolerance=f"{comparison.tolerance:g}"))
    return lines


def compare_motions(
    reference: Motion, athlete: Motion, mirror: bool = False, tolerance: float = TOLERANCE_DEG
) -> Comparison:
    """Compare two analysed movements. ``mirror``: the athlete's clip is taken as its mirror image (left
    and right swapped), for an athlete filmed mirrored relative to the reference."""
    longest = max(len(reference), len(athlete))
    if longest > MAX_ALIGN_FRAMES:
        raise CompareError("error.compare.too_many_frames", frames=longest, limit=MAX_ALIGN_FRAMES)
    ref_angles = pose_angles(reference.keypoints)
    ath_angles = pose_angles(athlete.keypoints, mirror)
    if not usable_columns(ref_angles, ath_angles).any():
        raise CompareError("error.compare.no_common_angle")
    long_enough = min(len(reference), len(athlete)) >= MIN_FRAMES_FOR_REPS
    exercises = (recognised(reference), recognised(athlete)) if long_enough else (None, None)
    exercise = exercises[0] or exercises[1]  # the reference's, else the athlete's
    turns = rep_turns(reference, athlete, exercise) if exercise is not None else None
    context = max(1, round(TURN_CONTEXT_S * min(reference.fps, athlete.fps)))
    anchors = rep_anchors(match_reps(ref_angles, ath_angles, turns, context)) if turns else []
    alignment = align(ref_angles, ath_angles, anchors)
    movement = None
    if long_enough:
        ref_id, ath_id = (None if e is None else e.id for e in exercises)
        movement = movement_check(reported_angles(ref_angles), reported_angles(ath_angles), ref_id, ath_id)
    score = similarity_score(ref_angles, ath_angles, alignment)
    if movement is not None and movement.same is False:
        score = min(score, DIFFERENT_MAX_SCORE)
    return Comparison(
        reference,
        athlete,
        alignment,
        score,
        joint_differences(ref_angles, ath_angles, alignment),
        tuple(largest_differences(reference, athlete, ref_angles, ath_angles, alignment, tolerance)),
        timing(reference, athlete, ref_angles, alignment),
        turns.exercise if turns and anchors else None,
        mirror,
        tolerance,
        movement,
    )


def compare_videos(
    model: UniModel,
    reference: str | os.PathLike[str],
    athlete: str | os.PathLike[str],
    options: VideoOptions | None = None,
    mirror: bool = False,
    tolerance: float = TOLERANCE_DEG,
    progress: Progress | None = None,
) -> Comparison:
    """Analyse both clips (main person, smoothing on) and compare the athlete's movement with the
    reference's."""
    options = options or VideoOptions(AnalysisOptions(focus="largest"))
    ref = analyse_clip(model, reference, "reference", options, progress)
    ath = analyse_clip(model, athlete, "athlete", options, progress)
    return compare_motions(ref, ath, mirror, tolerance)


def compare_photos(
    model: UniModel,
    reference: str | os.PathLike[str],
    athlete: str | os.PathLike[str],
    options: AnalysisOptions | None = None,
    mirror: bool = False,
    tolerance: float = TOLERANCE_DEG,
) -> Comparison:
    """Compare the main (largest) person of two photos: score and differences, as for clips of one frame."""
    options = options or AnalysisOptions(focus="largest")
    ref = photo_motion(model, reference, "reference", options)
    ath = photo_motion(model, athlete, "athlete", options)
    return compare_motions(ref, ath, mirror, tolerance)


def motion_of(
    model: UniModel,
    path: str | os.PathLike[str],
    name: str,
    options: VideoOptions,
    progress: Progress | None = None,
    timer: StageTimer | None = None,
) -> Motion:
    """A photo's or a clip's main person (by the file's suffix), timed as ``analyse <name>``."""
    with (timer or StageTimer()).stage(f"analyse {name}"):
        if is_photo(path):
            return photo_motion(model, path, name, options.analysis)
        return analyse_clip(model, path, name, options, progress)

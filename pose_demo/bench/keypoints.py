"""``bench-keypoints``: keypoints where a coach looks (issue 28), before and after, in one command.

- COCO keypoint AP on the COCO subset, with ground-truth boxes and through the whole pipeline.
- At each labelled turning point of the shared floor clips, the near side's joint angle (the elbow at a
  push-up bottom, the hip at a sit-up top): the median over the frames within ``WINDOW_S`` of the labelled
  time, and the share of repetitions where it is physically plausible (``TurningCheck.plausible``).
- Bone-length variation per person (``tracking.bones.bone_variation``) on those clips.
- The squat clip end to end (decode to H.264), the small model before and the large one with bone repair
  after, alternated: frames/s, their ratio and the multiple of real time; and the model the budget picks.

"Before" is the small keypoint model without bone repair; "after" the new defaults: the large model for
pictures, the model the budget picks for each clip (``video.budget``), bone repair on.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.analysis import AnalysisOptions
from pose_demo.bench.compare import cpu_model
from pose_demo.evaluation import evaluate
from pose_demo.exercises.tracks import track_series
from pose_demo.geometry import joint_angle
from pose_demo.models.budget import LARGE_KEYPOINTS, SMALL_KEYPOINTS
from pose_demo.predictor import UniModel
from pose_demo.skeleton import COCO17
from pose_demo.tracking.bones import bone_variation
from pose_demo.video import VideoOptions, VideoRun, check_video, process_video
from pose_demo.video.budget import video_keypoints

WINDOW_S = 0.2  # labels are good to about +-0.3 s; a turning point's pause lasts longer than this
LABEL_FILES = ("reps.json", "reps_more.json")  # the clips counted by eye in the data folder's videos/
SPEED_EXERCISE = "squat"  # the clip timed end to end: the first labelled one of this exercise
SPEED_ROUNDS = 2  # before and after alternated; the faster run of each counts
BEFORE = AnalysisOptions(bone_repair=False)
AFTER = AnalysisOptions()


@dataclass(frozen=True)
class TurningCheck:
    """The angle read at a clip's turning points, ``joints`` (near, vertex, far; left-side names, the
    near side chosen per repetition), and its plausible range in degrees."""

    clip: str
    joints: tuple[str, str, str]
    plausible: tuple[float, float]


ELBOW = ("left_shoulder", "left_elbow", "left_wrist")
HIP = ("left_shoulder", "left_hip", "left_knee")
# The angle read at an exercise's turning point and the range a body shows there: push-up bottom, elbows
# bent 40-120 degrees; sit-up top, the trunk raised towards the bent knees. Every labelled clip of these
# exercises is checked.
TURN_ANGLES = {"push_up": (ELBOW, (40.0, 120.0)), "sit_up": (HIP, (30.0, 110.0))}


def labels(videos: Path) -> dict[str, dict[str, Any]]:
    """Every labelled clip in ``videos`` (``LABEL_FILES``): its exercise, count and turning-point times."""
    return {
        clip: label
        for name in LABEL_FILES
        for clip, label in json.loads((videos / name).read_text(encoding="utf-8"))["clips"].items()
    }


def labelled_times(videos: Path) -> dict[str, list[float]]:
    """The turning-point times of every labelled clip in ``videos``."""
    return {clip: [float(t) for t in label["times"]] for clip, label in labels(videos).items()}


def turning_checks(videos: Path) -> list[TurningCheck]:
    """A check per labelled clip of an exercise of ``TURN_ANGLES``."""
    return [
        TurningCheck(clip, *TURN_ANGLES[label["exercise"]])
        for clip, label in labels(videos).items()
        if label["exercise"] in TURN_ANGLES
    ]


def speed_clip(videos: Path) -> Path:
    """The first labelled clip of ``SPEED_EXERCISE``."""
    return videos / next(c for c, label in labels(videos).items() if label["exercise"] == SPEED_EXERCISE)


def _indices(joints: tuple[str, str, str], side: str) -> list[int]:
    return [COCO17.keypoints.index(j.replace("left_", f"{side}_")) for j in joints]


def turning_angles(
    times: np.ndarray, keypoints: np.ndarray, turns: list[float], joints: tuple[str, str, str]
) -> list[float]:
    """One person's angle at each turning time: on the side whose three joints score higher around it, the
    median over the frames within ``WINDOW_S`` (NaN where the joints were not seen)."""
    angles = []
    for turn in turns:
        near = np.abs(times - turn) <= WINDOW_S
        sides = [keypoints[near][:, _indices(joints, side)] for side in ("left", "right")]
        a, vertex, c = np.moveaxis(max(sides, key=lambda s: s[..., 2].mean()), 1, 0)
        values = joint_angle(a, vertex, c)
        angles.append(float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan"))
    return angles


def main_person(run: VideoRun) -> tuple[np.ndarray, np.ndarray]:
    """The times and keypoints (N, 17, 3) of the person seen longest (track fragments joined)."""
    times, persons = track_series((f.time, f.persons) for f in run.frames)
    return times, max(persons.values(), key=lambda k: np.count_nonzero(k[..., 2].max(axis=1)))


def turning_figures(run: VideoRun, check: TurningCheck, turns: list[float]) -> dict[str, object]:
    """The angles at the turning points, and how many are plausible."""
    angles = turning_angles(*main_person(run), turns, check.joints)
    low, high = check.plausible
    plausible = sum(low <= a <= high for a in angles)
    return {
        "angles": [round(a, 1) for a in angles],
        "plausible": plausible,
        "reps": len(angles),
        "range": list(check.plausible),
    }


def bone_variation_per_track(run: VideoRun) -> dict[int, float]:
    """Per person (track fragments joined), the bone-length variation of its keypoints as output; persons
    seen too briefly to tell are left out."""
    _, persons = track_series((f.time, f.persons) for f in run.frames)
    variation = {key: bone_variation(keypoints) for key, keypoints in persons.items()}
    return {key: round(value, 4) for key, value in variation.items() if np.isfinite(value)}


def clip_figures(
    model: UniModel, path: Path, check: TurningCheck, turns: list[float], analysis: AnalysisOptions
) -> dict[str, Any]:
    """One clip analysed as ``analysis`` says: the angles at its turning points and the bone variation."""
    run = process_video(model, path, None, VideoOptions(analysis))
    return {
        "keypoints": model.names[1],
        **turning_figures(run, check, turns),
        "bone_variation": bone_variation_per_track(run),
        "fps": round(run.fps, 1),
    }


def _fps(model: UniModel, path: Path, analysis: AnalysisOptions) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return process_video(model, path, Path(tmp) / "out.mp4", VideoOptions(analysis)).fps


def speed(before: UniModel, after: UniModel, path: Path) -> dict[str, Any]:
    """The clip end to end (decoding to H.264), ``before`` with bone repair off and ``after`` with it on,
    alternated ``SPEED_ROUNDS`` times."""
    rate = float(check_video(path, 600).rate)
    runs: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(SPEED_ROUNDS):
        runs["before"].append(_fps(before, path, BEFORE))
        runs["after"].append(_fps(after, path, AFTER))
    best = {name: max(values) for name, values in runs.items()}
    return {
        "clip": path.name,
        "keypoints": {"before": before.names[1], "after": after.names[1]},
        "fps": {name: [round(v, 1) for v in values] for name, values in runs.items()},
        "real_time": {name: round(fps / rate, 2) for name, fps in best.items()},
        "after_over_before": round(best["after"] / best["before"], 3),
    }


def coco_ap(model: UniModel, coco: Path, flip: bool = False) -> dict[str, float]:
    """AP (0-1) on the COCO subset, with ground-truth boxes and through the pipeline (detection at 0.3)."""
    ann, images = coco / "person_keypoints.json", coco / "images"
    return {
        "gt_boxes": round(evaluate(model, ann, images, use_gt_boxes=True, flip=flip)["AP"], 4),
        "pipeline": round(evaluate(model, ann, images, flip=flip)["AP"], 4),
    }


def bench_keypoints(
    load: Callable[[str, bool], UniModel], data: Path, turned: bool = False
) -> dict[str, Any]:
    """Every figure of issue 28 before and after; ``load(keypoints, turned)`` gives a model (two streams).
    ``turned``: the floor clips also with turned crops (``pose_estimation.orientation``), both models."""
    videos = data / "videos"
    times = labelled_times(videos)
    small, large = load(SMALL_KEYPOINTS, False), load(LARGE_KEYPOINTS, False)
    report: dict[str, Any] = {"cpu": cpu_model(), "load_average_start": round(os.getloadavg()[0], 2)}
    report["ap"] = {
        "before": coco_ap(small, data / "coco_subset"),
        "after": coco_ap(large, data / "coco_subset"),
        "after_flip": coco_ap(large, data / "coco_subset", flip=True),
    }
    clips: dict[str, Any] = {}
    for check in turning_checks(videos):
        path = videos / check.clip
        choice = video_keypoints(lambda name: load(name, False), check_video(path, 600), VideoOptions(AFTER))
        clips[check.clip] = {
            "before": clip_figures(small, path, check, times[check.clip], BEFORE),
            "after": clip_figures(load(choice.keypoints, False), path, check, times[check.clip], AFTER),
            "after_model": choice.message(),
        }
        if turned:
            for name in (SMALL_KEYPOINTS, LARGE_KEYPOINTS):
                model = load(name, True)
                clips[check.clip][f"turned_{name}"] = clip_figures(
                    model, path, check, times[check.clip], AFTER
                )
    report["clips"] = clips
    timed = speed_clip(videos)
    choice = video_keypoints(lambda name: load(name, False), check_video(timed, 600), VideoOptions())
    report["speed"] = {
        "clip": timed.name,
        **speed(small, large, timed),
        "budget_picks": choice.message(),
    }
    report["load_average_end"] = round(os.getloadavg()[0], 2)
    return report

"""Exports of a processed video: per-frame JSON, a CSV row per frame and person, an animated GIF preview.

Coordinates are in the pixels of the processed frames (the source scaled by ``output_scale``).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from pose_demo.models.budget import ModelChoice
from pose_demo.results import Person, Verdict
from pose_demo.skeleton import COCO17
from pose_demo.video.pipeline import VideoRun


def person_dict(person: Person) -> dict[str, Any]:
    """The image JSON's person schema, with ``track_id`` and ``rules`` always present."""
    d = {"track_id": person.track_id, **person.to_dict()}
    d.setdefault("rules", [])
    return d


def video_json(run: VideoRun, keypoints: ModelChoice | None = None) -> dict[str, Any]:
    """``{"video": {...}, "frames": [{"index", "time", "persons": [...]}]}``, an entry per processed frame;
    with ``keypoints``, which keypoint model ran and why, as the ``video``'s ``keypoint_model``."""
    video = run.to_dict()
    if keypoints is not None:
        video["keypoint_model"] = keypoints.to_dict()
    return {
        "video": video,
        "frames": [
            {"index": f.index, "time": round(f.time, 4), "persons": [person_dict(p) for p in f.persons]}
            for f in run.frames
        ],
    }


def write_json(run: VideoRun, path: str | os.PathLike[str], keypoints: ModelChoice | None = None) -> None:
    Path(path).write_text(json.dumps(video_json(run, keypoints)), encoding="utf-8")


def _verdicts(run: VideoRun) -> list[Verdict]:
    """The verdicts of the first person with any, in rule order (every person gets the same rules)."""
    for frame in run.frames:
        for person in frame.persons:
            if person.rules:
                return person.rules
    return []


def angle_columns(run: VideoRun) -> list[str]:
    """The ids of the rules measuring angles (unit ``deg``), in rule order, as found in the run."""
    return [v.id for v in _verdicts(run) if v.unit == "deg"]


def classifier_columns(run: VideoRun) -> list[str]:
    """The ids of the classifier rules (a class probability), in rule order, as found in the run."""
    return [v.id for v in _verdicts(run) if v.kind == "classifier"]


def write_csv(run: VideoRun, path: str | os.PathLike[str]) -> None:
    """One row per frame and person: frame, time, track_id, ``<keypoint>_x/_y/_score`` x 17, then
    ``<rule>_deg`` for every angle rule and ``<rule>_p`` (probability) for every classifier rule (empty
    when unknown)."""
    angles = angle_columns(run)
    classifiers = classifier_columns(run)
    header = ["frame", "time", "track_id"]
    header += [f"{name}_{part}" for name in COCO17.keypoints for part in ("x", "y", "score")]
    header += [f"{rule}_deg" for rule in angles] + [f"{rule}_p" for rule in classifiers]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for frame in run.frames:
            for p in frame.persons:
                values = {v.id: v.value for v in p.rules}
                writer.writerow(
                    [frame.index, round(frame.time, 4), "" if p.track_id is None else p.track_id]
                    + [round(float(v), 4 if i % 3 == 2 else 2) for i, v in enumerate(p.keypoints.ravel())]
                    + ["" if values.get(r) is None else round(values[r], 2) for r in angles]
                    + ["" if values.get(r) is None else round(values[r], 3) for r in classifiers]
                )


def write_gif(
    video: str | os.PathLike[str],
    path: str | os.PathLike[str],
    width: int = 480,
    fps: float = 10.0,
    max_seconds: float = 5.0,
) -> None:
    """A small animated GIF preview of the first ``max_seconds`` of a video, ``width`` pixels wide."""
    from moviepy import VideoFileClip  # imported here: it takes most of a second (it loads IPython)

    with VideoFileClip(str(video), audio=False) as clip:
        preview = clip.subclipped(0, min(max_seconds, clip.duration)).resized(width=width)
        preview.write_gif(str(path), fps=fps, logger=None)

"""A clip's movement: the main (longest-tracked) person's keypoints in every processed frame, analysed
with the usual video pipeline."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_demo.analysis import AnalysisOptions
from pose_demo.exercises.tracks import track_series
from pose_demo.predictor import UniModel
from pose_demo.video.pipeline import Progress, VideoOptions, VideoRun, process_video

# Fewer frames than this with the main person seen: nothing to compare.
MIN_FRAMES_SEEN = 3


class CompareError(ValueError):
    """A comparison that cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Motion:
    """One person in one clip: the source frame index (F,) and time (F,) of each processed frame, and
    the person's keypoints (F, 17, 3), zero where not seen. ``fps``: processed frames per second."""

    name: str
    frames: np.ndarray
    times: np.ndarray
    keypoints: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.frames)


def main_motion(run: VideoRun, name: str) -> Motion:
    """The longest-tracked person of a processed video; CompareError when nobody was followed."""
    seen = run.track_ids
    times, tracks = track_series((f.time, f.persons) for f in run.frames)
    keypoints = tracks[seen[0]] if seen else None
    if keypoints is None or np.count_nonzero(keypoints[..., 2].max(axis=1) > 0) < MIN_FRAMES_SEEN:
        raise CompareError(
            f"Nobody was found in the {name} clip ({Path(run.info.path).name}): use a clip where one "
            "person is seen whole, or lower the detection threshold."
        )
    frames = np.array([f.index for f in run.frames])
    return Motion(name, frames, times, keypoints, float(run.rate))


def analyse_clip(
    model: UniModel,
    path: str | os.PathLike[str],
    name: str,
    options: VideoOptions | None = None,
    progress: Progress | None = None,
) -> Motion:
    """Analyse a video (main person, smoothing on, nothing drawn) and keep its main person's movement."""
    options = options or VideoOptions(AnalysisOptions(focus="largest"))
    if not Path(path).exists():
        raise FileNotFoundError(f"The {name} clip {path} does not exist: check the path.")
    return main_motion(process_video(model, path, None, options, progress), name)

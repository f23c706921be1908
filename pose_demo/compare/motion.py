"""A clip's movement: the main (longest-tracked) person's keypoints in every processed frame, analysed
with the usual video pipeline."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.exercises.tracks import track_series
from pose_demo.i18n import Message, UserError
from pose_demo.image_input import load_image
from pose_demo.predictor import UniModel
from pose_demo.video.pipeline import Progress, VideoOptions, VideoRun, process_video

# Fewer frames than this with the main person seen: nothing to compare.
MIN_FRAMES_SEEN = 3
# the roles of the two clips, as error messages name them
ROLES = {"reference": Message("error.compare.reference"), "athlete": Message("error.compare.athlete")}


class CompareError(UserError, ValueError):
    """A comparison that cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Motion:
    """One person in one clip: the source frame index (F,) and time (F,) of each processed frame, and
    the person's keypoints (F, 17, 3), zero where not seen. ``fps``: processed frames per second.
    ``source``: the file analysed and ``size`` (w, h) the frames the keypoints are in (to draw them);
    ``photo``: a still picture (one frame)."""

    name: str
    frames: np.ndarray
    times: np.ndarray
    keypoints: np.ndarray
    fps: float
    source: str | None = None
    size: tuple[int, int] | None = None
    photo: bool = False

    def __len__(self) -> int:
        return len(self.frames)


def _role(name: str) -> Message | str:
    """A clip's name in the user's language (another name than those of ``ROLES`` as given)."""
    return ROLES.get(name, name)


def main_motion(run: VideoRun, name: str) -> Motion:
    """The longest-tracked person of a processed video; CompareError when nobody was followed."""
    seen = run.track_ids
    times, tracks = track_series((f.time, f.persons) for f in run.frames)
    keypoints = tracks[seen[0]] if seen else None
    if keypoints is None or np.count_nonzero(keypoints[..., 2].max(axis=1) > 0) < MIN_FRAMES_SEEN:
        raise CompareError("error.compare.nobody_in_clip", name=_role(name), file=Path(run.info.path).name)
    frames = np.array([f.index for f in run.frames])
    return Motion(name, frames, times, keypoints, float(run.rate), run.info.path, run.size)


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
        raise CompareError("error.compare.no_clip", name=_role(name), path=path)
    return main_motion(process_video(model, path, None, options, progress), name)


def photo_motion(
    model: UniModel, path: str | os.PathLike[str], name: str, options: AnalysisOptions | None = None
) -> Motion:
    """A photo's main (largest) person as a one-frame movement; CompareError when nobody is found."""
    options = options or AnalysisOptions(focus="largest")
    image = load_image(path)
    persons = analyse_image(model, image, options).persons
    if not persons:
        raise CompareError("error.compare.nobody_in_photo", name=_role(name), file=Path(path).name)
    main = max(persons, key=lambda p: (p.box.x2 - p.box.x1) * (p.box.y2 - p.box.y1))
    size = (image.shape[1], image.shape[0])
    keypoints = np.asarray(main.keypoints, dtype=np.float64)[None]
    return Motion(name, np.zeros(1, np.int64), np.zeros(1), keypoints, 1.0, str(path), size, photo=True)

"""Dynamic time warping of two movements' feature sequences with dtaidistance's C core (multivariate:
``dtw_ndim``), in a band around the diagonal, and with a penalty on every step that holds one clip still
while the other moves on, so that a pause in one clip does not swallow a stretch of the other."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from dtaidistance import dtw_ndim

from pose_demo.compare.features import embed, fill_gaps

# The band: the path stays within this share of the longer clip from the diagonal (widened by the
# clips' difference in length), so that long clips stay fast.
WINDOW_SHARE = 0.25
# The cost of a step that holds one clip still, in the features' squared distance (mean squared chord
# per angle; 0.01 ~ every angle 6 degrees off).
STEP_PENALTY = 0.01
# Frames of one clip that are aligned at most: the warping's memory grows with the product of the clips'
# lengths (two clips of 3600 frames, a minute at 60 frames/s each: about 40 MB and 0.1 s).
MAX_ALIGN_FRAMES = 3600


@dataclass(frozen=True)
class Alignment:
    """The warping path: pairs (reference position, athlete position) of processed frames, both
    increasing, from (0, 0) to the last frame of each."""

    pairs: np.ndarray  # (P, 2) int

    @property
    def reference(self) -> np.ndarray:
        return self.pairs[:, 0]

    @property
    def athlete(self) -> np.ndarray:
        return self.pairs[:, 1]


def usable_columns(reference: np.ndarray, athlete: np.ndarray) -> np.ndarray:
    """The features seen at least once in both clips (bool, per column)."""
    return ~np.isnan(reference).all(axis=0) & ~np.isnan(athlete).all(axis=0)


def align(reference: np.ndarray, athlete: np.ndarray, anchors: Sequence[tuple[int, int]] = ()) -> Alignment:
    """The DTW path between two sequences of angles (N, K) and (M, K) in degrees, NaN-aware: gaps are
    filled over time, and features never seen in one clip are left out. ``anchors``: pairs of frames
    (increasing in both) the path must go through; it is warped piece by piece between them."""
    columns = usable_columns(reference, athlete)
    if not columns.any():
        raise ValueError("no feature angle is seen in both clips")
    ref = embed(fill_gaps(reference[:, columns]))
    ath = embed(fill_gaps(athlete[:, columns]))
    ends = [(0, 0), *anchors, (len(ref) - 1, len(ath) - 1)]
    pieces = []
    for (r0, a0), (r1, a1) in pairwise(ends):
        path = warp(ref[r0 : r1 + 1], ath[a0 : a1 + 1]) + np.array([r0, a0])
        pieces.append(path if not pieces else path[1:])  # each piece starts where the last one ended
    return Alignment(np.concatenate(pieces))


def warp(reference: np.ndarray, athlete: np.ndarray) -> np.ndarray:
    """The DTW path (P, 2) between two sequences of feature points, with dtaidistance's C core."""
    if len(reference) == 1 or len(athlete) == 1:
        return np.array([(r, a) for r in range(len(reference)) for a in range(len(athlete))], dtype=np.int64)
    window = math.ceil(WINDOW_SHARE * max(len(reference), len(athlete))) + 1
    path = dtw_ndim.warping_path(reference, athlete, window=window, penalty=STEP_PENALTY, use_c=True)
    return np.array(path, dtype=np.int64).reshape(-1, 2)

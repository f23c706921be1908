"""What a comparison reports: the similarity score, per joint angle the difference at each aligned
moment, the largest differences in words, and the timing (phases faster or slower, overall tempo).

Score: for every aligned pair of frames, each feature angle's absolute difference less ``NOISE_DEG``
(keypoint noise, floored at 0) is averaged over the angles seen in both frames, then over the pairs:
E degrees; ``score = 100 * max(0, 1 - E / ZERO_SCORE_DEG)``. Identical movements score 100; a movement
whose angles are ``ZERO_SCORE_DEG`` + ``NOISE_DEG`` off on average scores 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.signal import find_peaks

from pose_demo.compare.align import Alignment
from pose_demo.compare.features import REPORTED, angle_difference, fill_gaps, measurable, reported_angles
from pose_demo.compare.motion import Motion
from pose_demo.i18n import translate

NOISE_DEG = 5.0
ZERO_SCORE_DEG = 45.0
TOLERANCE_DEG = 10.0  # differences of a reported angle within this are not reported
TOP_DIFFERENCES = 5
MOMENT_S = 0.5  # differences less than this apart in the athlete's clip are at one moment: one is listed
PHASE_PROMINENCE_DEG = 20.0  # a turn of the most-moving angle by at least this starts a new phase
SAME_PACE = 0.1  # phases within 10% of the reference's duration are "at the same pace"


def similarity_score(reference: np.ndarray, athlete: np.ndarray, alignment: Alignment) -> float:
    """The 0-100 score (see the module's docstring) of two (N, K) feature-angle sequences."""
    d = np.abs(angle_difference(reference[alignment.reference], athlete[alignment.athlete]))
    excess = np.maximum(d - NOISE_DEG, 0.0)
    seen = np.isfinite(excess).any(axis=1)  # pairs with some angle known in both (no mean of nothing)
    if not seen.any():
        return 0.0
    per_pair = np.nanmean(excess[seen], axis=1)
    return float(100.0 * max(0.0, 1.0 - per_pair.mean() / ZERO_SCORE_DEG))


@dataclass(frozen=True)
class Difference:
    """A reported angle that differs by more than the tolerance: its peak over one stretch of time."""

    joint: str
    reference_frame: int
    athlete_frame: int
    reference_time: float
    athlete_time: float
    reference_deg: float
    athlete_deg: float
    photo: bool = False  # two photos: no moment to say

    @property
    def difference_deg(self) -> float:
        return self.athlete_deg - self.reference_deg

    @property
    def text(self) -> str:
        """The difference in English words (``words`` in another language)."""
        return self.words()

    def words(self, language: str = "en") -> str:
        """The difference in words: when (for clips) and which joint is how many degrees more or less."""
        t = partial(translate, language=language)
        d = self.difference_deg
        size = f"{abs(d):.0f}°"
        more = d > 0
        if self.joint == "trunk":
            what = t("report.compare.trunk_more" if more else "report.compare.trunk_less", size=size)
        else:
            side, part = self.joint.split("_")
            if part == "shoulder":
                key = "report.compare.arm_more" if more else "report.compare.arm_less"
                what = t(key, side=t(f"report.compare.side.{side}"), size=size)
            else:  # a larger interior angle is a straighter joint
                key = "report.compare.bent_less" if more else "report.compare.bent_more"
                what = t(
                    key,
                    side=t(f"report.compare.side.{side}"),
                    part=t(f"report.compare.part.{part}"),
                    size=size,
                )
        if self.photo:
            return f"{what[0].upper()}{what[1:]}"
        return t(
            "report.compare.at",
            athlete=f"{self.athlete_time:.1f}",
            reference=f"{self.reference_time:.1f}",
            what=what,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "joint": self.joint,
            "reference_frame": self.reference_frame,
            "athlete_frame": self.athlete_frame,
            "reference_time": round(self.reference_time, 3),
            "athlete_time": round(self.athlete_time, 3),
            "reference_deg": round(self.reference_deg, 1),
            "athlete_deg": round(self.athlete_deg, 1),
            "difference_deg": round(self.difference_deg, 1),
            "text": self.text,
        }


def joint_differences(reference: np.ndarray, athlete: np.ndarray, alignment: Alignment) -> np.ndarray:
    """Athlete minus reference, per aligned pair and ``REPORTED`` angle (P, len(REPORTED)), degrees."""
    ref, ath = reported_angles(reference), reported_angles(athlete)
    return angle_difference(ath[alignment.athlete], ref[alignment.reference])


def largest_differences(
    reference: Motion,
    athlete: Motion,
    ref_angles: np.ndarray,
    ath_angles: np.ndarray,
    alignment: Alignment,
    tolerance: float = TOLERANCE_DEG,
    top: int = TOP_DIFFERENCES,
) -> list[Difference]:
    """The ``top`` largest differences beyond ``tolerance``: per angle measurable in both clips, each stretch
    of aligned pairs off by more than the tolerance the same way gives its peak; the peaks, largest first,
    in clips one per moment of the athlete (the largest of those less than ``MOMENT_S`` apart)."""
    diffs = joint_differences(ref_angles, ath_angles, alignment)
    ref, ath = reported_angles(ref_angles), reported_angles(ath_angles)
    photos = reference.photo and athlete.photo
    found = []
    for k in np.flatnonzero(measurable(ref) & measurable(ath)):
        sign = np.sign(np.where(np.abs(diffs[:, k]) > tolerance, diffs[:, k], 0.0))  # NaN -> 0
        edges = np.flatnonzero(np.diff(np.concatenate([[0], sign, [0]])))
        for start, stop in pairwise(edges):
            if sign[start] == 0:
                continue
            peak = start + int(np.argmax(np.abs(diffs[start:stop, k])))
            r, a = alignment.pairs[peak]
            found.append(
                Difference(
                    REPORTED[k],
                    int(reference.frames[r]),
                    int(athlete.frames[a]),
                    float(reference.times[r]),
                    float(athlete.times[a]),
                    float(ref[r, k]),
                    float(ath[a, k]),
                    photos,
                )
            )
    listed: list[Difference] = []
    for difference in sorted(found, key=lambda d: -abs(d.difference_deg)):
        if photos or all(abs(difference.athlete_time - d.athlete_time) >= MOMENT_S for d in listed):
            listed.append(difference)
    return listed[:top]


@dataclass(frozen=True)
class Phase:
    """A stretch of the reference and the stretch of the athlete's clip aligned with it (seconds)."""

    reference: tuple[float, float]
    athlete: tuple[float, float]

    @property
    def ratio(self) -> float:
        """The athlete's duration over the reference's (above 1: slower)."""
        ref = self.reference[1] - self.reference[0]
        return (self.athlete[1] - self.athlete[0]) / ref if ref > 0 else 1.0

    @property
    def pace(self) -> str:
        """``same pace``, ``slower`` or ``faster`` (in words: ``pace_words``)."""
        if abs(self.ratio - 1.0) <= SAME_PACE:
            return "same pace"
        return "slower" if self.ratio > 1.0 else "faster"

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": [round(t, 3) for t in self.reference],
            "athlete": [round(t, 3) for t in self.athlete],
            "ratio": round(self.ratio, 3),
            "pace": self.pace,
        }


def pace_words(pace: str, language: str = "en") -> str:
    """A ``Phase.pace`` (``same pace``, ``slower``, ``faster``) in ``language``."""
    return translate(f"report.compare.pace.{pace.replace(' ', '_')}", language)


def phase_bounds(ref_angles: np.ndarray) -> list[int]:
    """Reference frames where phases start and end: the turns (peaks and troughs) of the reported angle
    that moves most, plus the first and last frame."""
    angles = reported_angles(ref_angles)
    seen = np.isfinite(angles).any(axis=0)  # angles known somewhere (no extreme of nothing)
    ranges = np.full(angles.shape[1], np.nan)
    ranges[seen] = np.nanmax(angles[:, seen], axis=0) - np.nanmin(angles[:, seen], axis=0)
    bounds = {0, len(angles) - 1}
    if seen.any():
        k = int(np.nanargmax(ranges))
        column = fill_gaps(angles[:, [k]])[:, 0]
        for signal in (column, -column):
            bounds.update(int(i) for i in find_peaks(signal, prominence=PHASE_PROMINENCE_DEG)[0])
    return sorted(bounds)


def timing(
    reference: Motion, athlete: Motion, ref_angles: np.ndarray, alignment: Alignment
) -> dict[str, Any]:
    """The overall tempo ratio (athlete's duration over the reference's, above 1: slower) and, per
    phase of the reference, the athlete's pace."""
    phases = []
    bounds = phase_bounds(ref_angles)
    for r0, r1 in pairwise(bounds):
        a0 = int(alignment.athlete[alignment.reference == r0].min())
        a1 = int(alignment.athlete[alignment.reference == r1].max())
        ref_span = (float(reference.times[r0]), float(reference.times[r1]))
        phases.append(Phase(ref_span, (float(athlete.times[a0]), float(athlete.times[a1]))))
    overall = Phase(
        (float(reference.times[0]), float(reference.times[-1])),
        (float(athlete.times[0]), float(athlete.times[-1])),
    )
    return {
        "tempo_ratio": round(overall.ratio, 3),
        "pace": overall.pace,
        "phases": [p.to_dict() for p in phases],
    }

"""What a comparison shows: the side-by-side H.264 video on the athlete's timeline (the reference frame
aligned to each athlete frame), the side-by-side picture of two photos, and one angle over time for both.

The athlete's limbs are coloured by how far their direction (relative to the trunk; the trunk's own lean
for the torso) is from the reference's at the aligned moment: within the tolerance, off (up to twice it),
far off (beyond). Optionally the reference skeleton, scaled to the athlete's trunk and placed on their
hips, is drawn thin and white on the athlete's frame (``overlay``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, nullcontext
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from matplotlib.figure import Figure

from pose_demo.compare.compare import Comparison
from pose_demo.compare.features import REPORTED, angle_difference, reported_angles
from pose_demo.compare.features import pose_angles as feature_angles
from pose_demo.compare.motion import Motion
from pose_demo.i18n import translate
from pose_demo.image_input import load_image
from pose_demo.overlap import WriteBehind, prefetch
from pose_demo.results import MIN_KEYPOINT_SCORE, Box, Person
from pose_demo.skeleton import COCO17
from pose_demo.timing import StageTimer
from pose_demo.video.io import H264Writer, decode, probe
from pose_demo.visualization.draw import DrawOptions, draw_person, line_width
from pose_demo.visualization.plot_fonts import plot_fonts, plot_language
from pose_demo.visualization.text import image_scale, put_label, text_language

# Limb colours (BGR) by grade: within tolerance, off, far off; and not seen in both.
GRADE_COLORS = ((60, 190, 40), (0, 170, 255), (40, 40, 230))
GRADE_NAMES = ("within", "off", "far off")
UNSEEN_COLOR = (150, 150, 150)
OVERLAY_COLOR = (255, 255, 255)
WHITE = (255, 255, 255)
FAR_OFF = 2.0  # "far off": beyond this many tolerances
GRADED_WIDTH = 1.6  # the athlete's limbs, thicker than the usual skeleton: their colour is the message
REFERENCE_DRAWING = DrawOptions(show_boxes=False, show_labels=False, show_track_ids=False)
TORSO = {COCO17.index(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")}
HEAD = set(range(5))  # nose, eyes, ears
Progress = Callable[[int, int], None]
QUEUE_SIZE = 4  # frames decoded ahead of the drawing, and waiting to be encoded


def _flip(i: int) -> int:
    return COCO17.flip_index[i]


def _points(keypoints: np.ndarray) -> np.ndarray:
    """(N, 17, 2) positions, NaN where not seen."""
    seen = keypoints[..., 2] >= MIN_KEYPOINT_SCORE
    return np.where(seen[..., None], keypoints[..., :2], np.nan)


def limb_directions(keypoints: np.ndarray, limbs: list[tuple[int, int]]) -> np.ndarray:
    """(N, L) degrees: each limb's direction relative to the trunk (mid-hip -> mid-shoulder); for torso
    limbs, the trunk's lean from the image's vertical; NaN where not seen."""
    p = _points(np.asarray(keypoints, dtype=np.float64))
    hips = (p[:, 11] + p[:, 12]) / 2
    trunk = (p[:, 5] + p[:, 6]) / 2 - hips

    def angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
        return np.degrees(np.arctan2(cross, (u * v).sum(axis=1)))

    lean = angle(np.broadcast_to([0.0, -1.0], trunk.shape), trunk)
    columns = [lean if {a, b} <= TORSO else angle(trunk, p[:, b] - p[:, a]) for a, b in limbs]
    return np.stack(columns, axis=1) if columns else np.zeros((len(p), 0))


GRADED = [k for k, (a, b) in enumerate(COCO17.limbs) if a not in HEAD and b not in HEAD]


def limb_grades(
    reference: np.ndarray, athlete: np.ndarray, mirror: bool = False, tolerance: float = 10.0
) -> np.ndarray:
    """Per frame pair and COCO limb (N, L): 0 within ``tolerance`` degrees of the reference, 1 off, 2 far
    off (beyond ``FAR_OFF`` tolerances), -1 not graded (head limbs, or not seen in both). ``reference``
    and ``athlete``: aligned keypoints (N, 17, 3). ``mirror``: the athlete's left is the reference's right."""
    limbs = [COCO17.limbs[k] for k in GRADED]
    ath = limb_directions(athlete, limbs)
    ref_limbs = [(_flip(a), _flip(b)) for a, b in limbs] if mirror else limbs
    ref = limb_directions(reference, ref_limbs)
    d = np.abs(angle_difference(-ath if mirror else ath, ref))
    graded = np.where(d <= tolerance, 0, np.where(d <= FAR_OFF * tolerance, 1, 2))
    graded = np.where(np.isnan(d), -1, graded)
    grades = np.full((len(ath), len(COCO17.limbs)), -1, np.int64)
    grades[:, GRADED] = graded
    return grades


def draw_graded(image: np.ndarray, keypoints: np.ndarray, grades: np.ndarray) -> None:
    """The athlete's skeleton in place, each limb in its grade's colour (grey where not graded)."""
    width = line_width(image, GRADED_WIDTH)
    visible = keypoints[:, 2] >= MIN_KEYPOINT_SCORE
    points = np.round(keypoints[:, :2] * 16).astype(np.int32)
    for (a, b), grade in zip(COCO17.limbs, grades, strict=True):
        if visible[a] and visible[b]:
            color = GRADE_COLORS[grade] if grade >= 0 else UNSEEN_COLOR
            cv2.line(image, tuple(points[a]), tuple(points[b]), color, width, cv2.LINE_AA, shift=4)
    radius = max(2, round(width * 0.9))
    for i in np.flatnonzero(visible):
        cv2.circle(image, tuple(points[i]), radius * 16, (40, 40, 40), -1, cv2.LINE_AA, shift=4)


def body_scale(keypoints: np.ndarray) -> float:
    """A clip's typical trunk length (median over frames, mid-hip to mid-shoulder) in pixels; NaN: unseen."""
    p = _points(np.asarray(keypoints, dtype=np.float64))
    trunk = np.linalg.norm((p[:, 5] + p[:, 6]) / 2 - (p[:, 11] + p[:, 12]) / 2, axis=-1)
    return float(np.nanmedian(trunk)) if np.isfinite(trunk).any() else float("nan")


def overlaid_reference(reference: np.ndarray, athlete: np.ndarray, scale: float, mirror: bool) -> np.ndarray:
    """The reference keypoints (17, 3) scaled by ``scale`` about their mid-hip and moved onto the
    athlete's mid-hip (mirrored there when ``mirror``); all unseen when either hip is."""
    ref, ath = _points(reference[None])[0], _points(athlete[None])[0]
    ref_hip, ath_hip = (ref[11] + ref[12]) / 2, (ath[11] + ath[12]) / 2
    offset = (ref[:, :2] - ref_hip) * scale
    if mirror:
        offset[:, 0] *= -1
    out = np.zeros((17, 3))
    out[:, :2] = np.nan_to_num(ath_hip + offset)
    seen = np.isfinite(offset).all(axis=1) & np.isfinite(ath_hip).all()
    out[:, 2] = seen.astype(float)
    return out


def draw_overlay(image: np.ndarray, keypoints: np.ndarray) -> None:
    width = max(1, line_width(image, 0.6))
    points = np.round(keypoints[:, :2] * 16).astype(np.int32)
    for a, b in COCO17.limbs:
        if keypoints[a, 2] > 0 and keypoints[b, 2] > 0 and a not in HEAD and b not in HEAD:
            cv2.line(image, tuple(points[a]), tuple(points[b]), OVERLAY_COLOR, width, cv2.LINE_AA, shift=4)


def panel_size(reference: tuple[int, int], athlete: tuple[int, int]) -> tuple[int, int]:
    """The reference panel's size (w, h): the reference frame scaled to the athlete frame's height."""
    w, h = reference
    return max(2, 2 * round(w * athlete[1] / h / 2)), athlete[1]


def legend(image: np.ndarray, tolerance: float, language: str = "en") -> None:
    """The grades' colours and ranges, top left of the athlete's panel (English without a CJK font)."""
    language = text_language(language)
    size = 0.55 * image_scale(image)
    step = 32 * image_scale(image)
    texts = (
        translate("compare.render.within", language, tolerance=f"{tolerance:g}"),
        translate("compare.render.off", language, low=f"{tolerance:g}", high=f"{FAR_OFF * tolerance:g}"),
        translate("compare.render.far_off", language),
    )
    for k, (text, color) in enumerate(zip(texts, GRADE_COLORS, strict=True)):
        put_label(image, text, 8, (k + 2) * step, (255, 255, 255), size, background=color)


def compose(
    reference: np.ndarray,
    athlete: np.ndarray,
    ref_keypoints: np.ndarray,
    ath_keypoints: np.ndarray,
    grades: np.ndarray,
    tolerance: float,
    overlay: np.ndarray | None = None,
    caption: str = "",
    language: str = "en",
) -> np.ndarray:
    """One side-by-side frame: the reference (scaled to the athlete's height, its skeleton in the usual
    colours) left, the athlete (limbs graded, legend, optional overlay) right; labels in ``language``
    (English when it needs a CJK font and there is none: ``caption`` should be drawn in
    ``text_language(language)`` too)."""
    language = text_language(language)
    ath_h, ath_w = athlete.shape[:2]
    ref_w, ref_h = panel_size((reference.shape[1], reference.shape[0]), (ath_w, ath_h))
    factor = ref_h / reference.shape[0]
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    left = cv2.resize(reference, (ref_w, ref_h), interpolation=interpolation)
    kps = np.asarray(ref_keypoints, dtype=np.float64).copy()
    kps[:, :2] *= factor
    draw_person(left, Person(Box(0, 0, 1, 1), 1.0, kps), REFERENCE_DRAWING)
    right = athlete.copy()
    if overlay is not None:
        draw_overlay(right, overlay)
    draw_graded(right, np.asarray(ath_keypoints, dtype=np.float64), grades)
    size = 0.7 * image_scale(right)
    athlete_label = translate("compare.render.athlete", language, caption=caption).strip()
    put_label(left, translate("compare.render.reference", language), 8, 32 * image_scale(right), WHITE, size)
    put_label(right, athlete_label, 8, 32 * image_scale(right), WHITE, size)
    legend(right, tolerance, language)
    return np.concatenate([left, right], axis=1)


def aligned_reference(comparison: Comparison) -> np.ndarray:
    """For each athlete frame position, the reference position shown with it (the middle one of those
    aligned with it)."""
    pairs = comparison.alignment.pairs
    positions = np.arange(len(comparison.athlete))
    lo = np.searchsorted(pairs[:, 1], positions, "left")
    hi = np.searchsorted(pairs[:, 1], positions, "right")
    return pairs[(lo + hi - 1) // 2, 0]


def _overlays(comparison: Comparison, ref_for: np.ndarray) -> list[np.ndarray]:
    ref, ath = comparison.reference.keypoints, comparison.athlete.keypoints
    scale = body_scale(ath) / body_scale(ref)
    if not np.isfinite(scale):
        return [np.zeros((17, 3)) for _ in ref_for]
    return [overlaid_reference(ref[r], ath[a], scale, comparison.mirror) for a, r in enumerate(ref_for)]


def _frames(motion: Motion) -> Iterator[np.ndarray]:
    """A clip's processed frames again (same size and rate as analysed)."""
    if motion.source is None or motion.size is None:
        raise ValueError(f"the {motion.name} clip's file is not known: analyse it with analyse_clip")
    info = probe(motion.source)
    return decode(info, motion.size, Fraction(motion.fps).limit_denominator(1001))


def _advance(
    frames: Iterator[np.ndarray], current: tuple[int, np.ndarray | None], k: int
) -> tuple[int, np.ndarray]:
    """(position, frame) at position ``k`` of a clip decoded in order, from the current one; a clip that
    ends early keeps its last frame."""
    position, frame = current
    while position < k:
        following = next(frames, None)
        if following is None:
            break
        position, frame = position + 1, following
    if frame is None:
        raise ValueError("the clip could not be decoded again")
    return position, frame


@dataclass(frozen=True)
class RenderTimes:
    """Seconds the drawing thread spent waiting for both clips' frames to be decoded again, drawing and
    composing, and waiting on the encoder (x264 in ffmpeg, and finishing the file); ``draw_cpu``: the CPU
    seconds of the drawing (the same on an idle or a busy machine)."""

    decode: float
    draw: float
    encode: float
    draw_cpu: float = 0.0

    def to_dict(self) -> dict[str, float]:
        names = ("decode", "draw", "draw_cpu", "encode")
        return {name: round(getattr(self, name), 3) for name in names}


def write_side_by_side(
    comparison: Comparison,
    path: str | os.PathLike[str] | None,
    overlay: bool = False,
    progress: Progress | None = None,
    language: str = "en",
) -> RenderTimes:
    """The side-by-side H.264 video of two compared clips, one frame per athlete frame, at the athlete's
    rate, labelled in ``language``; returns where the time went. ``path`` None: the frames are decoded,
    drawn and composed but not encoded (``bench-compare``: what rendering costs beyond encoding).
    English labels when ``language`` needs a CJK font and there is none."""
    language = text_language(language)
    ref, ath = comparison.reference, comparison.athlete
    ref_for = aligned_reference(comparison)
    grades = limb_grades(ref.keypoints[ref_for], ath.keypoints, comparison.mirror, comparison.tolerance)
    overlays = _overlays(comparison, ref_for) if overlay else None
    assert ath.size is not None and ref.size is not None
    size = (panel_size(ref.size, ath.size)[0] + ath.size[0], ath.size[1])
    timer = StageTimer(enabled=True)
    ref_frames, ath_frames = _frames(ref), _frames(ath)
    rate = Fraction(ath.fps).limit_denominator(1001)
    with (
        closing(ref_frames),
        closing(ath_frames),
        H264Writer(path, size, rate) if path is not None else nullcontext() as writer,
        ThreadPoolExecutor(1) as ref_reader,
        ThreadPoolExecutor(1) as ath_reader,
        ThreadPoolExecutor(1) as encoder,
    ):
        # Both clips are decoded ahead and the frames encoded behind, in threads: ffmpeg's work overlaps
        # the drawing. The stages' times are the drawing thread's waits on each.
        refs = prefetch(ref_frames, QUEUE_SIZE, ref_reader)
        aths = prefetch(ath_frames, QUEUE_SIZE, ath_reader)
        encoding = WriteBehind(encoder, QUEUE_SIZE)
        reference: tuple[int, np.ndarray | None] = (-1, None)
        athlete: tuple[int, np.ndarray | None] = (-1, None)
        draw_cpu = 0.0
        for a, r in enumerate(ref_for):
            with timer.stage("decode"):
                reference = _advance(refs, reference, int(r))
                athlete = _advance(aths, athlete, a)
            cpu = time.thread_time()
            with timer.stage("draw"):
                frame = compose(
                    reference[1],
                    athlete[1],
                    ref.keypoints[r],
                    ath.keypoints[a],
                    grades[a],
                    comparison.tolerance,
                    None if overlays is None else overlays[a],
                    translate("compare.render.seconds", language, time=f"{ath.times[a]:.1f}"),
                    language,
                )
            draw_cpu += time.thread_time() - cpu
            with timer.stage("encode"):
                if writer is not None:
                    encoding.submit(writer.write, frame)
            if progress is not None:
                progress(a + 1, len(ref_for))
        with timer.stage("encode"):
            encoding.wait()
        start = time.perf_counter()
    encode_tail = time.perf_counter() - start  # ffmpeg finishing the file (closed on leaving the block)
    t = timer.totals
    return RenderTimes(t["decode"] / 1000, t["draw"] / 1000, t["encode"] / 1000 + encode_tail, draw_cpu)


def side_by_side_picture(comparison: Comparison, overlay: bool = False, language: str = "en") -> np.ndarray:
    """The side-by-side picture (BGR) of two compared photos (or the first frames of two clips' files
    read as pictures), labelled in ``language`` (English without a CJK font)."""
    language = text_language(language)
    ref, ath = comparison.reference, comparison.athlete
    if ref.source is None or ath.source is None:
        raise ValueError("the photos' files are not known: analyse them with photo_motion")
    grades = limb_grades(ref.keypoints[:1], ath.keypoints[:1], comparison.mirror, comparison.tolerance)[0]
    shown = _overlays(comparison, np.zeros(1, np.int64))[0] if overlay else None
    return compose(
        load_image(ref.source),
        load_image(ath.source),
        ref.keypoints[0],
        ath.keypoints[0],
        grades,
        comparison.tolerance,
        shown,
        translate("compare.render.score", language, score=f"{comparison.score:.0f}"),
        language,
    )


def default_angle(comparison: Comparison) -> str:
    """The reported angle that moves most in the reference (the first one seen, for photos)."""
    angles = reported_angles(feature_angles(comparison.reference.keypoints))
    ranges = [float(np.ptp(c[np.isfinite(c)])) if np.isfinite(c).any() else -1.0 for c in angles.T]
    return REPORTED[int(np.argmax(ranges))]


def angle_figure(comparison: Comparison, angle: str | None = None, language: str = "en") -> Figure:
    """One reported angle over the athlete's time: the athlete's, and the reference's at the aligned
    moments (dashed); gaps where not seen. Labelled in ``language`` (English without a CJK font)."""
    language = plot_language(language)
    with plot_fonts(language):
        return _angle_figure(comparison, angle or default_angle(comparison), language)


def _angle_figure(comparison: Comparison, angle: str, language: str) -> Figure:
    k = REPORTED.index(angle)
    ref, ath = comparison.reference, comparison.athlete
    ref_angles = reported_angles(feature_angles(ref.keypoints, False))[:, k]
    ath_angles = reported_angles(feature_angles(ath.keypoints, comparison.mirror))[:, k]
    ref_for = aligned_reference(comparison)
    figure = Figure(figsize=(9, 2.8), layout="constrained")
    ax = figure.subplots()
    marker = "o" if len(ath) == 1 else None

    def t(key: str, **params: object) -> str:
        return translate(f"compare.plot.{key}", language, **params)

    name = translate(f"compare.joint.{angle}", language)
    ax.plot(ath.times, ath_angles, label=t("athlete"), linewidth=1.8, marker=marker)
    ax.plot(ath.times, ref_angles[ref_for], "--", label=t("reference"), linewidth=1.5, marker=marker)
    ax.set_xlabel(t("time"))
    ax.set_ylabel(t("angle", angle=name))
    ax.set_title(t("title", angle=name, score=f"{comparison.score:.0f}"), loc="left")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return figure


def save_figure(figure: Figure, path: str | os.PathLike[str]) -> Path:
    figure.savefig(path, dpi=100)
    return Path(path)

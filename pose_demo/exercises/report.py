"""The session report: one self-contained HTML file per analysed video, for a coach to read and keep.

Per person with repetitions (the main person first): a frame at each repetition's turning point with the
skeleton, the set in numbers, the form checks in plain words, the repetition table and the signal and check
measures over time with each repetition shaded; then the settings and models used and the video's properties.
Pictures are JPEG and plots PNG, inline as ``data:`` URIs: the file opens offline and can be mailed as is.

``write_report(path, run, persons, settings)``; the pieces (``turn_positions``, ``grab_frames``,
``check_lines``, ``angle_plot``...) are pure functions of the run and the counted repetitions, except
``grab_frames``, which decodes the frames it needs from the source video once more.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from matplotlib.figure import Figure

from pose_demo.exercises.reps import CheckResult, Rep, TrackReps
from pose_demo.exercises.schema import Comparison, FormCheck
from pose_demo.exercises.signals import median_smooth, signal_series
from pose_demo.exercises.tracks import PersonReps, track_series
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.results import Person
from pose_demo.video.io import decode
from pose_demo.video.pipeline import VideoOptions, VideoRun
from pose_demo.visualization.draw import DrawOptions, draw_person

TEMPLATES = Path(__file__).parent / "templates"
PICTURE_HEIGHT = 320  # pixels: the turning-point pictures, cropped around the person
PICTURE_MARGIN = 0.25  # of the person's box, on every side of the crop
JPEG_QUALITY = 80
PLOT_DPI = 100
SHADE = "#2f9e44"  # repetitions in the plots
FAIL = "#e03131"
OK = "#2f9e44"
UNKNOWN = "#868e96"
DASH, TIMES = "\u2013", "\u00d7"  # en dash, multiplication sign
LEVEL_MARK = {"ok": "✓", "fail": "✗", "unknown": DASH}


@dataclass(frozen=True)
class ReportSettings:
    """What the report says about how the video was analysed: the model names (``UniModel.names``) and the
    video options (their analysis names the exercise asked for, an id or ``auto``, and its catalog)."""

    models: tuple[str, str] = (DEFAULT_DETECTOR, DEFAULT_KEYPOINTS)
    options: VideoOptions = VideoOptions()

    @property
    def exercise(self) -> str:
        return self.options.analysis.exercise or "auto"

    @property
    def catalog(self) -> str:
        return self.options.analysis.exercise_catalog


# --- plain words ---------------------------------------------------------------------------------------


def format_value(value: float | None, unit: str) -> str:
    """A measure for people: degrees as ``87°``, body-scale lengths as ``0.31 torso``."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:.0f}°" if unit == "deg" else f"{value:.2f} torso"


def target_words(comparison: Comparison) -> str:
    """The check's target: ``below 0.15 torso``, ``above 40°``, ``between -10° and 10°``."""
    unit = comparison.signal.unit
    low = format_value(comparison.bounds[0], unit)
    if comparison.op == "less_than":
        return f"below {low}"
    if comparison.op == "greater_than":
        return f"above {low}"
    return f"between {low} and {format_value(comparison.bounds[1], unit)}"


def _reps_words(indices: Sequence[int]) -> str:
    numbers = [str(i) for i in indices]
    listed = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    return ("rep " if len(numbers) == 1 else "reps ") + listed


@dataclass(frozen=True)
class CheckLine:
    """One form check over the set, in plain words; ``level``: ok (every judged rep), fail (some), unknown."""

    title: str
    level: str
    text: str


def check_line(check: FormCheck, results: Sequence[tuple[int, CheckResult]]) -> CheckLine:
    """``results``: (rep index, that rep's verdict) for every repetition."""
    title = check.title.get("en", check.id)
    unit = check.comparison.signal.unit
    known = [(i, r) for i, r in results if r.level != "unknown"]
    failed = [(i, r) for i, r in known if r.level == "fail"]
    unknown = [i for i, r in results if r.level == "unknown"]
    if not known:
        why = (
            f"it is judged in a {check.view} view only" if check.view != "any" else "the joints were unclear"
        )
        return CheckLine(title, "unknown", f"not judged ({why}).")
    target = target_words(check.comparison)
    if not failed:
        text = (
            f"all {len(known)} reps judged were {target}."
            if len(known) > 1
            else f"{target} in the rep judged."
        )
        if len(known) == len(results) and len(known) > 1:
            text = f"all {len(known)} reps were {target}."
    else:
        missed = ", ".join(format_value(r.value, unit) for _, r in failed)
        who = _reps_words([i for i, _ in failed])
        text = f"{len(known) - len(failed)} of {len(known)} reps were {target}; {who} missed it ({missed})."
    if unknown and known:
        text += f" Not judged in {_reps_words(unknown)}."
    return CheckLine(title, "fail" if failed else "ok", text)


def check_lines(counted: TrackReps) -> list[CheckLine]:
    """Every form check of the exercise over the set."""
    return [
        check_line(check, [(rep.index, rep.checks[k]) for rep in counted.reps])
        for k, check in enumerate(counted.exercise.checks)
    ]


def set_lines(counted: TrackReps) -> list[str]:
    """The set in sentences: duration and tempo, range of motion, and the trend (fatigue) from 3 reps."""
    s = counted.summary
    if s.count == 0 or s.duration_mean is None or s.range_mean is None:
        return []
    unit = counted.exercise.signal.unit
    tempo = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in (s.tempo_mean or {}).items())
    lines = [
        f"A rep took {s.duration_mean:.1f} s on average (± {s.duration_std or 0:.1f} s): {tempo}.",
        f"Range of motion {format_value(s.range_mean, unit)} on average "
        f"(± {format_value(s.range_std, unit)}).",
    ]
    if s.duration_trend is not None and s.range_trend is not None:
        slower = s.duration_trend > 0.05 * s.duration_mean
        smaller = s.range_trend < -0.05 * s.range_mean
        change = f"{s.duration_trend:+.2f} s and {format_value(s.range_trend, unit)} per rep"
        if slower or smaller:
            signs = " and ".join(
                w for w, on in (("reps got slower", slower), ("the range shrank", smaller)) if on
            )
            lines.append(f"Over the set {signs} ({change}): a sign of fatigue.")
        else:
            lines.append(f"Steady over the set ({change}): no sign of fatigue.")
    return lines


# --- pictures ------------------------------------------------------------------------------------------


def turn_positions(run: VideoRun, persons: Sequence[PersonReps]) -> dict[tuple[int, int], int]:
    """(track id, rep index) -> the position in ``run.frames`` of the frame nearest its turning point in
    which the person was seen."""
    times = np.array([f.time for f in run.frames])
    positions = {}
    for person in persons:
        seen = np.array([any(p.track_id == person.track_id for p in f.persons) for f in run.frames])
        if person.counted is None or not seen.any():
            continue
        for rep in person.counted.reps:
            distance = np.where(seen, np.abs(times - rep.turn), np.inf)
            positions[(person.track_id, rep.index)] = int(np.argmin(distance))
    return positions


def grab_frames(run: VideoRun, wanted: set[int]) -> dict[int, np.ndarray]:
    """The frames at these positions of ``run.frames``, decoded from the source as ``process_video``
    decoded them (same size and rate), keeping only those (memory stays bounded by their number)."""
    if not wanted:
        return {}
    frames = {}
    decoded = decode(run.info, run.size, run.rate, max(wanted) + 1)
    try:
        for k, frame in enumerate(decoded):
            if k in wanted:
                frames[k] = frame.copy()
    finally:
        decoded.close()
    return frames


def crop_box(
    person: Person, size: tuple[int, int], margin: float = PICTURE_MARGIN
) -> tuple[int, int, int, int]:
    """The person's box grown by ``margin`` on every side and widened to at least 3:4, within the frame."""
    box = person.box
    width, height = box.width * (1 + 2 * margin), box.height * (1 + 2 * margin)
    width = max(width, 0.75 * height)
    cx, cy = (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2
    x1, y1 = max(0, round(cx - width / 2)), max(0, round(cy - height / 2))
    x2, y2 = min(size[0], round(cx + width / 2)), min(size[1], round(cy + height / 2))
    return x1, y1, max(x2, x1 + 2), max(y2, y1 + 2)


def turn_picture(frame: np.ndarray, person: Person, height: int = PICTURE_HEIGHT) -> str:
    """The person's skeleton drawn on the frame, cropped around them, as a JPEG ``data:`` URI."""
    canvas = frame.copy()
    draw_person(canvas, person, DrawOptions(show_boxes=False, show_labels=False, show_track_ids=False))
    x1, y1, x2, y2 = crop_box(person, (frame.shape[1], frame.shape[0]))
    crop = canvas[y1:y2, x1:x2]
    scale = height / crop.shape[0]
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok, "JPEG encoding failed"
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


# --- plots ---------------------------------------------------------------------------------------------


def _unit_label(unit: str) -> str:
    return "degrees" if unit == "deg" else "torso lengths"


def _shade_reps(ax: Any, counted: TrackReps) -> None:
    for rep in counted.reps:
        ax.axvspan(rep.start, rep.end, color=SHADE, alpha=0.12, lw=0)


def _target_lines(ax: Any, comparison: Comparison) -> None:
    """The check's bounds as dashed red lines, labelled with the target, kept within the axis."""
    low, high = ax.get_ylim()
    pad = 0.1 * (high - low)
    ax.set_ylim(min(low, min(comparison.bounds) - pad), max(high, max(comparison.bounds) + pad))
    for bound in comparison.bounds:
        ax.axhline(bound, color=FAIL, lw=1, ls="--", alpha=0.8)
    ax.annotate(
        target_words(comparison),
        (1.0, comparison.bounds[-1]),
        xycoords=("axes fraction", "data"),
        xytext=(3, 0),
        textcoords="offset points",
        va="center",
        fontsize=8,
        color=FAIL,
    )


def _judged(ax: Any, rep: Rep, result: CheckResult) -> None:
    """A rep's judged value: a dot at its turning point, or a bar over the rep (start/end, throughout)."""
    if result.value is None:
        return
    color = {"ok": OK, "fail": FAIL}.get(result.level, UNKNOWN)
    if result.at == "turn":
        ax.plot([rep.turn], [result.value], "o", color=color, mec="white", ms=7, zorder=3)
    else:
        ax.plot([rep.start, rep.end], [result.value] * 2, color=color, lw=3, solid_capstyle="round", zorder=3)


def _value_at(times: np.ndarray, values: np.ndarray, t: float) -> float:
    k = int(np.argmin(np.abs(times - t)))
    return float(values[k])


def angle_plot(times: np.ndarray, keypoints: np.ndarray, counted: TrackReps) -> str:
    """The exercise's signal over time (thresholds dashed, reps shaded and numbered at their turning points),
    and below it each judged form check's measure with its failing side in red and each rep's verdict;
    a PNG ``data:`` URI."""
    exercise = counted.exercise
    signal = median_smooth(signal_series(exercise.signal, keypoints, exercise.min_score), times)
    checks = [
        (k, check)
        for k, check in enumerate(exercise.checks)
        if any(rep.checks[k].level != "unknown" for rep in counted.reps)
    ]
    figure = Figure(figsize=(9.6, 2.8 + 1.6 * len(checks)), dpi=PLOT_DPI, layout="constrained")
    axes = figure.subplots(
        1 + len(checks), 1, sharex=True, squeeze=False, height_ratios=[1.8] + [1.0] * len(checks)
    )[:, 0]
    ax = axes[0]
    _shade_reps(ax, counted)
    ax.plot(times, signal, color="#1c7ed6", lw=1.8)
    if counted.thresholds is not None:
        for name, value in (("start", counted.thresholds.start), ("turn", counted.thresholds.turn)):
            ax.axhline(value, color="#495057", lw=0.8, ls=":")
            ax.annotate(
                name,
                (1.0, value),
                xycoords=("axes fraction", "data"),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="#495057",
            )
    for rep in counted.reps:
        y = _value_at(times, signal, rep.turn)
        ax.plot([rep.turn], [y], "o", color="#1c7ed6", mec="white", ms=8)
        ax.annotate(
            str(rep.index),
            (rep.turn, y),
            xytext=(0, -14 if exercise.work == "decreasing" else 8),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            fontweight="bold",
        )
    ax.set_title(f"{exercise.title.get('en', exercise.id)}: the counted signal", loc="left", fontsize=10)
    ax.set_ylabel(_unit_label(exercise.signal.unit), fontsize=9)
    for ax, (k, check) in zip(axes[1:], checks, strict=True):
        values = median_smooth(signal_series(check.comparison.signal, keypoints, exercise.min_score), times)
        _shade_reps(ax, counted)
        ax.plot(times, values, color="#495057", lw=1.2)
        ax.margins(y=0.15)
        _target_lines(ax, check.comparison)
        for rep in counted.reps:
            _judged(ax, rep, rep.checks[k])
        ax.set_title(check.title.get("en", check.id), loc="left", fontsize=9)
        ax.set_ylabel(_unit_label(check.comparison.signal.unit), fontsize=8)
    axes[-1].set_xlabel("time (s)", fontsize=9)
    for ax in axes:
        ax.grid(alpha=0.25)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- the page ------------------------------------------------------------------------------------------


@dataclass
class PersonSection:
    """What the template shows for one person with repetitions."""

    track_id: int
    exercise: str
    how: str  # "chosen by auto, 97 % sure" / "as asked"
    count: int
    thresholds: str
    phases: str  # the tempo's phase names, as the table's tempo column lists them
    pictures: list[dict[str, str]] = field(default_factory=list)  # src, caption
    set_lines: list[str] = field(default_factory=list)
    checks: list[CheckLine] = field(default_factory=list)
    check_titles: list[tuple[str, str]] = field(default_factory=list)  # short, full
    rows: list[dict[str, object]] = field(default_factory=list)
    plot: str = ""


def _rows(counted: TrackReps) -> list[dict[str, object]]:
    unit = counted.exercise.signal.unit
    rows = []
    for rep in counted.reps:
        checks = [
            {
                "level": c.level,
                "text": DASH
                if c.level == "unknown"
                else f"{LEVEL_MARK[c.level]} {format_value(c.value, c.unit)}",
            }
            for c in rep.checks
        ]
        rows.append(
            {
                "index": rep.index,
                "start": f"{rep.start:.1f}",
                "turn": f"{rep.turn:.1f}",
                "end": f"{rep.end:.1f}",
                "duration": f"{rep.duration:.1f}",
                "range": f"{format_value(rep.range[0], unit)} {DASH} {format_value(rep.range[1], unit)}",
                "tempo": " / ".join(f"{seconds:.1f}" for seconds in rep.tempo.values()),
                "asymmetry": format_value(rep.asymmetry, unit),
                "checks": checks,
            }
        )
    return rows


def _thresholds(counted: TrackReps) -> str:
    unit = counted.exercise.signal.unit
    if counted.thresholds is None:
        return "none (no movement to count)"
    t = counted.thresholds
    how = (
        "from the exercise"
        if counted.exercise.thresholds is not None
        else "auto, from the person's own range"
    )
    return f"start {format_value(t.start, unit)}, turn {format_value(t.turn, unit)} ({how})"


def person_section(
    person: PersonReps,
    counted: TrackReps,
    times: np.ndarray,
    keypoints: np.ndarray,
    pictures: dict[int, str],
    settings: ReportSettings,
) -> PersonSection:
    """``pictures``: rep index -> its turning-point picture (a ``data:`` URI)."""
    exercise = counted.exercise
    return PersonSection(
        track_id=person.track_id,
        exercise=exercise.title.get("en", exercise.id),
        how=f"chosen by auto, {person.confidence:.0%} sure" if settings.exercise == "auto" else "as asked",
        count=counted.count,
        thresholds=_thresholds(counted),
        phases=" / ".join(exercise.phases),
        pictures=[
            {"src": pictures[rep.index], "caption": f"Rep {rep.index} · {rep.turn:.1f} s"}
            for rep in counted.reps
            if rep.index in pictures
        ],
        set_lines=set_lines(counted),
        checks=check_lines(counted),
        check_titles=[(c.id.replace("_", " "), c.title.get("en", c.id)) for c in exercise.checks],
        rows=_rows(counted),
        plot=angle_plot(times, keypoints, counted),
    )


def _every(n: int) -> str:
    return "every frame" if n == 1 else f"1 frame in {n}"


def settings_rows(settings: ReportSettings) -> list[tuple[str, str]]:
    """How the video was analysed, as (name, value) rows."""
    analysis, options = settings.options.analysis, settings.options
    threshold = "the model's own" if analysis.det_threshold is None else f"{analysis.det_threshold:g}"
    return [
        (
            "Exercise",
            "auto (per person, the clearest repeated movement)"
            if settings.exercise == "auto"
            else settings.exercise,
        ),
        ("Exercise catalog", settings.catalog),
        ("Person detector", settings.models[0]),
        ("Keypoint model", settings.models[1]),
        ("Detection threshold", threshold),
        ("Detection interval", _every(analysis.det_interval)),
        ("People", analysis.focus),
        ("Low-light enhancement", "on" if analysis.enhance else "off"),
        ("Smoothing", f"{analysis.smoothing}, strength {analysis.strength:g}"),
        ("Posture rules", analysis.rules.name if analysis.rules is not None else "none"),
        ("Frames kept", _every(options.frame_stride)),
        ("Frame scale", f"{options.output_scale:g}"),
    ]


def video_rows(run: VideoRun) -> list[tuple[str, str]]:
    """The video's properties and what was processed, as (name, value) rows."""
    info = run.info
    rows = [
        ("File", Path(info.path).name),
        (
            "Size",
            f"{info.width} {TIMES} {info.height}" + (f" (rotated {info.rotation}°)" if info.rotation else ""),
        ),
        ("Frame rate", f"{info.fps:g} frames/s"),
        ("Duration", f"{info.duration:.1f} s ({info.frames} frames)"),
        ("Codecs", info.codec + (f", audio {info.audio_codec}" if info.audio_codec else ", no audio")),
        (
            "Processed",
            f"{len(run.frames)} frames of {run.size[0]} {TIMES} {run.size[1]} at {float(run.rate):g} frames/s"
            f" ({run.duration:.1f} s)",
        ),
    ]
    notice = run.notice()
    if notice:
        rows.append(("Note", notice))
    return rows


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(
    run: VideoRun,
    persons: Sequence[PersonReps],
    settings: ReportSettings = ReportSettings(),
    generated: datetime | None = None,
) -> str:
    """The report's HTML. ``persons`` as ``count_reps`` gives them (longest-seen first)."""
    counted = [(p, p.counted) for p in persons if p.counted is not None and p.count > 0]
    positions = turn_positions(run, [p for p, _ in counted])
    frames = grab_frames(run, set(positions.values()))
    times, tracks = track_series((f.time, f.persons) for f in run.frames)
    sections = []
    for person, reps in counted:
        pictures = {}
        for rep in reps.reps:
            k = positions.get((person.track_id, rep.index))
            if k is None or k not in frames:
                continue
            seen = next(p for p in run.frames[k].persons if p.track_id == person.track_id)
            pictures[rep.index] = turn_picture(frames[k], seen)
        sections.append(person_section(person, reps, times, tracks[person.track_id], pictures, settings))
    others = [p for p in persons if p.counted is None or p.count == 0]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=Path(run.info.path).name,
            sections=sections,
            others=[{"track_id": p.track_id, "seconds": f"{p.frames / float(run.rate):.1f}"} for p in others],
            settings=settings_rows(settings),
            video=video_rows(run),
            generated=(generated or datetime.now()).strftime("%Y-%m-%d %H:%M"),
            level_mark=LEVEL_MARK,
        )
    )


def write_report(
    path: str | os.PathLike[str],
    run: VideoRun,
    persons: Sequence[PersonReps],
    settings: ReportSettings = ReportSettings(),
) -> Path:
    """Write the session report of one analysed video to ``path`` (HTML, UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render_report(run, persons, settings), encoding="utf-8")
    return path

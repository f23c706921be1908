"""The session report: one self-contained HTML file per analysed video, for a coach to read and keep.

Per person with repetitions (the main person first): a frame at each repetition's turning point with the
skeleton and that repetition's count, the set in numbers, the form checks in plain words, the repetition
table and the signal and check measures over time with each repetition shaded; then the settings and models
used and the video's properties.
Pictures are JPEG and plots PNG, inline as ``data:`` URIs: the file opens offline and can be mailed as is.

``write_report(path, run, persons, settings, language)``, in English ("en") or Chinese ("zh-CN"): every
fixed text from the message catalog (keys ``report.reps.*``), the plots in Chinese when a CJK font is
installed (else in English); the pieces (``turn_positions``, ``grab_frames``, ``rep_person``,
``check_lines``, ``angle_plot``...) are pure functions of the run and the counted repetitions, except
``grab_frames``, which decodes the frames it needs from the source video once more.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from matplotlib.figure import Figure

from pose_demo.exercises.reps import TrackReps
from pose_demo.exercises.schema import Comparison, FormCheck
from pose_demo.exercises.signals import median_smooth, signal_series
from pose_demo.exercises.tracks import PersonReps, track_series
from pose_demo.i18n import title_in, translate
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.results import CheckResult, LiveCount, Person, Rep
from pose_demo.video.io import decode
from pose_demo.video.pipeline import VideoOptions, VideoRun
from pose_demo.visualization.draw import DrawOptions, draw_person
from pose_demo.visualization.plot_fonts import plot_fonts, plot_language

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


def format_value(value: float | None, unit: str, language: str = "en") -> str:
    """A measure for people: degrees as ``87°``, body-scale lengths as ``0.31 torso``."""
    if value is None or not math.isfinite(value):
        return DASH
    return (
        f"{value:.0f}°" if unit == "deg" else translate("report.reps.torso", language, value=f"{value:.2f}")
    )


def format_range(low: float | None, high: float | None, unit: str, language: str = "en") -> str:
    """A span for people: ``68° to 165°``, ``0.04 to 1.15 torso lengths`` (the unit said once)."""
    if unit != "deg" and all(v is not None and math.isfinite(v) for v in (low, high)):
        return translate("report.reps.torso_range", language, low=f"{low:.2f}", high=f"{high:.2f}")
    low_text, high_text = (format_value(v, unit, language) for v in (low, high))
    return translate("report.reps.range", language, low=low_text, high=high_text)


def target_words(comparison: Comparison, language: str = "en") -> str:
    """The check's target: ``below 0.15 torso``, ``above 40°``, ``between -10° and 10°``."""
    unit = comparison.signal.unit
    low = format_value(comparison.bounds[0], unit, language)
    if comparison.op == "less_than":
        return translate("report.reps.target.below", language, value=low)
    if comparison.op == "greater_than":
        return translate("report.reps.target.above", language, value=low)
    high = format_value(comparison.bounds[1], unit, language)
    return translate("report.reps.target.between", language, low=low, high=high)


def listed(items: Sequence[str], language: str = "en") -> str:
    """``a``, ``a and b``, ``a, b and c`` (``a、b和c`` in Chinese)."""
    if len(items) == 1:
        return items[0]
    head = translate("report.list.separator", language).join(items[:-1])
    return translate("report.list.last", language, items=head, last=items[-1])


def not_in_catalog(person: PersonReps, language: str = "en") -> str:
    """What ``auto`` says of a person doing none of the catalog's exercises: that, and the count of their
    clearest repeated movement when they have one ("... the clearest repeated movement: 4 elbow bends")."""
    movement = person.movement
    if movement is None or not movement.count:
        return translate("common.reps.not_in_catalog", language)
    part = title_in(movement.exercise.title, language)
    return translate("common.reps.not_in_catalog_movement", language, count=movement.count, part=part)


def _reps_words(indices: Sequence[int], language: str) -> str:
    """``rep 2``, ``reps 1, 2 and 3`` (``第 1、2、3 次`` in Chinese)."""
    if len(indices) == 1:
        return translate("report.reps.rep_one", language, rep=indices[0])
    head = translate("report.list.separator", language).join(str(i) for i in indices[:-1])
    return translate("report.reps.rep_many", language, reps=head, last=indices[-1])


@dataclass(frozen=True)
class CheckLine:
    """One form check over the set, in plain words; ``level``: ok (every judged rep), fail (some), unknown."""

    title: str
    level: str
    text: str


def check_line(
    check: FormCheck, results: Sequence[tuple[int, CheckResult]], language: str = "en"
) -> CheckLine:
    """``results``: (rep index, that rep's verdict) for every repetition."""
    t = partial(translate, language=language)
    title = title_in(check.title, language)
    unit = check.comparison.signal.unit
    known = [(i, r) for i, r in results if r.level != "unknown"]
    failed = [(i, r) for i, r in known if r.level == "fail"]
    unknown = [i for i, r in results if r.level == "unknown"]
    if not known:
        reasons = [r.reason for _, r in results if r.reason]
        reason = max(set(reasons), key=reasons.count) if reasons else "unseen"
        if reason == "view" and check.view != "any":
            why = t("report.reps.check.view_only", view=t(f"report.reps.view.{check.view}"))
        else:
            key = "implausible" if reason == "implausible" else "unclear"
            why = t(f"report.reps.check.{key}")
        return CheckLine(title, "unknown", t("report.reps.check.not_judged", why=why))
    target = target_words(check.comparison, language)
    if not failed and len(known) == 1:
        text = t("report.reps.check.one_judged", target=target)
    elif not failed:
        everyone = len(known) == len(results)
        text = t(
            "report.reps.check.all" if everyone else "report.reps.check.all_judged",
            n=len(known),
            target=target,
        )
    else:
        missed = t("report.list.separator").join(format_value(r.value, unit, language) for _, r in failed)
        who = _reps_words([i for i, _ in failed], language)
        text = t(
            "report.reps.check.missed",
            ok=len(known) - len(failed),
            n=len(known),
            target=target,
            reps=who,
            values=missed,
        )
    if unknown:
        text = t("report.reps.check.also_unjudged", text=text, reps=_reps_words(unknown, language))
    return CheckLine(title, "fail" if failed else "ok", text)


def check_lines(counted: TrackReps, language: str = "en") -> list[CheckLine]:
    """Every form check of the exercise over the set."""
    return [
        check_line(check, [(rep.index, rep.checks[k]) for rep in counted.reps], language)
        for k, check in enumerate(counted.exercise.checks)
    ]


def set_lines(counted: TrackReps, language: str = "en") -> list[str]:
    """The set in sentences: duration and tempo, range of motion, and the trend (fatigue) from 3 reps."""
    t = partial(translate, language=language)
    s = counted.summary
    if s.count == 0 or s.duration_mean is None or s.range_mean is None:
        return []
    unit = counted.exercise.signal.unit
    tempo = t("report.list.separator").join(
        t("report.reps.set.phase", phase=t(f"report.reps.phase.{name}"), seconds=f"{seconds:.1f}")
        for name, seconds in (s.tempo_mean or {}).items()
    )
    lines = [
        t(
            "report.reps.set.duration",
            mean=f"{s.duration_mean:.1f}",
            std=f"{s.duration_std or 0:.1f}",
            tempo=tempo,
        ),
        t(
            "report.reps.set.range",
            mean=format_value(s.range_mean, unit, language),
            std=format_value(s.range_std, unit, language),
        ),
    ]
    if s.duration_trend is not None and s.range_trend is not None:
        slower = s.duration_trend > 0.05 * s.duration_mean
        smaller = s.range_trend < -0.05 * s.range_mean
        change = t(
            "report.reps.set.change",
            duration=f"{s.duration_trend:+.2f}",
            range=format_value(s.range_trend, unit, language),
        )
        if slower or smaller:
            signs = listed(
                [
                    t(key)
                    for key, on in (("report.reps.set.slower", slower), ("report.reps.set.smaller", smaller))
                    if on
                ],
                language,
            )
            lines.append(t("report.reps.set.fatigue", signs=signs, change=change))
        else:
            lines.append(t("report.reps.set.steady", change=change))
    return lines


# --- pictures ------------------------------------------------------------------------------------------


def turn_positions(run: VideoRun, persons: Sequence[PersonReps]) -> dict[tuple[int, int], int]:
    """(person's track id, rep index) -> the position in ``run.frames`` of the frame nearest its turning
    point in which the person was seen, under any of their track ids (``PersonReps.tracks``)."""
    times = np.array([f.time for f in run.frames])
    positions = {}
    for person in persons:
        ids = set(person.tracks or (person.track_id,))
        seen = np.array([any(p.track_id in ids for p in f.persons) for f in run.frames])
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


def rep_person(seen: Person, counted: TrackReps, rep: Rep) -> Person:
    """The person at a repetition's turning point as its picture shows them: with the count of that
    repetition (the count drawn on the video at that moment does not hold it yet: a repetition is counted
    as it ends)."""
    exercise = counted.exercise
    count = LiveCount(exercise.id, rep.index, False, rep, exercise.signal.unit, exercise.title)
    return replace(seen, reps=count)


def turn_picture(
    frame: np.ndarray, person: Person, height: int = PICTURE_HEIGHT, language: str = "en"
) -> str:
    """The person's skeleton drawn on the frame, cropped around them, as a JPEG ``data:`` URI."""
    canvas = frame.copy()
    options = DrawOptions(show_boxes=False, show_labels=False, show_track_ids=False, language=language)
    draw_person(canvas, person, options)
    x1, y1, x2, y2 = crop_box(person, (frame.shape[1], frame.shape[0]))
    crop = canvas[y1:y2, x1:x2]
    scale = height / crop.shape[0]
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok, "JPEG encoding failed"
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


# --- plots ---------------------------------------------------------------------------------------------


def _unit_label(unit: str, language: str) -> str:
    return translate("report.reps.plot.degrees" if unit == "deg" else "report.reps.plot.torsos", language)


def _shade_reps(ax: Any, counted: TrackReps) -> None:
    for rep in counted.reps:
        ax.axvspan(rep.start, rep.end, color=SHADE, alpha=0.12, lw=0)


def _target_lines(ax: Any, comparison: Comparison, language: str) -> None:
    """The check's bounds as dashed red lines, labelled with the target, kept within the axis."""
    low, high = ax.get_ylim()
    pad = 0.1 * (high - low)
    ax.set_ylim(min(low, min(comparison.bounds) - pad), max(high, max(comparison.bounds) + pad))
    for bound in comparison.bounds:
        ax.axhline(bound, color=FAIL, lw=1, ls="--", alpha=0.8)
    ax.annotate(
        target_words(comparison, language),
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


def angle_plot(times: np.ndarray, keypoints: np.ndarray, counted: TrackReps, language: str = "en") -> str:
    """The exercise's signal over time (thresholds dashed, reps shaded and numbered at their turning points),
    and below it each judged form check's measure with its failing side in red and each rep's verdict;
    a PNG ``data:`` URI. Labelled in ``language`` when a font can draw it (else in English)."""
    language = plot_language(language)
    with plot_fonts(language):
        return _angle_plot(times, keypoints, counted, language)


def _angle_plot(times: np.ndarray, keypoints: np.ndarray, counted: TrackReps, language: str) -> str:
    t = partial(translate, language=language)
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
            name = t(f"report.reps.plot.{name}")
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
            family="sans-serif",  # digits: the default font has a bold one (CJK fonts often do not)
        )
    ax.set_title(
        t("report.reps.plot.signal", exercise=title_in(exercise.title, language)), loc="left", fontsize=10
    )
    ax.set_ylabel(_unit_label(exercise.signal.unit, language), fontsize=9)
    for ax, (k, check) in zip(axes[1:], checks, strict=True):
        values = median_smooth(signal_series(check.comparison.signal, keypoints, exercise.min_score), times)
        _shade_reps(ax, counted)
        ax.plot(times, values, color="#495057", lw=1.2)
        ax.margins(y=0.15)
        _target_lines(ax, check.comparison, language)
        for rep in counted.reps:
            _judged(ax, rep, rep.checks[k])
        ax.set_title(title_in(check.title, language), loc="left", fontsize=9)
        ax.set_ylabel(_unit_label(check.comparison.signal.unit, language), fontsize=8)
    axes[-1].set_xlabel(t("report.reps.plot.time"), fontsize=9)
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
    how: str  # "chosen by auto, 97% sure" / "as asked"
    count: int
    thresholds: str
    phases: str  # the tempo's phase names, as the table's tempo column lists them
    pictures: list[dict[str, str]] = field(default_factory=list)  # src, caption
    set_lines: list[str] = field(default_factory=list)
    checks: list[CheckLine] = field(default_factory=list)
    check_titles: list[str] = field(default_factory=list)
    rows: list[dict[str, object]] = field(default_factory=list)
    plot: str = ""


def _rows(counted: TrackReps, language: str) -> list[dict[str, object]]:
    unit = counted.exercise.signal.unit
    rows = []
    for rep in counted.reps:
        checks = [
            {
                "level": c.level,
                "text": translate("report.reps.check.not_measurable", language)
                if c.level == "unknown"
                else f"{LEVEL_MARK[c.level]} {format_value(c.value, c.unit, language)}",
            }
            for c in rep.checks
        ]
        low, high = (format_value(v, unit, language) for v in rep.range)
        rows.append(
            {
                "index": rep.index,
                "start": f"{rep.start:.1f}",
                "turn": f"{rep.turn:.1f}",
                "end": f"{rep.end:.1f}",
                "duration": f"{rep.duration:.1f}",
                "range": f"{low} {DASH} {high}",
                "tempo": " / ".join(f"{seconds:.1f}" for seconds in rep.tempo.values()),
                "asymmetry": format_value(rep.asymmetry, unit, language),
                "checks": checks,
            }
        )
    return rows


def _thresholds(counted: TrackReps, language: str) -> str:
    unit = counted.exercise.signal.unit
    if counted.thresholds is None:
        return translate("report.reps.thresholds.none", language)
    how = "exercise" if counted.exercise.thresholds is not None else "auto"
    return translate(
        "report.reps.thresholds.values",
        language,
        start=format_value(counted.thresholds.start, unit, language),
        turn=format_value(counted.thresholds.turn, unit, language),
        how=translate(f"report.reps.thresholds.{how}", language),
    )


def person_section(
    person: PersonReps,
    counted: TrackReps,
    times: np.ndarray,
    keypoints: np.ndarray,
    pictures: dict[int, str],
    settings: ReportSettings,
    language: str = "en",
) -> PersonSection:
    """``pictures``: rep index -> its turning-point picture (a ``data:`` URI)."""
    t = partial(translate, language=language)
    exercise = counted.exercise
    return PersonSection(
        track_id=person.track_id,
        exercise=title_in(exercise.title, language),
        how=t("report.reps.how.auto", sure=f"{person.confidence:.0%}")
        if settings.exercise == "auto"
        else t("report.reps.how.asked"),
        count=counted.count,
        thresholds=_thresholds(counted, language),
        phases=" / ".join(t(f"report.reps.phase.{phase}") for phase in exercise.phases),
        pictures=[
            {
                "src": pictures[rep.index],
                "caption": t("report.reps.picture", rep=rep.index, time=f"{rep.turn:.1f}"),
            }
            for rep in counted.reps
            if rep.index in pictures
        ],
        set_lines=set_lines(counted, language),
        checks=check_lines(counted, language),
        check_titles=[title_in(c.title, language) for c in exercise.checks],
        rows=_rows(counted, language),
        plot=angle_plot(times, keypoints, counted, language),
    )


def _every(n: int, language: str) -> str:
    return translate("report.reps.every_frame" if n == 1 else "report.reps.one_frame_in", language, n=n)


def settings_rows(settings: ReportSettings, language: str = "en") -> list[tuple[str, str]]:
    """How the video was analysed, as (name, value) rows."""
    t = partial(translate, language=language)
    analysis, options = settings.options.analysis, settings.options
    threshold = (
        t("report.reps.settings.model_threshold")
        if analysis.det_threshold is None
        else f"{analysis.det_threshold:g}"
    )
    rows = [
        (
            "exercise",
            t("report.reps.settings.auto_exercise") if settings.exercise == "auto" else settings.exercise,
        ),
        ("catalog", settings.catalog),
        ("detector", settings.models[0]),
        ("keypoints", settings.models[1]),
        ("threshold", threshold),
        ("interval", _every(analysis.det_interval, language)),
        ("people", t(f"report.reps.settings.focus.{analysis.focus}")),
        ("enhance", t("report.reps.settings.on" if analysis.enhance else "report.reps.settings.off")),
        (
            "smoothing",
            t(
                "report.reps.settings.smoothing_value",
                kind=analysis.smoothing,
                strength=f"{analysis.strength:g}",
            ),
        ),
        ("rules", analysis.rules.name if analysis.rules is not None else t("report.reps.settings.no_rules")),
        ("frames", _every(options.frame_stride, language)),
        ("scale", f"{options.output_scale:g}"),
    ]
    return [(t(f"report.reps.settings.{name}"), value) for name, value in rows]


def video_rows(run: VideoRun, language: str = "en") -> list[tuple[str, str]]:
    """The video's properties and what was processed, as (name, value) rows."""
    t = partial(translate, language=language)
    info = run.info
    size = f"{info.width} {TIMES} {info.height}"
    audio = (
        t("report.reps.video.audio", codec=info.audio_codec)
        if info.audio_codec
        else t("report.reps.video.no_audio")
    )
    rows = [
        ("file", Path(info.path).name),
        ("size", t("report.reps.video.rotated", size=size, degrees=info.rotation) if info.rotation else size),
        ("rate", t("report.reps.video.fps", fps=f"{info.fps:g}")),
        (
            "duration",
            t("report.reps.video.duration_value", seconds=f"{info.duration:.1f}", frames=info.frames),
        ),
        ("codecs", t("report.reps.video.codecs_value", video=info.codec, audio=audio)),
        (
            "processed",
            t(
                "report.reps.video.processed_value",
                frames=len(run.frames),
                size=f"{run.size[0]} {TIMES} {run.size[1]}",
                fps=f"{float(run.rate):g}",
                seconds=f"{run.duration:.1f}",
            ),
        ),
    ]
    notice = run.notice()
    if notice:
        rows.append(("note", notice))
    return [(t(f"report.reps.video.{name}"), value) for name, value in rows]


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
    language: str = "en",
) -> str:
    """The report's HTML in ``language`` ("en" or "zh-CN"). ``persons`` as ``count_reps`` gives them
    (longest-seen first)."""
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
            ids = set(person.tracks or (person.track_id,))
            seen = next(p for p in run.frames[k].persons if p.track_id in ids)
            pictures[rep.index] = turn_picture(frames[k], rep_person(seen, reps, rep), language=language)
        sections.append(
            person_section(person, reps, times, tracks[person.track_id], pictures, settings, language)
        )
    others = [p for p in persons if p.counted is None or p.count == 0]
    who = {
        p.track_id: translate(
            "report.reps.other", language, person=p.track_id, seconds=f"{p.frames / float(run.rate):.1f}"
        )
        for p in others
    }
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            t=partial(translate, language=language),
            listed=partial(listed, language=language),
            language=language,
            title=Path(run.info.path).name,
            sections=sections,
            others=list(who.values()),
            movements=[
                translate(
                    "report.reps.movement", language, person=who[p.track_id], what=not_in_catalog(p, language)
                )
                for p in others
                if p.movement_count
            ],
            settings=settings_rows(settings, language),
            video=video_rows(run, language),
            generated=(generated or datetime.now()).strftime("%Y-%m-%d %H:%M"),
            level_mark=LEVEL_MARK,
        )
    )


def write_report(
    path: str | os.PathLike[str],
    run: VideoRun,
    persons: Sequence[PersonReps],
    settings: ReportSettings = ReportSettings(),
    language: str = "en",
) -> Path:
    """Write the session report of one analysed video to ``path`` (HTML, UTF-8) in ``language`` ("en" or
    "zh-CN"); returns the path."""
    path = Path(path)
    path.write_text(render_report(run, persons, settings, language=language), encoding="utf-8")
    return path

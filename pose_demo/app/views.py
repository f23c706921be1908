"""What the tabs show besides the pictures: the verdict table and its legend, the angle plot's data, persons
numbered."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pose_demo.analysis import AnalysisOptions
from pose_demo.app.settings import ACCURATE_DETECTOR, DETECTORS
from pose_demo.exercises import PersonReps
from pose_demo.exercises.live import LiveCount
from pose_demo.exercises.report import format_value
from pose_demo.i18n import title_in, translate
from pose_demo.results import FrameResult, Person
from pose_demo.rules import RuleSet, Verdict
from pose_demo.rules.schema import Rule
from pose_demo.timing import RateMeter
from pose_demo.video import VideoRun
from pose_demo.visualization.plot_fonts import plot_fonts, plot_language

PERSON_COLUMNS = ("person", "track")  # then one column per rule (catalog keys ui.column.*)
REPS_COLUMNS = ("track", "exercise", "rep", "turn", "duration", "range", "checks")
UNMET = ("front", "side", "standing_still")  # the views and contexts a rule may need (ui.verdict.unmet.*)


def columns(names: Sequence[str], language: str) -> list[str]:
    """Table headers in ``language`` (Gradio does not translate a table's headers)."""
    return [translate(f"ui.column.{name}", language) for name in names]


def plural(key: str, count: int, language: str) -> str:
    """``count`` with its noun: ``key.one`` for one, ``key.other`` for the others (``{n} persons``)."""
    return translate(f"{key}.{'one' if count == 1 else 'other'}", language, n=count)


def number_persons(result: FrameResult) -> FrameResult:
    """Persons without a track id (photos) numbered as in the verdict table, so that labels show it."""
    numbered = [
        p if p.track_id is not None else replace(p, track_id=k) for k, p in enumerate(result.persons, 1)
    ]
    return FrameResult(numbered, result.image_size)


def verdict_cell(verdict: Verdict, language: str = "en") -> str:
    """A verdict in a few words: "141.2 deg", "4.1 deg, mild", "yes" (an action that holds), "not seen"; a
    rule out of its view or context says which ("needs front view", "not standing still (12.0 deg)").

    In streams a debounced grade can outlive its value for a frame or two ("mild", value unknown).
    """

    def t(key: str, **params: object) -> str:
        return translate(f"ui.verdict.{key}", language, **params)

    unit = translate("ui.unit.deg", language) if verdict.unit == "deg" else verdict.unit
    if verdict.level == "unknown":
        if verdict.unmet is None:
            return t("not_seen")
        why = t(f"unmet.{verdict.unmet}") if verdict.unmet in UNMET else t("unmet.other", what=verdict.unmet)
        if verdict.value is None or not verdict.unit:
            return why
        return t("unmet_value", why=why, value=f"{verdict.value:.1f}", unit=unit)
    if not verdict.unit:  # an action or a combined condition: whether it holds
        return t("yes") if verdict.triggered else t("no")
    parts = [] if verdict.value is None else [f"{verdict.value:.1f} {unit}"]
    parts += [t(verdict.level)] if verdict.level in ("mild", "severe") else []
    return t("separator").join(parts) or t("not_seen")


def verdict_table(result: FrameResult, language: str = "en") -> pd.DataFrame:
    """One row per person: its number (1-based, as labelled on the picture), track id, the repetitions so
    far when an exercise is counted ("3 squat") and the last one's metrics (see ``last_rep_cell``), then one
    column per rule, titled by the rule (see ``verdict_cell``)."""
    titles = [title_in(v.title, language) for v in result.persons[0].rules] if result.persons else []
    counting = any(p.reps is not None for p in result.persons)
    rows = [
        [
            number,
            "" if person.track_id is None else person.track_id,
            *([_reps_cell(person, language), last_rep_cell(person.reps, language)] if counting else []),
            *(verdict_cell(v, language) for v in person.rules),
        ]
        for number, person in enumerate(result.persons, start=1)
    ]
    reps_columns = ("reps", "last_rep") if counting else ()
    return pd.DataFrame(rows, columns=[*columns((*PERSON_COLUMNS, *reps_columns), language), *titles])


def _reps_cell(person: Person, language: str) -> str:
    reps = person.reps
    if reps is None:
        return ""
    return translate("ui.reps.count", language, count=reps.count, exercise=reps.name(language))


def _checks(failed: list[str], language: str) -> str:
    if not failed:
        return translate("ui.reps.checks_ok", language)
    return translate(
        "ui.reps.checks_failed", language, checks=translate("ui.list_separator", language).join(failed)
    )


def last_rep_cell(count: LiveCount | None, language: str = "en") -> str:
    """The last repetition counted in a few words: "2.1 s, 68 to 165 deg, ok" or "..., failed: Depth"."""
    rep = None if count is None else count.last
    if count is None or rep is None:
        return ""
    low, high = (format_value(v, count.unit, language) for v in rep.range)
    failed = [title_in(c.title, language) for c in rep.checks if c.level == "fail"]
    return translate(
        "ui.reps.last",
        language,
        duration=f"{rep.duration:.1f}",
        low=low,
        high=high,
        checks=_checks(failed, language),
    )


def image_summary(
    persons: int, models: tuple[str, str], options: AnalysisOptions, language: str = "en"
) -> str:
    """How many persons were found, or, when nobody was, the settings worth trying (Markdown)."""
    if persons:
        return translate("ui.image.found", language, persons=plural("ui.count.person", persons, language))
    tips = []
    if models[0] != ACCURATE_DETECTOR:
        detector = translate(DETECTORS[ACCURATE_DETECTOR], language)
        tips.append(translate("ui.image.tip.detector", language, detector=detector))
    threshold = options.det_threshold
    if threshold is None or threshold > 0.2:
        now = "" if threshold is None else translate("ui.image.tip.now", language, value=f"{threshold:g}")
        tips.append(translate("ui.image.tip.threshold", language, now=now))
    if not options.enhance:
        tips.append(translate("ui.image.tip.enhance", language))
    separator = translate("ui.list_separator", language)
    advice = translate("ui.image.tip.try", language, tips=separator.join(tips)) if tips else ""
    return translate("ui.image.nobody", language) + advice


def _grades(rule: Rule, language: str) -> str:
    t = rule.thresholds
    if t is None:
        return ""
    unit = f" {rule.unit}" if rule.unit else ""
    key = "ui.legend.grades_low" if t.direction == "low" else "ui.legend.grades_high"
    sign = "±" if t.direction == "both" else ""
    return translate(key, language, mild=f"{sign}{t.mild:g}{unit}", severe=f"{sign}{t.severe:g}{unit}")


def rules_legend(rules: RuleSet | None, language: str = "en") -> str:
    """Markdown: what each rule in force measures or checks, its grades, the view it needs."""
    if rules is None or not rules.rules:
        return translate("ui.legend.none", language)
    lines = []
    for rule in rules.rules:
        view = translate(f"ui.legend.view.{rule.view}", language) if rule.view != "any" else ""
        graded = _grades(rule, language) if rule.kind == "screening" else ""
        what = graded or translate(f"ui.legend.kind.{rule.kind}", language)
        note = f" {title_in(rule.note, language)}" if rule.note else ""
        title = title_in(rule.title, language)
        lines.append(translate("ui.legend.line", language, title=title, view=view, what=what, note=note))
    return translate("ui.legend.title", language) + "\n" + "\n".join(lines)


def track_choices(run: VideoRun, language: str = "en") -> list[tuple[str, int]]:
    """(label, id) of every track, the longest-followed first: its id, how long it was followed and where it
    mostly was in the frame, so that a coach can tell who is who."""
    choices = []
    for track_id in run.track_ids:
        boxes = np.array([p.box.as_xyxy() for f in run.frames for p in f.persons if p.track_id == track_id])
        centre = float((boxes[:, 0] + boxes[:, 2]).mean() / 2 / run.size[0])
        where = "left" if centre < 1 / 3 else "right" if centre > 2 / 3 else "middle"
        seconds = f"{len(boxes) / float(run.rate):.1f}"
        where = translate(f"ui.track.{where}", language)
        choices.append(
            (translate("ui.track.choice", language, id=track_id, seconds=seconds, where=where), track_id)
        )
    return choices


def angle_figure(run: VideoRun, track_id: int | None, rule_ids: list[str], language: str = "en") -> Figure:
    """The chosen angle measurements of one track over time (matplotlib): joint angles (0..180 deg) and
    signed tilts and leans on axes of their own, a gap wherever the track is absent or a measurement is
    unknown, a legend of the chosen measurements only; with repetitions counted, each of the track's is
    shaded and numbered at its turning point."""
    language = plot_language(language)  # English words rather than boxes when no CJK font is here
    with plot_fonts(language):
        return _angle_figure(run, track_id, rule_ids, language)


def _angle_figure(run: VideoRun, track_id: int | None, rule_ids: list[str], language: str) -> Figure:
    times = np.array([f.time for f in run.frames])
    series: dict[str, np.ndarray] = {}
    titles: dict[str, str] = {}
    joints: set[str] = set()
    wanted = set(rule_ids)
    for k, frame in enumerate(run.frames):
        for person in frame.persons:
            if track_id is None or person.track_id != track_id:
                continue
            for v in person.rules:
                if v.id in wanted and v.unit == "deg":
                    values = series.setdefault(v.id, np.full(len(times), np.nan))
                    values[k] = np.nan if v.value is None else v.value
                    titles[v.id] = title_in(v.title, language)
                    if v.joint is not None:
                        joints.add(v.id)

    def t(key: str, **params: object) -> str:
        return translate(f"ui.plot.{key}", language, **params)

    groups = [
        (t("joint_angle"), [i for i in rule_ids if i in joints]),
        (t("tilt_lean"), [i for i in rule_ids if i in series and i not in joints]),
    ]
    groups = [(label, ids) for label, ids in groups if ids] or [(t("angle"), [])]
    figure = Figure(figsize=(9, 2.4 * len(groups)), layout="constrained")
    axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, ids) in zip(axes, groups, strict=True):
        for rule_id in ids:
            seen = not np.isnan(series[rule_id]).all()
            label_text = titles[rule_id] if seen else t("not_seen", title=titles[rule_id])
            ax.plot(times, series[rule_id], label=label_text, linewidth=1.5)  # NaN: a gap
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ids:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    if groups[0][1] and groups[0][1][0] in joints:
        axes[0].set_ylim(0, 180)
    counted = next((p.counted for p in run.reps or [] if p.track_id == track_id and p.counted), None)
    for rep in counted.reps if counted is not None else ():  # each repetition shaded, numbered at its turn
        for ax in axes:
            ax.axvspan(rep.start, rep.end, color="tab:orange", alpha=0.15, linewidth=0)
        axes[0].annotate(
            str(rep.index), (rep.turn, 0.97), xycoords=("data", "axes fraction"), ha="center", va="top"
        )
    axes[-1].set_xlabel(t("time"))
    title = t("no_track") if track_id is None else t("track", id=track_id)
    if counted is not None and counted.reps:
        exercise = title_in(counted.exercise.title, language)
        title = t("track_reps", id=track_id, count=counted.count, exercise=exercise)
    axes[0].set_title(title, loc="left")
    return figure


def reps_table(persons: Sequence[PersonReps], language: str = "en") -> pd.DataFrame:
    """One row per repetition of every person who did some: the turning point's time, the duration, the
    range of the counted signal, the form checks that failed (or "ok")."""
    rows = []
    for person in persons:
        counted = person.counted
        if counted is None:
            continue
        unit = counted.exercise.signal.unit
        for rep in counted.reps:
            failed = [title_in(c.title, language) for c in rep.checks if c.level == "fail"]
            low, high = (format_value(v, unit, language) for v in rep.range)
            rows.append(
                [
                    person.track_id,
                    title_in(counted.exercise.title, language),
                    rep.index,
                    f"{rep.turn:.1f}",
                    f"{rep.duration:.1f}",
                    translate("ui.reps.range", language, low=low, high=high),
                    _checks(failed, language),
                ]
            )
    return pd.DataFrame(rows, columns=columns(REPS_COLUMNS, language))


def reps_summary(persons: Sequence[PersonReps], language: str = "en") -> str:
    """Markdown: who did how many of what (or that nobody did repetitions)."""
    counted = [p for p in persons if p.counted is not None and p.count]
    if not counted:
        return translate("ui.reps.none", language)
    parts = [
        translate(
            "ui.reps.person",
            language,
            id=p.track_id,
            count=p.count,
            exercise=title_in(p.counted.exercise.title, language),
        )
        for p in counted
        if p.counted
    ]
    return translate(
        "ui.reps.summary", language, persons=translate("ui.reps.person_separator", language).join(parts)
    )


def live_figures(
    meter: RateMeter,
    language: str = "en",
    shown_fps: float = 0.0,
    latency_ms: float = math.nan,
    dropped: int = 0,
) -> str:
    """The webcam's live figures, as its user sees them under the result: the server's (``meter``), with
    what the page measured once it has (the live channel: frames/s shown, median latency, dropped)."""
    if shown_fps > 0 and math.isfinite(latency_ms):
        return translate(
            "ui.webcam.live_figures",
            language,
            fps=f"{shown_fps:.1f}",
            latency=f"{latency_ms:.0f}",
            dropped=dropped,
            work=f"{meter.work_ms:.0f}",
        )
    if meter.fps == 0:
        return translate("ui.webcam.starting", language)
    return translate("ui.webcam.figures", language, fps=f"{meter.fps:.1f}", work=f"{meter.work_ms:.0f}")


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %"


def verdict_summary(verdicts: Sequence[Verdict], language: str = "en") -> str:
    """One rule's verdicts on one track over a video, in a few words, out of the frames where it could be
    judged: a measurement's median and range ("median 92.0 deg, 61.2 to 170.3"), a screening rule's share
    of flagged frames (and of severe ones), an action's or a classifier's share of frames where it holds."""
    seen = [v for v in verdicts if v.level != "unknown"]
    if not seen:
        return translate("ui.verdict.not_seen", language)
    first = seen[0]
    if first.kind == "measurement":
        values = np.array([v.value for v in seen if v.value is not None], dtype=float)
        unit = translate("ui.unit.deg", language) if first.unit == "deg" else first.unit
        low, high = (f"{x:.1f}" for x in (values.min(), values.max()))
        return translate(
            "ui.summary.measurement",
            language,
            median=f"{np.median(values):.1f}",
            low=low,
            high=high,
            unit=unit,
        )
    held = _share(sum(v.triggered for v in seen), len(seen))
    if first.kind == "screening":
        severe = sum(v.level == "severe" for v in seen)
        flagged = translate("ui.summary.flagged", language, share=held)
        return flagged + (
            translate("ui.summary.severe", language, share=_share(severe, len(seen))) if severe else ""
        )
    return translate("ui.summary.held", language, share=held)


def video_verdict_table(run: VideoRun, language: str = "en") -> pd.DataFrame:
    """One row per track (the longest-followed first): how many frames it was seen in, then per rule its
    verdicts over the video in a few words (``verdict_summary``)."""
    rows = []
    titles: dict[str, str] = {}
    for track_id in run.track_ids:
        by_rule: dict[str, list[Verdict]] = {}
        frames = 0
        for frame in run.frames:
            for person in frame.persons:
                if person.track_id == track_id:
                    frames += 1
                    for v in person.rules:
                        by_rule.setdefault(v.id, []).append(v)
                        titles.setdefault(v.id, title_in(v.title, language))
        rows.append(
            {
                "track": track_id,
                "frames": frames,
                **{i: verdict_summary(vs, language) for i, vs in by_rule.items()},
            }
        )
    table = pd.DataFrame(rows, columns=["track", "frames", *titles])
    return table.rename(
        columns={
            **dict(zip(("track", "frames"), columns(("track", "frames"), language), strict=True)),
            **titles,
        }
    )


def empty_video_verdicts(language: str) -> pd.DataFrame:
    """The per-track verdict table before any video: its headers only."""
    return pd.DataFrame(columns=columns(("track", "frames"), language))

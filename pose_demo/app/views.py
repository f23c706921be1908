"""What the tabs show besides the pictures: the verdict table and its legend, the angle plot's data, persons
numbered."""

from __future__ import annotations

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
from pose_demo.results import FrameResult, Person
from pose_demo.rules import RuleSet, Verdict
from pose_demo.rules.schema import Rule
from pose_demo.timing import RateMeter
from pose_demo.video import VideoRun

PERSON_COLUMNS = ["person", "track"]  # then one column per rule
UNMET_WORDS = {"front": "needs front view", "side": "needs side view", "standing_still": "not standing still"}


def number_persons(result: FrameResult) -> FrameResult:
    """Persons without a track id (photos) numbered as in the verdict table, so that labels show it."""
    numbered = [
        p if p.track_id is not None else replace(p, track_id=k) for k, p in enumerate(result.persons, 1)
    ]
    return FrameResult(numbered, result.image_size)


def verdict_cell(verdict: Verdict) -> str:
    """A verdict in a few words: "141.2 deg", "4.1 deg, mild", "yes" (an action that holds), "not seen"; a
    rule out of its view or context says which ("needs front view", "not standing still (12.0 deg)").

    In streams a debounced grade can outlive its value for a frame or two ("mild", value unknown).
    """
    if verdict.level == "unknown":
        if verdict.unmet is None:
            return "not seen"
        why = UNMET_WORDS.get(verdict.unmet, f"not {verdict.unmet.replace('_', ' ')}")
        if verdict.value is None or not verdict.unit:
            return why
        return f"{why} ({verdict.value:.1f} {verdict.unit})"
    if not verdict.unit:  # an action or a combined condition: whether it holds
        return "yes" if verdict.triggered else "no"
    parts = [] if verdict.value is None else [f"{verdict.value:.1f} {verdict.unit}"]
    parts += [verdict.level] if verdict.level in ("mild", "severe") else []
    return ", ".join(parts) or "not seen"


def verdict_table(result: FrameResult) -> pd.DataFrame:
    """One row per person: its number (1-based, as labelled on the picture), track id, the repetitions so
    far when an exercise is counted ("3 squat") and the last one's metrics (see ``last_rep_cell``), then one
    column per rule, titled by the rule (see ``verdict_cell``)."""
    titles = [v.title["en"] for v in result.persons[0].rules] if result.persons else []
    counting = any(p.reps is not None for p in result.persons)
    rows = [
        [
            number,
            "" if person.track_id is None else person.track_id,
            *([_reps_cell(person), last_rep_cell(person.reps)] if counting else []),
            *map(verdict_cell, person.rules),
        ]
        for number, person in enumerate(result.persons, start=1)
    ]
    reps_columns = ["reps", "last rep"] if counting else []
    return pd.DataFrame(rows, columns=[*PERSON_COLUMNS, *reps_columns, *titles])


def _reps_cell(person: Person) -> str:
    reps = person.reps
    return "" if reps is None else f"{reps.count} {reps.exercise.replace('_', ' ')}"


def last_rep_cell(count: LiveCount | None) -> str:
    """The last repetition counted in a few words: "2.1 s, 68 to 165 deg, ok" or "..., failed: Depth"."""
    rep = None if count is None else count.last
    if count is None or rep is None:
        return ""
    low, high = (format_value(v, count.unit) for v in rep.range)
    failed = [c.title["en"] for c in rep.checks if c.level == "fail"]
    checks = "failed: " + ", ".join(failed) if failed else "ok"
    return f"{rep.duration:.1f} s, {low} to {high}, {checks}"


def image_summary(persons: int, models: tuple[str, str], options: AnalysisOptions) -> str:
    """How many persons were found, or, when nobody was, the settings worth trying (Markdown)."""
    if persons:
        return f"**{persons} person{'s' * (persons != 1)}** found."
    tips = []
    if models[0] != ACCURATE_DETECTOR:
        tips.append(f"the accurate person detector ({DETECTORS[ACCURATE_DETECTOR]})")
    threshold = options.det_threshold
    if threshold is None or threshold > 0.2:
        now = "" if threshold is None else f", now {threshold:g}"
        tips.append(f"a lower detection threshold{now}")
    if not options.enhance:
        tips.append('"Enhance dark images" for a dark or backlit photo')
    advice = f" Try {', '.join(tips)} in the settings." if tips else ""
    return f"**Nobody found.**{advice}"


def _grades(rule: Rule) -> str:
    t = rule.thresholds
    if t is None:
        return ""
    unit = f" {rule.unit}" if rule.unit else ""
    if t.direction == "low":
        return f"mild below {t.mild:g}{unit}, severe below {t.severe:g}{unit}"
    sign = "±" if t.direction == "both" else ""
    return f"mild from {sign}{t.mild:g}{unit}, severe from {sign}{t.severe:g}{unit}"


def rules_legend(rules: RuleSet | None) -> str:
    """Markdown: what each rule in force measures or checks, its grades, the view it needs."""
    if rules is None or not rules.rules:
        return "No rules in force: choose some in the settings."
    lines = []
    for rule in rules.rules:
        view = f" ({rule.view} view only)" if rule.view != "any" else ""
        what = {
            "measurement": "measured, not graded",
            "screening": _grades(rule) or "flagged when its condition holds",
            "action": "yes when its condition holds",
            "classifier": "yes when a trained classifier's probability reaches its threshold",
        }[rule.kind]
        note = f" {rule.note}" if rule.note else ""
        lines.append(f"- **{rule.title['en']}**{view}: {what}.{note}")
    return (
        '**Rules in force.** "not seen": a joint the rule needs was not found confidently enough, or the '
        "person is not seen from the view the rule needs.\n" + "\n".join(lines)
    )


def track_choices(run: VideoRun) -> list[tuple[str, int]]:
    """(label, id) of every track, the longest-followed first: its id, how long it was followed and where it
    mostly was in the frame, so that a coach can tell who is who."""
    choices = []
    for track_id in run.track_ids:
        boxes = np.array([p.box.as_xyxy() for f in run.frames for p in f.persons if p.track_id == track_id])
        centre = float((boxes[:, 0] + boxes[:, 2]).mean() / 2 / run.size[0])
        where = "left" if centre < 1 / 3 else "right" if centre > 2 / 3 else "middle"
        seconds = len(boxes) / float(run.rate)
        choices.append((f"#{track_id}: {seconds:.1f} s, {where} of the frame", track_id))
    return choices


def angle_figure(run: VideoRun, track_id: int | None, rule_ids: list[str]) -> Figure:
    """The chosen angle measurements of one track over time (matplotlib): joint angles (0..180 deg) and
    signed tilts and leans on axes of their own, a gap wherever the track is absent or a measurement is
    unknown, a legend of the chosen measurements only; with repetitions counted, each of the track's is
    shaded and numbered at its turning point."""
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
                    titles[v.id] = v.title["en"]
                    if v.joint is not None:
                        joints.add(v.id)
    groups = [
        ("joint angle (deg)", [i for i in rule_ids if i in joints]),
        ("tilt / lean (deg)", [i for i in rule_ids if i in series and i not in joints]),
    ]
    groups = [(label, ids) for label, ids in groups if ids] or [("angle (deg)", [])]
    figure = Figure(figsize=(9, 2.4 * len(groups)), layout="constrained")
    axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, ids) in zip(axes, groups, strict=True):
        for rule_id in ids:
            seen = not np.isnan(series[rule_id]).all()
            label_text = titles[rule_id] if seen else f"{titles[rule_id]} (not seen)"
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
    axes[-1].set_xlabel("time (s)")
    title = "no track chosen" if track_id is None else f"track #{track_id}"
    if counted is not None and counted.reps:
        title += f": {counted.count} x {counted.exercise.title['en']} (shaded)"
    axes[0].set_title(title, loc="left")
    return figure


REPS_COLUMNS = ["track", "exercise", "rep", "turn (s)", "duration (s)", "range", "form checks"]


def reps_table(persons: Sequence[PersonReps]) -> pd.DataFrame:
    """One row per repetition of every person who did some: the turning point's time, the duration, the
    range of the counted signal, the form checks that failed (or "ok")."""
    rows = []
    for person in persons:
        counted = person.counted
        if counted is None:
            continue
        unit = counted.exercise.signal.unit
        for rep in counted.reps:
            failed = [c.title["en"] for c in rep.checks if c.level == "fail"]
            low, high = (format_value(v, unit) for v in rep.range)
            checks = "failed: " + ", ".join(failed) if failed else "ok"
            rows.append(
                [
                    person.track_id,
                    counted.exercise.title["en"],
                    rep.index,
                    f"{rep.turn:.1f}",
                    f"{rep.duration:.1f}",
                    f"{low} to {high}",
                    checks,
                ]
            )
    return pd.DataFrame(rows, columns=REPS_COLUMNS)


def reps_summary(persons: Sequence[PersonReps]) -> str:
    """Markdown: who did how many of what (or that nobody did repetitions)."""
    counted = [p for p in persons if p.counted is not None and p.count]
    if not counted:
        return "**No repetitions** found: nobody did one of the exercises counted."
    parts = [
        f"track #{p.track_id}: **{p.count} x {p.counted.exercise.title['en']}**" for p in counted if p.counted
    ]
    return "Repetitions: " + "; ".join(parts) + "."


def live_figures(meter: RateMeter) -> str:
    """The webcam's live figures, as its user sees them under the result."""
    if meter.fps == 0:
        return "Starting…"
    return (
        f"**{meter.fps:.1f}** frames/s analysed and shown · {meter.work_ms:.0f} ms of work per frame on the "
        "server (the rest of the delay is the network and the browser)"
    )

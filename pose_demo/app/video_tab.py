"""The Video tab: a video analysed (``/predict_video``): everyone found, tracked, smoothed and judged per
frame, repetitions counted; its summary, downloads and session report, the repetitions and the rules'
verdicts per track, and the angle plot of a track.

Its layout (``video_tab``), handlers (``VideoTab``) and views (tables, summaries, the plot) live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pose_demo.app.core import (
    RESULT_STATE_TTL_S,
    PoseApp,
    VideoAnalysis,
    described_for_api,
    run_bytes,
    user_errors,
)
from pose_demo.app.examples import Example, example_gallery
from pose_demo.app.language import Localised, error, language, ui
from pose_demo.app.settings import Settings
from pose_demo.app.settings_panel import exercise_menu
from pose_demo.app.uploads import Upload, upload_name, upload_path
from pose_demo.app.views import checks_cell, columns, unit_text
from pose_demo.exercises import PersonReps
from pose_demo.focus import person_at
from pose_demo.i18n import Message, plural, title_in, translate
from pose_demo.models.budget import AUTO_KEYPOINTS
from pose_demo.report.session import ReportSettings, format_range, not_in_catalog
from pose_demo.results import FrameResult, Verdict
from pose_demo.video import VideoOptions, VideoRun, VideoTooLongError, check_video, process_video
from pose_demo.video.budget import choose_video_keypoints, run_options
from pose_demo.video.exports import angle_columns, write_gif, write_json
from pose_demo.video.io import frame_at
from pose_demo.visualization.draw import draw_result
from pose_demo.visualization.plot_fonts import plot_fonts, plot_language

# Per-event concurrency on a 2-vCPU machine: a video keeps both cores busy for a while.
VIDEO_CONCURRENCY = 1
PREDICT_VIDEO_API = (
    "Finds, tracks and smooths everyone in a video, with rule verdicts per frame. Returns the annotated "
    "H.264 video and a JSON file with the video's properties, the keypoint model that ran and why "
    "(keypoint_model: auto picks the accurate one where the clip keeps real time with it), and one entry "
    "per processed frame (index, time in seconds, persons as in /predict_image plus their track_id). "
    "max_duration (s) refuses longer videos; frame_stride keeps every n-th frame. Every setting is optional."
)
REPS_COLUMNS = ("track", "exercise", "rep", "turn", "duration", "range", "checks")
TRACK_COLUMNS = ("track", "frames")  # then one column per rule (catalog keys ui.column.*)


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
    shaded and numbered at its turning point. A track that is a fragment of a person (``PersonReps.tracks``)
    shows the whole person."""
    language = plot_language(language)  # English words rather than boxes when no CJK font is here
    with plot_fonts(language):
        return _angle_figure(run, track_id, rule_ids, language)


def _angle_figure(run: VideoRun, track_id: int | None, rule_ids: list[str], language: str) -> Figure:
    times = np.array([f.time for f in run.frames])
    series: dict[str, np.ndarray] = {}
    titles: dict[str, str] = {}
    joints: set[str] = set()
    wanted = set(rule_ids)
    # the person's repetitions and all their track ids (the tracker lost them and found them again)
    person_reps = next((p for p in run.reps or [] if track_id in (p.tracks or (p.track_id,))), None)
    ids = set(person_reps.tracks or (person_reps.track_id,)) if person_reps is not None else {track_id}
    for k, frame in enumerate(run.frames):
        for person in frame.persons:
            if track_id is None or person.track_id not in ids:
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
    counted = person_reps.counted if person_reps is not None else None
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
            rows.append(
                [
                    person.track_id,
                    title_in(counted.exercise.title, language),
                    rep.index,
                    f"{rep.turn:.1f}",
                    f"{rep.duration:.1f}",
                    format_range(*rep.range, unit, language),
                    checks_cell(rep.checks, language),
                ]
            )
    return pd.DataFrame(rows, columns=columns(REPS_COLUMNS, language))


def reps_summary(persons: Sequence[PersonReps], language: str = "en") -> str:
    """Markdown: who did how many of what (or that nobody did repetitions)."""
    counted = [p for p in persons if p.counted is not None and p.count]
    moved = [p for p in persons if p.movement_count]
    if not counted and not moved:
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
    ] + [
        translate("ui.reps.not_in_catalog", language, id=p.track_id, what=not_in_catalog(p, language))
        for p in moved
    ]
    return translate(
        "ui.reps.summary", language, persons=translate("ui.reps.person_separator", language).join(parts)
    )


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
        unit = unit_text(first.unit, language)
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
    table = pd.DataFrame(rows, columns=[*TRACK_COLUMNS, *titles])
    return table.rename(
        columns={
            **dict(zip(TRACK_COLUMNS, columns(TRACK_COLUMNS, language), strict=True)),
            **titles,
        }
    )


def pick_frame(run: VideoRun) -> int:
    """The position in ``run.frames`` of the first frame with the most persons: where to click someone."""
    return max(range(len(run.frames)), key=lambda k: (len(run.frames[k].persons), -k))


def pick_picture(analysis: VideoAnalysis, language: str = "en") -> np.ndarray | None:
    """The frame to click a person in (``pick_frame``), RGB, drawn as the video was, with track ids."""
    run = analysis.run
    k = pick_frame(run)
    frame = frame_at(run.info, run.frames[k].time, run.size[1])
    if frame is None or frame.shape[1::-1] != run.size:
        return None
    draw = replace(analysis.report.options.draw, language=language, show_track_ids=True)
    return draw_result(frame, FrameResult(run.frames[k].persons, run.size), draw)[..., ::-1]


def empty_video_verdicts(language: str) -> pd.DataFrame:
    """The per-track verdict table before any video: its headers only."""
    return pd.DataFrame(columns=columns(TRACK_COLUMNS, language))


class VideoTab:
    """The tab's handlers, given the app."""

    def __init__(self, app: PoseApp) -> None:
        self.app = app

    def predict_video(
        self,
        video: Upload,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for a progress bar)
        *,
        rule_file: Upload = None,
        **settings: Any,
    ) -> tuple[str, str, str]:
        """Find, track and smooth everyone in a video, with rule verdicts per frame.

        Returns the annotated H.264 video and the per-frame JSON file: ``{"video": {...}, "frames":
        [{"index", "time", "persons": [...]}]}``, one entry per processed frame, persons as in
        ``/predict_image`` plus their ``track_id``; the video's ``keypoint_model`` says which ran and why
        (with ``auto``, the one the clip has time for: ``pose_demo.video.budget``). ``max_duration`` (s)
        refuses longer videos (and decoding stops there, whatever the header says); frames over
        ``MAX_SIZE`` (4K) are refused; ``frame_stride`` keeps every n-th frame. The run is kept in
        ``app.results``; the session holds its key.
        """
        lang = language(request)
        with user_errors("video", lang):
            s = self.app.settings(rule_file=rule_file, lang=lang, **settings)
            source = upload_path(video, translate("ui.upload.video", lang), self.app.uploads, lang)
            try:  # a bad or long file is refused before any work
                info = check_video(source, s.max_duration)
            except VideoTooLongError as e:
                raise VideoTooLongError(e.duration, e.limit, Message("video.remedy.slider")) from e
            options = VideoOptions(
                s.analysis_options(self.app.catalog),
                s.draw_options(lang),
                max_duration_s=s.max_duration,
                frame_stride=s.frame_stride,
            )
            name = upload_name(video)
            folder = self.app.outputs.new()
            progress(0, desc=translate("ui.progress.models", lang))
            load = self.app.models.loader(s.detector)
            if s.keypoint_model == AUTO_KEYPOINTS:
                progress(0, desc=translate("ui.progress.budget", lang))
            keypoints = choose_video_keypoints(s.keypoint_model, load, info, options)
            model, options = load(keypoints.keypoints), run_options(options, keypoints.flip)
            desc, unit = translate("ui.progress.frames", lang), translate("ui.progress.unit_frames", lang)

            def report(done: int, total: int) -> None:
                progress((done, total), desc=desc, unit=unit)

            run = process_video(model, info, folder / f"{name}_pose.mp4", options, report)
            json_path = folder / f"{name}_poses.json"
            write_json(run, json_path, keypoints)
            analysis = VideoAnalysis(run, folder, name, ReportSettings(model.names, options), keypoints)
            return str(run.output), str(json_path), self.app.results.keep(analysis, run_bytes(run))

    def kept_run(self, kept: str | None, lang: str) -> VideoAnalysis | None:
        """The session's last run (None before the first); a gr.Error when the server no longer keeps it."""
        analysis: VideoAnalysis | None = self.app.results.get(kept)
        if analysis is None and kept is not None:
            megabytes = self.app.results.max_bytes / 2**20
            raise error(translate("ui.video.error.dropped", lang, megabytes=megabytes), lang)
        return analysis

    def video_details(
        self, kept: str | None, request: gr.Request | None = None
    ) -> tuple[Any, Any, Any, Any, Any, Any, Any, Any]:
        """Summary, downloads (CSV, GIF; with an exercise the repetitions as JSON and CSV and the session
        report), the repetitions table, the rule verdicts per track, the plot's choices (tracks,
        measurements) and first plot, and the frame to click a person in."""
        lang = language(request)
        analysis = self.kept_run(kept, lang)
        if analysis is None:
            empty = gr.update(choices=[], value=None), gr.update(choices=[], value=[])
            return "", None, reps_table([], lang), empty_video_verdicts(lang), *empty, None, None
        with user_errors("downloads", lang):
            run = analysis.run
            files = analysis.files(lang)  # the CSV first, then the repetitions' files, if any
            gif_path = analysis.folder / f"{analysis.name}_preview.gif"
            write_gif(run.output, gif_path)
            files.insert(1, gif_path)
            tracks = run.track_ids
            persons = max((len(f.persons) for f in run.frames), default=0)
            summary = translate(
                "ui.video.summary",
                lang,
                frames=plural("ui.count.frame", len(run.frames), lang),
                width=run.size[0],
                height=run.size[1],
                rate=f"{float(run.rate):.2f}",
                fps=f"{run.fps:.1f}",
                persons=plural("ui.count.person", persons, lang),
                tracks=plural("ui.count.track", len(tracks), lang),
            )
            # a limit stopped it, or the file ended early
            if analysis.keypoints is not None:
                summary += f"\n\n{analysis.keypoints.message(lang)}"
            notice = run.notice({"duration": translate("ui.video.max_duration_slider", lang)}, lang)
            if notice:
                summary += f"\n\n⚠️ {notice}"
            if run.reps is not None:
                summary += f"\n\n{reps_summary(run.reps, lang)}"
            angles = angle_columns(run)
            titles = {v.id: title_in(v.title, lang) for f in run.frames for p in f.persons for v in p.rules}
            chosen = analysis.report.options.analysis.person  # the person followed, if still seen
            track = chosen if chosen in tracks else tracks[0] if tracks else None
            return (
                summary,
                [str(f) for f in files],
                reps_table(run.reps or [], lang),
                video_verdict_table(run, lang),
                gr.update(choices=track_choices(run, lang), value=track),
                gr.update(choices=[(titles.get(a, a), a) for a in angles], value=angles),
                angle_figure(run, track, angles, lang),
                pick_picture(analysis, lang),
            )

    def pick_track(
        self, kept: str | None, evt: gr.SelectData, request: gr.Request | None = None
    ) -> tuple[Any, Any]:
        """A click on a person in the frame to choose from: their track id, to follow them (the setting
        ``person``: the next analyses show only them) and for the plot. Nothing on a click on nobody."""
        analysis = self.kept_run(kept, language(request))
        if analysis is None:
            return gr.skip(), gr.skip()
        persons = analysis.run.frames[pick_frame(analysis.run)].persons
        clicked = person_at(persons, *evt.index)
        if clicked is None:
            return gr.skip(), gr.skip()
        return persons[clicked].track_id, persons[clicked].track_id

    def angle_plot(
        self,
        kept: str | None,
        track: int | None,
        measurements: list[str],
        request: gr.Request | None = None,
    ) -> Any:
        """The plot for another track or set of measurements (no model runs)."""
        analysis = self.kept_run(kept, language(request))
        if analysis is None:
            return None
        return angle_figure(analysis.run, track, measurements or [], language(request))


def video_tab(
    app: PoseApp,
    settings: dict[str, gr.components.Component],
    examples: list[tuple[Example, Path]],
    localised: Localised,
) -> None:
    """The tab's components and events (inside a ``gr.Tab``); ``examples``: the gallery's videos."""
    tab = VideoTab(app)
    d = Settings()
    with gr.Row():
        with gr.Column():
            video = described_for_api(
                gr.Video(sources=["upload"], label=ui("ui.video.video"), elem_id="video-input"),
                "The video: handle_file(path or URL).",
            )
            with gr.Row():
                max_duration = gr.Slider(5, 300, d.max_duration, step=5, label=ui("ui.video.max_duration"))
                frame_stride = gr.Slider(
                    1,
                    10,
                    d.frame_stride,
                    step=1,
                    label=ui("ui.video.frame_stride"),
                    info=ui("ui.video.frame_stride.info"),
                )
            exercise = exercise_menu(settings, "video-exercise", localised)
            run = gr.Button(ui("ui.video.run"), variant="primary", elem_id="video-run")
            example_gallery(video, examples, localised)
        with gr.Column():
            annotated = gr.Video(label=ui("ui.result"), interactive=False, elem_id="video-output")
            summary = gr.Markdown(elem_id="video-summary")
    with gr.Row():  # full width, so that the files' own names stay readable
        frames_json = gr.File(label=ui("ui.video.frames_json"), interactive=False, elem_id="video-json")
        downloads = gr.File(
            label=ui("ui.video.downloads"),
            file_count="multiple",
            interactive=False,
            elem_id="video-files",
        )
    reps = gr.Dataframe(
        headers=list(REPS_COLUMNS),
        label=ui("ui.video.reps"),
        interactive=False,
        elem_id="video-reps",
    )
    localised.append((reps, lambda lang: reps_table([], lang)))
    verdicts = gr.Dataframe(
        headers=list(TRACK_COLUMNS),
        label=ui("ui.video.verdicts"),
        interactive=False,
        elem_id="video-verdicts",
    )
    localised.append((verdicts, empty_video_verdicts))
    with gr.Row():
        pick = gr.Image(label=ui("ui.video.pick"), interactive=False, scale=1, elem_id="video-pick")
        with gr.Column(scale=2):
            with gr.Row():
                track = gr.Dropdown(label=ui("ui.video.track"), choices=[], scale=2, elem_id="video-track")
                measurements = gr.Dropdown(
                    label=ui("ui.video.measurements"), choices=[], multiselect=True, scale=3
                )
            plot = gr.Plot(label=ui("ui.video.plot"), elem_id="video-plot")
    analysis = gr.State(time_to_live=RESULT_STATE_TTL_S, delete_callback=app.results.drop)
    gr.on(
        [run.click, video.upload],
        tab.predict_video,
        inputs=[video],
        inputs_kwargs={
            **settings,
            "exercise": exercise,
            "max_duration": max_duration,
            "frame_stride": frame_stride,
        },
        outputs=[annotated, frames_json, analysis],
        api_name="predict_video",
        api_description=PREDICT_VIDEO_API,
        preprocess=False,
        concurrency_limit=VIDEO_CONCURRENCY,
        concurrency_id="video",
    ).then(
        tab.video_details,
        inputs=[analysis],
        outputs=[summary, downloads, reps, verdicts, track, measurements, plot, pick],
        api_visibility="private",
    )
    pick.select(
        tab.pick_track, inputs=[analysis], outputs=[settings["person"], track], api_visibility="private"
    ).then(tab.angle_plot, inputs=[analysis, track, measurements], outputs=[plot], api_visibility="private")
    gr.on(
        [track.input, measurements.input],
        tab.angle_plot,
        inputs=[analysis, track, measurements],
        outputs=[plot],
        api_visibility="private",
    )

"""The app's event handlers: library calls in, Gradio values out, library errors turned into plain messages.

Settings arrive as keyword arguments named like ``Settings``' fields (Gradio's ``inputs_kwargs``), which
also names the API parameters; ``rule_file`` is spelt out with its None default, which makes it optional
for API clients (the other settings are optional through their components' initial values).

Events that take files skip Gradio's preprocessing, so that the library's own readers (``load_image``,
the video probe) judge the upload and explain what is wrong; ``uploads`` checks first that the file is
one of this app's uploads.
"""

from __future__ import annotations

import html
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import gradio as gr
import numpy as np
import pandas as pd

from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.app.language import error, language
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import SessionClassifiers, Settings, load_rule_file
from pose_demo.app.uploads import Upload, UploadFolders, optional_upload_path, upload_name, upload_path
from pose_demo.app.views import (
    angle_figure,
    empty_video_verdicts,
    image_summary,
    live_figures,
    number_persons,
    plural,
    reps_summary,
    reps_table,
    rules_legend,
    track_choices,
    verdict_table,
    video_verdict_table,
)
from pose_demo.enhance import enhance_dark
from pose_demo.exercises.exports import write_reps_csv, write_reps_json
from pose_demo.exercises.report import ReportSettings, write_report
from pose_demo.i18n import Message, UserError, title_in, translate
from pose_demo.image_input import load_image
from pose_demo.results import FrameResult
from pose_demo.rules import RuleError, RuleSet
from pose_demo.stream import PoseStream
from pose_demo.timing import RateMeter
from pose_demo.video import (
    VideoOptions,
    VideoRun,
    VideoTooLongError,
    check_video,
    process_video,
)
from pose_demo.video.exports import angle_columns, write_csv, write_gif, write_json
from pose_demo.visualization.draw import draw_result

log = logging.getLogger(__name__)

# The webcam's table and figures are sent at most this often; the picture goes with every frame. A table
# changing 15 times a second cannot be read, and each update costs the browser (the page's translation
# walks every cell): on a 2-vCPU machine sending them with every frame cost about 1 frame/s of 8.
WEBCAM_WORDS_EVERY_S = 0.5
# A webcam frame's models run on one thread: two threads per inference took 38 ms of CPU per 640x480
# frame against 25 ms on one (OpenVINO's workers spin while they wait) for 2 ms less wall time, and the
# other sessions (and, on a laptop, the browser) need those cores.
WEBCAM_THREADS = 1


@contextmanager
def user_errors(task: str, lang: str) -> Iterator[None]:
    """Re-raise the library's user-facing errors (``UserError``) as ``gr.Error`` in the user's language
    ``lang``; log anything else and say so plainly. ``task``: what was being done (``ui.task.*``).

    A user's mistake is logged in one line; only a bug is logged with its traceback, once (Gradio is
    told not to print the traceback of the ``gr.Error`` it receives).
    """
    doing = Message(f"ui.task.{task}")  # a task missing from the catalog fails here, on every call
    try:
        yield
    except gr.Error as e:
        log.info("User error while %s: %s", task, " ".join(str(e.message).split()))
        e.print_exception = False
        raise
    except UserError as e:
        log.info("User error while %s: %s", task, " ".join(str(e).split()))
        raise error(e.text(lang), lang) from e
    except Exception as e:
        log.exception("%s failed", task)
        message = translate("ui.error.unexpected", lang, task=doing)
        raise error(message, lang) from e


def bgr_to_rgb(image_bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image_bgr[..., ::-1])


@dataclass
class ImageAnalysis:
    """The last prediction of a session's Image tab, kept to redraw without running the models again."""

    image_bgr: np.ndarray  # as shown: brightened when "enhance" was chosen, as the models saw it
    result: FrameResult
    name: str  # the upload's name, for the download
    models: tuple[str, str]  # the detector and keypoint model that found it
    options: AnalysisOptions  # the analysis options, with the rules in force


@dataclass
class VideoAnalysis:
    """The last processed video of a session's Video tab: for the summary, downloads and plot."""

    run: VideoRun
    folder: Path  # where its files are
    name: str  # the upload's name, for the downloads
    report: ReportSettings  # the models and options that made it, for the session report


@dataclass
class LiveSession:
    """A webcam session: its own stream (tracker, smoothers, rule debounce) and the settings that made it."""

    key: tuple[tuple[str, str], AnalysisOptions]  # the models and analysis options that made the stream
    stream: PoseStream
    meter: RateMeter = field(default_factory=RateMeter)  # frames/s and work per frame, shown live
    words_at: float = -math.inf  # when the table and figures were last sent (on ``PoseApp.clock``)

    def process(self, image_bgr: np.ndarray, arrival: float) -> tuple[np.ndarray, FrameResult]:
        """One frame through the stream: the annotated frame and its result; the work is metered."""
        started = time.perf_counter()
        annotated, result = self.stream.process(image_bgr, arrival)
        self.meter.add(arrival, (time.perf_counter() - started) * 1000)
        return annotated, result

    def words_due(self, now: float) -> bool:
        """Whether the table and figures are to be sent again (see ``WEBCAM_WORDS_EVERY_S``)."""
        if now - self.words_at < WEBCAM_WORDS_EVERY_S:
            return False
        self.words_at = now
        return True


class PoseApp:
    """What the tabs do. One instance serves every session; per-session data lives in ``gr.State``."""

    def __init__(
        self,
        models: LoadedModels,
        outputs: OutputFolders,
        catalog: RuleSet,
        clock: Callable[[], float] = time.monotonic,
        uploads: UploadFolders | None = None,
    ) -> None:
        self.models = models
        self.outputs = outputs
        self.catalog = catalog
        self.clock = clock  # webcam frames are timed by their arrival on this clock (seconds)
        self.uploads = uploads or UploadFolders.gradio()  # the only folders whose files are opened

    def settings(
        self,
        rule_file: Upload = None,
        classifiers: SessionClassifiers | None = None,
        lang: str = "en",
        **values: Any,
    ) -> Settings:
        """The checked settings; a ``rule_file`` must be one of this app's uploads. ``classifiers``: the
        session's (its ``gr.State``, filled by the Teach tab; clients cannot send it); ``lang``: the
        language of an error about the rule file."""
        what = translate("ui.upload.rule_file", lang)
        rule_file = optional_upload_path(rule_file, what, self.uploads, lang)
        s = Settings.parse(self.catalog, rule_file=rule_file, **values)
        return s if classifiers is None else replace(s, classifiers=classifiers)

    def save_image(self, image_bgr: np.ndarray, name: str) -> str:
        """The picture as a JPEG file of its own, for Gradio to serve.

        Not handed to Gradio as an array: Gradio saves arrays at a path named by their content and
        rewrites that file in place, so two requests with the same result (the same photo sent twice at
        once) could serve each other a half-written file.
        """
        path = self.outputs.new() / f"{name}_pose.jpg"
        if not cv2.imwrite(str(path), image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90]):
            raise OSError(f"could not write {path}")
        return str(path)

    def save_analysis(self, analysis: ImageAnalysis, settings: Settings, lang: str) -> str:
        """The analysed image drawn with the settings' drawing options (labels in ``lang``), as a JPEG."""
        result = number_persons(analysis.result)  # photos have no track ids: label persons by number
        return self.save_image(
            draw_result(analysis.image_bgr, result, settings.draw_options(lang)), analysis.name
        )

    def predict_image(
        self,
        image: Upload,
        request: gr.Request | None = None,
        *,
        rule_file: Upload = None,
        **settings: Any,
    ) -> tuple[str, dict[str, Any], ImageAnalysis]:
        """Find the people in an image.

        Returns the annotated image and the result in the CLI's JSON schema: ``{"image": {"width",
        "height"}, "persons": [{"box", "score", "keypoints": 17 x [x, y, score], "rules"}]}``.
        """
        lang = language(request)
        with user_errors("image", lang):
            s = self.settings(rule_file=rule_file, lang=lang, **settings)
            what = translate("ui.upload.image", lang)
            source = load_image(upload_path(image, what, self.uploads, lang))
            options = s.analysis_options(self.catalog)
            result = analyse_image(self.models.get(*s.models), source, options)
            shown = enhance_dark(source) if options.enhance else source
            analysis = ImageAnalysis(shown, result, upload_name(image), s.models, options)
            return self.save_analysis(analysis, s, lang), result.to_dict(), analysis

    def clear_image(
        self, request: gr.Request | None = None
    ) -> tuple[None, None, None, str, pd.DataFrame, str, None]:
        """Empty outputs for the Image tab, shown while a new analysis runs (so that an error never leaves
        the previous results on screen): picture, JSON, analysis, summary, table, legend, download."""
        return None, None, None, "", verdict_table(FrameResult([], (0, 0)), language(request)), "", None

    def image_details(
        self, analysis: ImageAnalysis | None, request: gr.Request | None = None
    ) -> tuple[str, pd.DataFrame, str, str | None]:
        """Summary (how many persons, or what to try when nobody was found), verdict table and its legend,
        and the JSON file of the last analysis; nothing before the first one."""
        lang = language(request)
        if analysis is None:
            return "", verdict_table(FrameResult([], (0, 0)), lang), "", None
        path = self.outputs.new() / f"{analysis.name}_poses.json"
        path.write_text(json.dumps(analysis.result.to_dict(), indent=1), encoding="utf-8")
        summary = image_summary(len(analysis.result), analysis.models, analysis.options, lang)
        legend = rules_legend(analysis.options.rules, lang) if analysis.result.persons else ""
        return summary, verdict_table(analysis.result, lang), legend, str(path)

    def check_rule_file(
        self,
        rule_file: str | None,
        classifiers: SessionClassifiers | None = None,
        request: gr.Request | None = None,
    ) -> tuple[Any, Any, str]:
        """A rule file checked as soon as it is uploaded: (the file, the built-in rules control, a status).

        A file with a mistake is removed (so that it is not in force) and the mistake stays shown, with its
        line and column, until the next upload; a good file disables the built-in rules it replaces.
        """
        if not rule_file:
            return None, gr.update(interactive=True), ""
        lang = language(request)
        name = html.escape(Path(rule_file).name, quote=False)
        try:
            rules = load_rule_file(rule_file, classifiers.classifiers if classifiers else None)
        except RuleError as e:
            log.info("Rule file refused: %s", e)
            error = html.escape(e.text(lang), quote=False)
            return (
                None,
                gr.update(interactive=True),
                translate("ui.rules.refused", lang, name=name, error=error),
            )
        separator = translate("ui.list_separator", lang)
        titles = html.escape(separator.join(title_in(r.title, lang) for r in rules.rules), quote=False)
        status = translate("ui.rules.in_force", lang, count=len(rules.rules), name=name, titles=titles)
        return gr.update(), gr.update(interactive=False), status

    def redraw(
        self, analysis: ImageAnalysis | None, request: gr.Request | None = None, **settings: Any
    ) -> str:
        """The last analysis drawn again with the current drawing options (no model runs)."""
        lang = language(request)
        if analysis is None:
            raise error(translate("ui.error.nothing_to_redraw", lang), lang)
        with user_errors("redraw", lang):
            return self.save_analysis(analysis, self.settings(**settings), lang)

    def webcam_frame(
        self,
        frame: np.ndarray | None,
        session: LiveSession | None,
        request: gr.Request | None = None,
        *,
        rule_file: str | None = None,
        **settings: Any,
    ) -> tuple[Any, Any, LiveSession | None, Any]:
        """One webcam frame (RGB) through the session's own stream: annotated frame, verdicts, session, and
        the live figures (frames/s, work per frame). Gradio's stream, the fallback of the live webcam
        (``app/live.py``).
        """
        if frame is None:
            return gr.skip(), gr.skip(), session, gr.skip()
        lang = language(request)
        with user_errors("webcam", lang):
            arrival = self.clock()
            session = self.webcam_session(session, lang, rule_file=rule_file, **settings)
            annotated, result = session.process(np.ascontiguousarray(frame[..., ::-1]), arrival)
            if not session.words_due(arrival):  # the picture only: see WEBCAM_WORDS_EVERY_S
                return bgr_to_rgb(annotated), gr.skip(), session, gr.skip()
            figures = live_figures(session.meter, lang)
            return bgr_to_rgb(annotated), verdict_table(result, lang), session, figures

    def webcam_session(
        self, session: LiveSession | None, lang: str, *, rule_file: str | None = None, **settings: Any
    ) -> LiveSession:
        """The webcam session for these settings: ``session`` itself, or a new one (new tracks) when a
        setting of the analysis changed; the drawing options apply at once. Raises UserError."""
        s = self.settings(rule_file=rule_file, lang=lang, **settings)
        key = (s.models, s.analysis_options(self.catalog))
        if session is None or session.key != key:
            session = LiveSession(key, PoseStream(self.models.get(*s.models, WEBCAM_THREADS), key[1]))
        session.stream.draw_options = s.draw_options(lang)
        return session

    def reset_webcam_counts(self, session: LiveSession | None, request: gr.Request | None = None) -> None:
        """The reset button: the session's repetition counts start again from zero at its next frame.

        The session is changed in place (Gradio hands the stored object over), not returned: a frame being
        processed at the same time writes the same session back.
        """
        if session is None or session.stream.reps is None:
            gr.Info(translate("ui.info.nothing_to_reset", language(request)))
            return
        session.stream.reps.reset()

    def end_webcam_session(self, session: LiveSession | None) -> None:
        """Gradio dropped a webcam session's state: its tab closed, or no frame came for a while."""
        if session is not None:
            log.info("Webcam session ended: its tracks and rule history are dropped")

    def predict_video(
        self,
        video: Upload,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for a progress bar)
        *,
        rule_file: Upload = None,
        **settings: Any,
    ) -> tuple[str, str, VideoAnalysis]:
        """Find, track and smooth everyone in a video, with rule verdicts per frame.

        Returns the annotated H.264 video and the per-frame JSON file: ``{"video": {...}, "frames":
        [{"index", "time", "persons": [...]}]}``, one entry per processed frame, persons as in
        ``/predict_image`` plus their ``track_id``. ``max_duration`` (s) refuses longer videos (and
        decoding stops there, whatever the header says); frames over ``MAX_SIZE`` (4K) are refused;
        ``frame_stride`` keeps every n-th frame.
        """
        lang = language(request)
        with user_errors("video", lang):
            s = self.settings(rule_file=rule_file, lang=lang, **settings)
            source = upload_path(video, translate("ui.upload.video", lang), self.uploads, lang)
            try:  # a bad or long file is refused before any work
                info = check_video(source, s.max_duration)
            except VideoTooLongError as e:
                raise VideoTooLongError(e.duration, e.limit, Message("video.remedy.slider")) from e
            options = VideoOptions(
                s.analysis_options(self.catalog),
                s.draw_options(lang),
                max_duration_s=s.max_duration,
                frame_stride=s.frame_stride,
            )
            name = upload_name(video)
            folder = self.outputs.new()
            progress(0, desc=translate("ui.progress.models", lang))
            model = self.models.get(*s.models)
            desc, unit = translate("ui.progress.frames", lang), translate("ui.progress.unit_frames", lang)

            def report(done: int, total: int) -> None:
                progress((done, total), desc=desc, unit=unit)

            run = process_video(model, info, folder / f"{name}_pose.mp4", options, report)
            json_path = folder / f"{name}_poses.json"
            write_json(run, json_path)
            analysis = VideoAnalysis(run, folder, name, ReportSettings(model.names, options))
            return str(run.output), str(json_path), analysis

    def video_details(
        self, analysis: VideoAnalysis | None, request: gr.Request | None = None
    ) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
        """Summary, downloads (CSV, GIF; with an exercise the repetitions as JSON and CSV and the session
        report), the repetitions table, the rule verdicts per track, and the plot's choices (tracks,
        measurements) and first plot."""
        lang = language(request)
        if analysis is None:
            empty = gr.update(choices=[], value=None), gr.update(choices=[], value=[])
            return "", None, reps_table([], lang), empty_video_verdicts(lang), *empty, None
        with user_errors("downloads", lang):
            run = analysis.run
            csv_path = analysis.folder / f"{analysis.name}_poses.csv"
            gif_path = analysis.folder / f"{analysis.name}_preview.gif"
            write_csv(run, csv_path)
            write_gif(run.output, gif_path)
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
            notice = run.notice({"duration": translate("ui.video.max_duration_slider", lang)}, lang)
            if notice:
                summary += f"\n\n⚠️ {notice}"
            files = [csv_path, gif_path]
            if run.reps is not None:
                summary += f"\n\n{reps_summary(run.reps, lang)}"
                files += [
                    analysis.folder / f"{analysis.name}_{kind}"
                    for kind in ("reps.json", "reps.csv", "report.html")
                ]
                write_reps_json(run.to_dict(), run.reps, files[2])
                write_reps_csv(run.reps, files[3])
                write_report(files[4], run, run.reps, analysis.report, language=lang)
            angles = angle_columns(run)
            titles = {v.id: title_in(v.title, lang) for f in run.frames for p in f.persons for v in p.rules}
            track = tracks[0] if tracks else None
            return (
                summary,
                [str(f) for f in files],
                reps_table(run.reps or [], lang),
                video_verdict_table(run, lang),
                gr.update(choices=track_choices(run, lang), value=track),
                gr.update(choices=[(titles.get(a, a), a) for a in angles], value=angles),
                angle_figure(run, track, angles, lang),
            )

    def angle_plot(
        self,
        analysis: VideoAnalysis | None,
        track: int | None,
        measurements: list[str],
        request: gr.Request | None = None,
    ) -> Any:
        """The plot for another track or set of measurements (no model runs)."""
        if analysis is None:
            return None
        return angle_figure(analysis.run, track, measurements or [], language(request))

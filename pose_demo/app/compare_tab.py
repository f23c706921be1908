"""The Compare tab: an athlete's clip (or photo) against a reference, aligned in time, side by side.

Its layout and its handler live here; ``build_demo`` adds it with ``compare_tab(app, settings,
localised)``. Its texts are the catalog's ``ui.compare.*``, in the browser's language. The handler opens
only files this app received (``uploads``), and does not analyse a clip again when it has just been
analysed: by this tab (a few recent movements are kept, by content and settings), or by this session's
Video tab (its run is reused when the file is the same and its settings allow it).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio.context import Context

from pose_demo.analysis import AnalysisOptions
from pose_demo.app.core import RESULT_STATE_TTL_S, PoseApp, VideoAnalysis, described_for_api, user_errors
from pose_demo.app.examples import resolve_examples
from pose_demo.app.language import Localised, language, localise_examples, ui
from pose_demo.app.settings import Settings
from pose_demo.app.uploads import Upload, upload_name, upload_path
from pose_demo.checks import check_number
from pose_demo.compare import (
    CompareError,
    Comparison,
    Motion,
    analyse_clip,
    angle_figure,
    compare_motions,
    is_photo,
    main_motion,
    photo_motion,
    side_by_side_picture,
    write_side_by_side,
)
from pose_demo.compare.features import REPORTED
from pose_demo.compare.movement import DIFFERENT_MAX_SCORE
from pose_demo.compare.render import save_figure
from pose_demo.compare.report import TOLERANCE_DEG, pace_words
from pose_demo.exercises.schema import load_catalog
from pose_demo.i18n import Message, title_in, translate
from pose_demo.models.budget import photo_keypoints
from pose_demo.video import VideoOptions, check_video
from pose_demo.video.budget import choose_video_keypoints

log = logging.getLogger(__name__)

# The settings panel's controls that matter here (the main person is always the largest; no rules drawn).
COMPARE_SETTINGS = (
    "preset",
    "detector",
    "keypoint_model",
    "det_threshold",
    "smoothing",
    "strength",
    "enhance",
)
TOLERANCE_RANGE = (1.0, 45.0)
MAX_DURATION_S = 60.0  # each clip
CACHED_MOTIONS = 8  # movements kept for comparing again (their keypoints only: small)
COMPARE_CONCURRENCY = 1  # shares the Video tab's queue: both keep the two cores busy
# The differences table's columns (catalog keys ui.compare.column.*).
DIFFERENCE_KEYS = (
    "angle",
    "athlete_at",
    "reference_at",
    "reference_deg",
    "athlete_deg",
    "difference_deg",
    "words",
)
COMPARE_API = (
    "Compares an athlete with a reference: two videos (aligned in time) or two photos. Returns the "
    "side-by-side H.264 video (videos) or picture (photos), the summary (score 0-100, tempo), the largest "
    "differences, the downloads (alignment and differences as JSON, per-pair angle differences as CSV, the "
    "side-by-side file, the angle plot as PNG) and the plot. mirror: the athlete is filmed mirrored; "
    "tolerance: degrees of difference not reported; overlay: the reference skeleton drawn, scaled, on the "
    "athlete. Every setting is optional."
)
FILE_API = "The {what}: handle_file(path or URL) of a video (MP4, MOV, WebM) or a photo (JPEG, PNG)."


def difference_columns(language: str) -> list[str]:
    """The headers of the differences table in ``language``."""
    return [translate(f"ui.compare.column.{key}", language) for key in DIFFERENCE_KEYS]


DIFFERENCE_COLUMNS = difference_columns("en")  # what API clients asking for no language get


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's content (a 10 MB clip: about 20 ms)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class MotionKey:
    """What makes a movement: the file's content, the models and the analysis options."""

    digest: str
    models: tuple[str, str]
    options: AnalysisOptions


class MotionCache:
    """The last few movements analysed by this tab, shared by all sessions (by content: a file sent again
    by anyone is not analysed again); thread-safe."""

    def __init__(self, size: int = CACHED_MOTIONS) -> None:
        self.size = size
        self._items: OrderedDict[MotionKey, Motion] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: MotionKey) -> Motion | None:
        with self._lock:
            motion = self._items.get(key)
            if motion is not None:
                self._items.move_to_end(key)
            return motion

    def put(self, key: MotionKey, motion: Motion) -> None:
        with self._lock:
            self._items[key] = motion
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def reusable_run(video: VideoAnalysis | None, key: MotionKey) -> bool:
    """Whether the Video tab's last run analysed this file as this tab would: same content, models,
    detection and smoothing, every frame, complete."""
    if video is None or not video.run.complete or video.run.frame_stride != 1:
        return False
    run_options = video.report.options.analysis
    same = ("det_threshold", "smoothing", "strength", "enhance")
    return (
        video.report.models == key.models
        and all(getattr(run_options, f) == getattr(key.options, f) for f in same)
        and Path(video.run.info.path).is_file()
        and file_digest(Path(video.run.info.path)) == key.digest
    )


def differences_table(comparison: Comparison, language: str = "en") -> pd.DataFrame:
    """The largest differences, one row each, in ``language``."""
    rows = [
        [
            translate(f"compare.joint.{d.joint}", language),
            round(d.athlete_time, 2),
            round(d.reference_time, 2),
            round(d.reference_deg),
            round(d.athlete_deg),
            round(d.difference_deg),
            d.words(language),
        ]
        for d in comparison.differences
    ]
    return pd.DataFrame(rows, columns=difference_columns(language))


def write_pairs_csv(comparison: Comparison, path: Path) -> None:
    """One row per aligned pair: frames, times, and the athlete's minus the reference's angles (degrees)."""
    ref, ath = comparison.reference, comparison.athlete
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        header = ["reference_frame", "athlete_frame", "reference_time", "athlete_time"]
        writer.writerow(header + [f"{angle}_difference_deg" for angle in REPORTED])
        for (r, a), diffs in zip(comparison.alignment.pairs, comparison.joint_differences, strict=True):
            values = ["" if math.isnan(v) else round(float(v), 1) for v in diffs]
            times = [round(float(ref.times[r]), 3), round(float(ath.times[a]), 3)]
            writer.writerow([int(ref.frames[r]), int(ath.frames[a]), *times, *values])


def summary(comparison: Comparison, reused: list[Message], language: str = "en") -> str:
    """The score, a warning when the clips show different movements, the tempo (videos), and what was not
    analysed again, in ``language``."""

    def t(key: str, **params: Any) -> str:
        return translate(f"ui.compare.{key}", language, **params)

    lines = [t("score", score=comparison.score)]
    movement = comparison.movement
    if movement is not None and movement.same is False:
        lines.append(t("different_movement", text=movement.words(language), cap=DIFFERENT_MAX_SCORE))
    if not comparison.athlete.photo:
        timing = comparison.timing
        exercise = comparison.exercise
        reps = t("reps", exercise=title_in(load_catalog().get(exercise).title, language)) if exercise else ""
        pace = pace_words(timing["pace"], language)
        lines.append(t("tempo", ratio=timing["tempo_ratio"], pace=pace, reps=reps))
    if not comparison.differences:
        lines.append(t("no_difference", tolerance=comparison.tolerance))
    if reused:
        lines.append(t("reused", what=t("separator").join(m.text(language) for m in reused)))
    return "\n\n".join(lines)


class CompareTab:
    """The tab's handler, given the app (models, output folders, upload folders, settings)."""

    def __init__(self, app: PoseApp, cache: MotionCache | None = None) -> None:
        self.app = app
        self.cache = cache or MotionCache()

    def keypoints(self, settings: Settings, reference: Path, options: AnalysisOptions) -> str:
        """The keypoint model for both files, so that they are measured alike: the one chosen; with
        ``auto``, for photos the large one, for videos the one the reference clip has time for."""
        if is_photo(reference):
            return photo_keypoints(settings.keypoint_model).keypoints
        info = check_video(reference, MAX_DURATION_S)  # a bad or long file is refused before any work
        clip = VideoOptions(options, max_duration_s=MAX_DURATION_S)
        load = self.app.models.loader(settings.detector)
        return choose_video_keypoints(settings.keypoint_model, load, info, clip).keypoints

    def motion(
        self,
        path: Path,
        name: str,
        key: MotionKey,
        video: VideoAnalysis | None,
        report: Callable[[int, int], None],
        reused: list[Message],
    ) -> Motion:
        """The movement in one file: from this tab's cache, the Video tab's run, or analysed now."""
        cached = self.cache.get(key)
        if cached is not None:
            reused.append(Message("ui.compare.reused_here", {"name": Message(f"ui.compare.the_{name}")}))
            motion = cached
        elif not is_photo(path) and reusable_run(video, key):
            assert video is not None
            motion = main_motion(video.run, name)
            reused.append(Message("ui.compare.reused_video", {"name": Message(f"ui.compare.the_{name}")}))
        elif is_photo(path):
            motion = photo_motion(self.app.models.get(*key.models), path, name, key.options)
        else:
            info = check_video(path, MAX_DURATION_S)  # a bad or long file is refused before any work
            options = VideoOptions(key.options, max_duration_s=MAX_DURATION_S)
            motion = analyse_clip(self.app.models.get(*key.models), info.path, name, options, report)
        self.cache.put(key, motion)
        # The same content, from the file just received: an earlier upload may be gone when it is drawn.
        return replace(motion, name=name, source=str(path))

    def compare(
        self,
        reference: Upload,
        athlete: Upload,
        mirror: bool = False,
        tolerance: float = TOLERANCE_DEG,
        overlay: bool = False,
        video: str | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for a progress bar)
        request: gr.Request | None = None,
        **settings: Any,
    ) -> tuple[Any, Any, str, pd.DataFrame, list[str], Any]:
        """The side-by-side video (or picture), summary, differences table, downloads and angle plot, in
        the language of the browser that sent ``request`` (Gradio passes it; English without one)."""
        lang = language(request)
        run = self.app.results.get(video)  # the Video tab's last run, while the server keeps it
        with user_errors("compare", lang):
            return self._compare(
                reference, athlete, mirror, tolerance, overlay, run, progress, settings, lang
            )

    def _compare(
        self,
        reference: Upload,
        athlete: Upload,
        mirror: bool,
        tolerance: float,
        overlay: bool,
        video: VideoAnalysis | None,
        progress: gr.Progress,
        settings: dict[str, Any],
        lang: str,
    ) -> tuple[Any, Any, str, pd.DataFrame, list[str], Any]:
        def t(key: str, **params: Any) -> str:
            return translate(f"ui.compare.{key}", lang, **params)

        ref_path = upload_path(reference, t("the_reference"), self.app.uploads, lang)
        ath_path = upload_path(athlete, t("the_athletes_file"), self.app.uploads, lang)
        if is_photo(ref_path) != is_photo(ath_path):
            raise CompareError("ui.compare.error.photo_and_video")
        tolerance = check_number(
            Message("ui.compare.the_tolerance"), tolerance, *TOLERANCE_RANGE, error=CompareError
        )
        s = self.app.settings(lang=lang, **settings)
        options = replace(s.analysis, focus="largest", exercise=None)
        progress(0, desc=t("progress.models"))
        models = (s.detector, self.keypoints(s, ref_path, options))
        reused: list[Message] = []
        motions = []
        for path, name in ((ref_path, "reference"), (ath_path, "athlete")):
            analysing = t("progress.analysing", name=t(f"the_{name}"))

            def report(done: int, total: int, desc: str = analysing) -> None:
                progress((done, total), desc=desc, unit=t("progress.frames"))

            key = MotionKey(file_digest(path), models, options)
            motions.append(self.motion(path, name, key, video, report, reused))
        progress(0, desc=t("progress.aligning"))
        comparison = compare_motions(motions[0], motions[1], bool(mirror), tolerance)
        folder = self.app.outputs.new()
        stem = f"{upload_name(athlete)}_vs_{upload_name(reference)}"
        files = [folder / f"{stem}_compare.json", folder / f"{stem}_compare.csv"]
        files[0].write_text(json.dumps(comparison.to_dict()), encoding="utf-8")
        write_pairs_csv(comparison, files[1])
        side_video = side_picture = None
        if comparison.athlete.photo:
            side_picture = self.app.save_image(side_by_side_picture(comparison, bool(overlay), lang), stem)
            files.append(Path(side_picture))
        else:

            def drawing(done: int, total: int) -> None:
                progress((done, total), desc=t("progress.drawing"), unit=t("progress.frames"))

            side_video = folder / f"{stem}_compare.mp4"
            write_side_by_side(comparison, side_video, bool(overlay), drawing, lang)
            files.append(side_video)
        figure = angle_figure(comparison, language=lang)
        files.append(save_figure(figure, folder / f"{stem}_angle.png"))
        return (
            None if side_video is None else str(side_video),
            side_picture,
            summary(comparison, reused, lang),
            differences_table(comparison, lang),
            [str(f) for f in files],
            figure,
        )


def show_side_by_side(picture: Any) -> tuple[Any, Any]:
    """Of the side-by-side video and picture, the one that was made is shown (a picture for photos)."""
    return gr.update(visible=picture is None), gr.update(visible=picture is not None)


def video_tab_state() -> gr.State | None:
    """The Video tab's result state (the output of its ``predict_video`` event), if built before."""
    root = Context.root_block
    for fn in root.fns.values() if root is not None else ():
        if fn.api_name == "predict_video":
            return next((c for c in fn.outputs if isinstance(c, gr.State)), None)
    return None


def example_pairs() -> list[list[str]]:
    """(reference, athlete) examples: the squats against themselves, and against the lateral raise."""
    videos = [str(path) for _, path in resolve_examples("video")]
    return [[videos[0], videos[0]], [videos[0], videos[1]]] if len(videos) >= 2 else []


def example_labels(language: str) -> list[str]:
    """The names of the ``example_pairs``, in ``language``."""
    return [translate(f"ui.compare.example.{key}", language) for key in ("same", "raise")]


def compare_tab(
    app: PoseApp, settings: dict[str, gr.components.Component], localised: Localised
) -> CompareTab:
    """The tab's components and events (inside a ``gr.Tab``); returns its handler. Its table's empty
    value, whose headers depend on the language, joins ``localised``."""
    tab = CompareTab(app)
    gr.Markdown(ui("ui.compare.intro"))
    with gr.Row():
        with gr.Column():
            with gr.Row():
                reference = described_for_api(
                    gr.File(
                        file_types=["video", "image"], label=ui("ui.compare.reference"), elem_id="compare-ref"
                    ),
                    FILE_API.format(what="reference"),
                )
                athlete = described_for_api(
                    gr.File(
                        file_types=["video", "image"],
                        label=ui("ui.compare.athlete"),
                        elem_id="compare-athlete",
                    ),
                    FILE_API.format(what="athlete's file"),
                )
            with gr.Row():
                mirror = gr.Checkbox(False, label=ui("ui.compare.mirror"), info=ui("ui.compare.mirror_info"))
                overlay = gr.Checkbox(
                    False, label=ui("ui.compare.overlay"), info=ui("ui.compare.overlay_info")
                )
                tolerance = gr.Slider(
                    *TOLERANCE_RANGE,
                    TOLERANCE_DEG,
                    step=1,
                    label=ui("ui.compare.tolerance"),
                    info=ui("ui.compare.tolerance_info"),
                )
            run = gr.Button(ui("ui.compare.run"), variant="primary", elem_id="compare-run")
            pairs = example_pairs()
            if pairs:
                examples = gr.Examples(
                    pairs,
                    inputs=[reference, athlete],
                    example_labels=example_labels("en"),
                    label=ui("ui.compare.examples"),
                )
                localise_examples(examples, example_labels, localised)
        with gr.Column():
            side_video = gr.Video(
                label=ui("ui.compare.side_by_side"), interactive=False, elem_id="compare-video"
            )
            side_picture = gr.Image(
                label=ui("ui.compare.side_by_side"),
                interactive=False,
                visible=False,
                elem_id="compare-picture",
            )
            result = gr.Markdown(elem_id="compare-summary")
    table = gr.Dataframe(
        headers=DIFFERENCE_COLUMNS,
        label=ui("ui.compare.differences"),
        interactive=False,
        elem_id="compare-table",
    )
    localised.append((table, lambda lang: pd.DataFrame(columns=difference_columns(lang))))
    downloads = gr.File(
        label=ui("ui.compare.downloads"),
        file_count="multiple",
        interactive=False,
        elem_id="compare-files",
    )
    plot = gr.Plot(label=ui("ui.compare.plot"), elem_id="compare-plot")
    video_state = video_tab_state() or gr.State(time_to_live=RESULT_STATE_TTL_S)
    run.click(
        tab.compare,
        inputs=[reference, athlete, mirror, tolerance, overlay, video_state],
        inputs_kwargs={name: settings[name] for name in COMPARE_SETTINGS if name in settings},
        outputs=[side_video, side_picture, result, table, downloads, plot],
        api_name="compare",
        api_description=COMPARE_API,
        preprocess=False,
        concurrency_limit=COMPARE_CONCURRENCY,
        concurrency_id="video",
    ).success(
        show_side_by_side,
        inputs=[side_picture],
        outputs=[side_video, side_picture],
        preprocess=False,
        queue=False,
        api_visibility="private",
    )
    return tab

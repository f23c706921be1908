"""The Gradio Blocks: title, shared settings panel, and the Image, Video, Webcam, Compare and Teach tabs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
import pandas as pd

from pose_demo.app.compare_tab import compare_tab
from pose_demo.app.examples import Example
from pose_demo.app.handlers import WEBCAM_WORDS_EVERY_S, PoseApp
from pose_demo.app.language import Localised, language, localise_examples, ui
from pose_demo.app.live import LiveWebcam
from pose_demo.app.settings import (
    DEFAULT_RULES,
    DEFAULT_SHOW,
    DETECTORS,
    DRAWING,
    FOCUS,
    KEYPOINT_MODELS,
    PRESET_LABELS,
    SHOW,
    SMOOTHING,
    THICKNESS_RANGE,
    Settings,
    preset_models,
)
from pose_demo.app.teach_tab import teach_tab
from pose_demo.app.views import PERSON_COLUMNS, REPS_COLUMNS, empty_video_verdicts, reps_table, verdict_table
from pose_demo.exercises.schema import load_catalog
from pose_demo.i18n import title_in, translate
from pose_demo.results import FrameResult

TITLE = "Pose studio"  # the browser tab's title (the page's own is translated: ui.title)
# The settings each tab reads: photos are not smoothed nor counted, the other settings apply to every tab.
NOT_FOR = {"image": ("smoothing", "strength", "exercise"), "video": (), "webcam": ()}
# Per-event concurrency on a 2-vCPU machine: inference uses both cores, more parallel runs only queue.
IMAGE_CONCURRENCY = 2
VIDEO_CONCURRENCY = 1  # a video keeps both cores busy for a while
WEBCAM_CONCURRENCY = 2
WEBCAM_FRAME_EVERY_S = 0.04
WEBCAM_TIME_LIMIT_S = 120
# Per-session state is dropped this long after it was last written (Gradio otherwise keeps it an hour
# after its tab closes, and for good for API clients, which never close theirs; an image result holds the
# whole picture). A webcam session is written on every frame: it goes soon after its stream stops.
WEBCAM_STATE_TTL_S = 10
RESULT_STATE_TTL_S = 1800
# The live webcam's elements (``app/live.js`` shows them, with the ids of Gradio's, while live).
LIVE_HTML = """
<div class="pose-live" hidden>
  <div class="pose-live-camera" id="webcam-input-live"><video muted playsinline></video></div>
  <div class="pose-live-result" id="webcam-output-live"><img alt=""></div>
</div>
<p class="pose-live-note"></p>
"""
LIVE_CSS = """
.pose-live:not([hidden]) { display: flex; gap: 12px; }
.pose-live > div { flex: 1; min-width: 0; }
.pose-live video, .pose-live img { display: block; width: 100%; border-radius: 8px; background: #111; }
.pose-live-note:empty { display: none; }
"""
RULE_FILE_API = (
    "Optional: a YAML rule file (handle_file(path)); its rules replace `rules`. See docs/rules.md."
)
PREDICT_IMAGE_API = (
    "Finds everyone in a photo. Returns the annotated image and the result as JSON: image width and "
    "height, and per person its box [x1, y1, x2, y2] in pixels, its score (the mean confidence of its 17 "
    "keypoints, 0..1, which can be below the detection threshold), its keypoints (17 x [x, y, "
    "confidence], COCO order) and the verdicts of the rules chosen. Every setting is optional."
)
PREDICT_VIDEO_API = (
    "Finds, tracks and smooths everyone in a video, with rule verdicts per frame. Returns the annotated "
    "H.264 video and a JSON file with the video's properties and one entry per processed frame (index, "
    "time in seconds, persons as in /predict_image plus their track_id). max_duration (s) refuses longer "
    "videos; frame_stride keeps every n-th frame. Every setting is optional."
)


C = TypeVar("C", bound=gr.components.Component)


def described_for_api(component: C, note: str) -> C:
    """``component``, its entry on the API page saying ``note`` instead of Gradio's internal FileData
    docstring. (Set on the instance: a subclass would make Gradio write a .pyi file beside this module.)"""
    info = component.api_info()
    component.api_info = lambda: {**info, "additional_description": note}  # type: ignore[method-assign]
    return component


def _choices(labels: dict[str, str]) -> list[tuple[Any, str]]:
    """Radio or dropdown choices from ``value -> catalog key of its label``."""
    return [(ui(key), value) for value, key in labels.items()]


def tab_settings(
    settings: dict[str, gr.components.Component], tab: str
) -> dict[str, gr.components.Component]:
    return {name: component for name, component in settings.items() if name not in NOT_FOR[tab]}


def example_gallery(
    target: gr.components.Component, examples: list[tuple[Example, Path]], localised: Localised
) -> gr.Examples | None:
    """Named example files that fill ``target`` when clicked, named in the user's language; None when
    there are none (then a line says why, rather than the gallery silently missing)."""
    if not examples:
        gr.Markdown(ui("ui.no_examples"), elem_id="no-examples")
        return None
    gallery = gr.Examples(
        [[str(path)] for _, path in examples],
        inputs=[target],
        example_labels=[example.name for example, _ in examples],
        label=ui("ui.examples"),
    )
    localise_examples(gallery, lambda lang: [e.title(lang) for e, _ in examples], localised)
    return gallery


def empty_verdicts(language: str) -> pd.DataFrame:
    return verdict_table(FrameResult([], (0, 0)), language)


def settings_panel(app: PoseApp, localised: Localised) -> dict[str, gr.components.Component]:
    """The shared settings accordion; its components keyed by ``Settings`` field names."""
    d = Settings()
    exercises = load_catalog().exercises

    def rule_choices(lang: str) -> list[tuple[str, str]]:
        return [(f"{title_in(r.title, lang)} ({r.id})", r.id) for r in app.catalog.rules]

    def exercise_choices(lang: str) -> list[tuple[Any, str]]:
        fixed = [(ui("ui.choice.exercise.off"), ""), (ui("ui.choice.exercise.auto"), "auto")]
        return fixed + [(title_in(e.title, lang), e.id) for e in exercises]

    with gr.Accordion(ui("ui.settings"), open=False, elem_id="settings"):
        with gr.Row():
            with gr.Column(scale=1):
                preset = gr.Radio(
                    _choices(PRESET_LABELS),
                    value=d.preset,
                    label=ui("ui.settings.preset"),
                    info=ui("ui.settings.preset.info"),
                    elem_id="preset",
                )
                preset_status = gr.Markdown(elem_id="preset-status")
            detector = gr.Dropdown(_choices(DETECTORS), value=d.detector, label=ui("ui.settings.detector"))
            keypoint_model = gr.Dropdown(
                _choices(KEYPOINT_MODELS), value=d.keypoint_model, label=ui("ui.settings.keypoints")
            )
            det_threshold = gr.Slider(
                0.05, 0.95, d.analysis.det_threshold, step=0.05, label=ui("ui.settings.det_threshold")
            )
            kp_threshold = gr.Slider(
                0.05,
                0.95,
                d.kp_threshold,
                step=0.05,
                label=ui("ui.settings.kp_threshold"),
                info=ui("ui.settings.kp_threshold.info"),
            )

        def preset_changed(chosen: str, request: gr.Request) -> tuple[str, str, str]:
            return preset_models(chosen, app.models.model_dir, language(request))

        preset.change(
            preset_changed,
            inputs=[preset],
            outputs=[detector, keypoint_model, preset_status],
            api_visibility="private",
        )
        with gr.Row():
            smoothing = gr.Radio(
                _choices(SMOOTHING), value=d.analysis.smoothing, label=ui("ui.settings.smoothing")
            )
            strength = gr.Slider(0.0, 1.0, d.analysis.strength, step=0.05, label=ui("ui.settings.strength"))
            focus = gr.Radio(_choices(FOCUS), value=d.analysis.focus, label=ui("ui.settings.focus"))
            enhance = gr.Checkbox(
                d.analysis.enhance,
                label=ui("ui.settings.enhance"),
                info=ui("ui.settings.enhance.info"),
            )
        with gr.Row():
            rules = gr.Dropdown(
                rule_choices("en"),
                value=list(DEFAULT_RULES),
                multiselect=True,
                label=ui("ui.settings.rules"),
                scale=3,
            )
            with gr.Column(scale=1):
                rule_file = described_for_api(
                    gr.File(
                        file_types=[".yaml", ".yml"],
                        label=ui("ui.settings.rule_file"),
                        elem_id="rule-file",
                    ),
                    RULE_FILE_API,
                )
                rule_status = gr.Markdown(elem_id="rule-file-status")
        # The session's classifiers (the Teach tab's): a rule file may name them; the tabs judge their rules.
        classifiers = gr.State()
        rule_file.upload(
            app.check_rule_file,
            inputs=[rule_file, classifiers],
            outputs=[rule_file, rules, rule_status],
            api_visibility="private",
        )
        rule_file.clear(
            app.check_rule_file,
            inputs=[rule_file, classifiers],
            outputs=[rule_file, rules, rule_status],
            api_visibility="private",
        )
        with gr.Row():
            exercise = gr.Dropdown(
                exercise_choices("en"),
                value="",
                label=ui("ui.settings.exercise"),
                info=ui("ui.settings.exercise.info"),
                elem_id="exercise",
            )
            thickness = gr.Slider(*THICKNESS_RANGE, d.thickness, step=0.25, label=ui("ui.settings.thickness"))
            show = gr.CheckboxGroup(
                [(ui(f"ui.choice.show.{value.replace(' ', '_')}"), value) for value in SHOW],
                value=list(DEFAULT_SHOW),
                label=ui("ui.settings.show"),
            )
    localised.append((rules, lambda lang: gr.update(choices=rule_choices(lang))))
    localised.append((exercise, lambda lang: gr.update(choices=exercise_choices(lang))))
    return {
        "exercise": exercise,
        "preset": preset,
        "detector": detector,
        "keypoint_model": keypoint_model,
        "det_threshold": det_threshold,
        "kp_threshold": kp_threshold,
        "smoothing": smoothing,
        "strength": strength,
        "rules": rules,
        "rule_file": rule_file,
        "thickness": thickness,
        "show": show,
        "focus": focus,
        "enhance": enhance,
        "classifiers": classifiers,
    }


def image_tab(
    app: PoseApp,
    settings: dict[str, gr.components.Component],
    examples: list[tuple[Example, Path]],
    localised: Localised,
) -> None:
    with gr.Row():
        with gr.Column():
            image = gr.Image(
                type="filepath",
                sources=["upload", "clipboard"],
                label=ui("ui.image.photo"),
                elem_id="image-input",
            )
            with gr.Row():
                analyse = gr.Button(ui("ui.image.run"), variant="primary", elem_id="image-run")
                redraw = gr.Button(ui("ui.image.redraw"), elem_id="image-redraw")
            gallery = example_gallery(image, examples, localised)
        with gr.Column():
            annotated = gr.Image(label=ui("ui.result"), interactive=False, elem_id="image-output")
            summary = gr.Markdown(elem_id="image-summary")
    table = gr.Dataframe(
        headers=list(PERSON_COLUMNS),
        label=ui("ui.image.verdicts"),
        interactive=False,
        elem_id="image-verdicts",
    )
    localised.append((table, empty_verdicts))
    legend = gr.Markdown(elem_id="image-legend")
    with gr.Row():
        keypoints = gr.JSON(label=ui("ui.image.keypoints"), open=False)
        download = gr.File(label=ui("ui.image.download"), interactive=False, elem_id="image-json")
    analysis = gr.State(time_to_live=RESULT_STATE_TTL_S)
    predict = {
        "fn": app.predict_image,
        "inputs": [image],
        "inputs_kwargs": tab_settings(settings, "image"),
        "outputs": [annotated, keypoints, analysis],
        "preprocess": False,
        "concurrency_limit": IMAGE_CONCURRENCY,
        "concurrency_id": "image",
    }
    details = {"fn": app.image_details, "inputs": [analysis], "outputs": [summary, table, legend, download]}
    cleared = [annotated, keypoints, analysis, summary, table, legend, download]
    # An upload, the button, or a click on an example: the old results go, then the new ones come.
    gr.on(
        [analyse.click, image.upload], app.clear_image, outputs=cleared, queue=False, api_visibility="private"
    ).then(**predict, api_name="predict_image", api_description=PREDICT_IMAGE_API).then(
        **details, api_visibility="private"
    )
    if gallery is not None:
        gallery.load_input_event.then(
            app.clear_image, outputs=cleared, queue=False, api_visibility="private"
        ).then(**predict, api_visibility="private").then(**details, api_visibility="private")
    redraw.click(
        app.redraw,
        inputs=[analysis],
        inputs_kwargs={k: settings[k] for k in DRAWING},
        outputs=[annotated],
        api_visibility="private",
    )


def video_tab(
    app: PoseApp,
    settings: dict[str, gr.components.Component],
    examples: list[tuple[Example, Path]],
    localised: Localised,
) -> None:
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
        headers=["track", "frames"],
        label=ui("ui.video.verdicts"),
        interactive=False,
        elem_id="video-verdicts",
    )
    localised.append((verdicts, empty_video_verdicts))
    with gr.Row():
        track = gr.Dropdown(label=ui("ui.video.track"), choices=[], scale=1, elem_id="video-track")
        measurements = gr.Dropdown(label=ui("ui.video.measurements"), choices=[], multiselect=True, scale=3)
    plot = gr.Plot(label=ui("ui.video.plot"), elem_id="video-plot")
    analysis = gr.State(time_to_live=RESULT_STATE_TTL_S)
    gr.on(
        [run.click, video.upload],
        app.predict_video,
        inputs=[video],
        inputs_kwargs={
            **tab_settings(settings, "video"),
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
        app.video_details,
        inputs=[analysis],
        outputs=[summary, downloads, reps, verdicts, track, measurements, plot],
        api_visibility="private",
    )
    gr.on(
        [track.input, measurements.input],
        app.angle_plot,
        inputs=[analysis, track, measurements],
        outputs=[plot],
        api_visibility="private",
    )


def webcam_tab(
    app: PoseApp, live: LiveWebcam, settings: dict[str, gr.components.Component], localised: Localised
) -> None:
    """The live webcam (``app/live.py``), with Gradio's stream as its fallback: the start button gets a
    ticket and the page opens the socket, or, where it cannot, starts Gradio's stream."""
    how_to = gr.Markdown(elem_id="webcam-how-to")
    localised.append(
        (how_to, lambda lang: translate("ui.webcam.how_to", lang, minutes=WEBCAM_TIME_LIMIT_S // 60))
    )
    webcam_settings = tab_settings(settings, "webcam")
    with gr.Row():
        start = gr.Button(ui("ui.webcam.start"), variant="primary", size="sm", elem_id="webcam-start")
        stop = gr.Button(ui("ui.webcam.stop"), size="sm", elem_id="webcam-stop")
    gr.HTML(html_template=LIVE_HTML, css_template=LIVE_CSS, js_on_load=live.script(), elem_id="webcam-live")
    with gr.Row(elem_id="webcam-stream"):
        camera = gr.Image(
            sources=["webcam"],
            streaming=True,
            type="numpy",
            webcam_options=gr.WebcamOptions(mirror=False),  # mirrored frames would swap left and right
            label=ui("ui.webcam.camera"),
            elem_id="webcam-input",
        )
        annotated = gr.Image(
            label=ui("ui.webcam.result"), format="jpeg", interactive=False, elem_id="webcam-output"
        )
    figures = gr.Markdown(elem_id="webcam-figures")
    table = gr.Dataframe(
        headers=list(PERSON_COLUMNS),
        label=ui("ui.webcam.verdicts"),
        interactive=False,
        elem_id="webcam-verdicts",
    )
    localised.append((table, empty_verdicts))
    reset = gr.Button(ui("ui.webcam.reset"), size="sm", elem_id="webcam-reset")
    session = gr.State(time_to_live=WEBCAM_STATE_TTL_S, delete_callback=app.end_webcam_session)
    ticket = gr.Textbox(visible=False)  # the live session's, for the page's socket and the events below
    words = gr.Timer(WEBCAM_WORDS_EVERY_S, active=False)
    start.click(
        live.start, inputs_kwargs=webcam_settings, outputs=[ticket, words], api_visibility="private"
    ).success(None, inputs=[ticket], js="(ticket) => window.poseLive.start(ticket)")
    stop.click(None, js="() => window.poseLive.stop()")
    words.tick(
        live.words, inputs=[ticket], outputs=[table, figures, words], queue=False, api_visibility="private"
    )
    # A live session follows the settings panel (the session's taught classifiers, a gr.State, are read
    # when it starts: Gradio cannot watch that state for changes).
    gr.on(
        [c.change for c in webcam_settings.values() if not isinstance(c, gr.State)],
        live.update,
        inputs=[ticket],
        inputs_kwargs=webcam_settings,
        queue=False,
        api_visibility="private",
    )
    reset.click(live.reset, inputs=[ticket, session], queue=False, api_visibility="private")
    camera.stream(
        app.webcam_frame,
        inputs=[camera, session],
        inputs_kwargs=webcam_settings,
        outputs=[annotated, table, session, figures],
        stream_every=WEBCAM_FRAME_EVERY_S,
        time_limit=WEBCAM_TIME_LIMIT_S,
        concurrency_limit=WEBCAM_CONCURRENCY,
        concurrency_id="webcam",
        api_visibility="private",
    )


def build_demo(
    app: PoseApp,
    image_examples: list[tuple[Example, Path]],
    video_examples: list[tuple[Example, Path]],
    live: LiveWebcam | None = None,
) -> gr.Blocks:
    """The page; ``live``: the live webcam whose socket the server has (``serve``), else one whose
    socket is not served, and the Webcam tab uses Gradio's stream."""
    localised: Localised = []
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600), analytics_enabled=False) as demo:
        gr.Markdown(ui("ui.title"), elem_id="title")
        gr.Markdown(ui("ui.how_to"))
        settings = settings_panel(app, localised)
        with gr.Tabs():
            with gr.Tab(ui("ui.tab.image"), id="image"):
                image_tab(app, settings, image_examples, localised)
            with gr.Tab(ui("ui.tab.video"), id="video"):
                video_tab(app, settings, video_examples, localised)
            with gr.Tab(ui("ui.tab.webcam"), id="webcam"):
                webcam_tab(app, live or LiveWebcam(app, WEBCAM_TIME_LIMIT_S), settings, localised)
            with gr.Tab(ui("ui.tab.compare"), id="compare"):
                compare_tab(app, settings, localised)
            with gr.Tab(ui("ui.tab.teach"), id="teach"):
                teach_tab(app, settings, localised)

        def localise(request: gr.Request) -> list[Any]:
            lang = language(request)
            return [value(lang) for _, value in localised]

        demo.load(localise, outputs=[c for c, _ in localised], queue=False, api_visibility="private")

        def drop_state(request: gr.Request) -> None:
            # Gradio keeps a closed tab's state for an hour, whatever its time_to_live: drop it at once.
            if request.session_hash is not None:
                demo.state_holder.delete_state(request.session_hash)

        demo.unload(drop_state)
    return demo

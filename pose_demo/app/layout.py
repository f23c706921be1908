"""The Gradio Blocks: title, shared settings panel, and the Image, Video and Webcam tabs."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from pose_demo.app.handlers import PoseApp
from pose_demo.app.settings import (
    DEFAULT_RULES,
    DEFAULT_SHOW,
    DETECTORS,
    DRAWING,
    FOCUS,
    KEYPOINT_MODELS,
    SHOW,
    SMOOTHING,
    THICKNESS_RANGE,
    Settings,
)
from pose_demo.app.views import VERDICT_COLUMNS

TITLE = "Pose studio"
HOW_TO = (
    "Drop in a photo or a video, or start your webcam: everyone found gets a skeleton, joint angles and "
    "posture checks. The settings apply to every tab."
)
# The settings each tab reads: photos are not smoothed, the other settings apply to every tab.
NOT_FOR = {"image": ("smoothing", "strength"), "video": (), "webcam": ()}
# Per-event concurrency on a 2-vCPU machine: inference uses both cores, more parallel runs only queue.
IMAGE_CONCURRENCY = 2
VIDEO_CONCURRENCY = 1  # a video keeps both cores busy for a while
WEBCAM_CONCURRENCY = 2
WEBCAM_FRAME_EVERY_S = 0.2
WEBCAM_TIME_LIMIT_S = 120


def _choices(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(label, value) for value, label in labels.items()]


def tab_settings(
    settings: dict[str, gr.components.Component], tab: str
) -> dict[str, gr.components.Component]:
    return {name: component for name, component in settings.items() if name not in NOT_FOR[tab]}


def example_gallery(target: gr.components.Component, examples: list[tuple[str, Path]]) -> None:
    """Named example files that fill ``target`` when clicked (nothing when there are none)."""
    if examples:
        gr.Examples(
            [[str(path)] for _, path in examples],
            inputs=[target],
            example_labels=[name for name, _ in examples],
            label="Examples",
        )


def settings_panel(app: PoseApp) -> dict[str, gr.components.Component]:
    """The shared settings accordion; its components keyed by ``Settings`` field names."""
    d = Settings()
    rule_choices = [(f"{r.title['en']} ({r.id})", r.id) for r in app.catalog.rules]
    with gr.Accordion("Settings", open=False, elem_id="settings"):
        with gr.Row():
            detector = gr.Dropdown(_choices(DETECTORS), value=d.detector, label="Person detector")
            keypoint_model = gr.Dropdown(
                _choices(KEYPOINT_MODELS), value=d.keypoint_model, label="Keypoint model"
            )
            det_threshold = gr.Slider(
                0.05, 0.95, d.analysis.det_threshold, step=0.05, label="Detection threshold"
            )
            kp_threshold = gr.Slider(
                0.05,
                0.95,
                d.kp_threshold,
                step=0.05,
                label="Keypoint threshold",
                info="weaker joints are hidden",
            )
        with gr.Row():
            smoothing = gr.Radio(
                _choices(SMOOTHING), value=d.analysis.smoothing, label="Smoothing (video and webcam)"
            )
            strength = gr.Slider(0.0, 1.0, d.analysis.strength, step=0.05, label="Smoothing strength")
            focus = gr.Radio(_choices(FOCUS), value=d.analysis.focus, label="Focus on the main person")
            enhance = gr.Checkbox(
                d.analysis.enhance,
                label="Enhance dark images",
                info="brightens low light (CLAHE) before detection",
            )
        with gr.Row():
            rules = gr.Dropdown(
                rule_choices, value=list(DEFAULT_RULES), multiselect=True, label="Rules", scale=3
            )
            rule_file = gr.File(
                file_types=[".yaml", ".yml"], label="Own rule file (YAML, replaces the rules chosen)", scale=1
            )
        with gr.Row():
            thickness = gr.Slider(*THICKNESS_RANGE, d.thickness, step=0.25, label="Skeleton thickness")
            show = gr.CheckboxGroup(list(SHOW), value=list(DEFAULT_SHOW), label="Show")
    return {
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
    }


def image_tab(
    app: PoseApp, settings: dict[str, gr.components.Component], examples: list[tuple[str, Path]]
) -> None:
    with gr.Row():
        with gr.Column():
            image = gr.Image(
                type="filepath", sources=["upload", "clipboard"], label="Photo", elem_id="image-input"
            )
            with gr.Row():
                analyse = gr.Button("Find poses", variant="primary", elem_id="image-run")
                redraw = gr.Button("Redraw", elem_id="image-redraw")
            example_gallery(image, examples)
        with gr.Column():
            annotated = gr.Image(label="Result", interactive=False, elem_id="image-output")
            count = gr.Number(label="Persons found", precision=0, interactive=False, elem_id="image-count")
    table = gr.Dataframe(
        headers=VERDICT_COLUMNS, label="Rule verdicts", interactive=False, elem_id="image-verdicts"
    )
    with gr.Row():
        keypoints = gr.JSON(label="Keypoints (JSON)", open=False)
        download = gr.File(label="Download JSON", interactive=False, elem_id="image-json")
    analysis = gr.State()
    gr.on(
        [analyse.click, image.upload],
        app.predict_image,
        inputs=[image],
        inputs_kwargs=tab_settings(settings, "image"),
        outputs=[annotated, keypoints, analysis],
        api_name="predict_image",
        preprocess=False,
        concurrency_limit=IMAGE_CONCURRENCY,
        concurrency_id="image",
    ).then(app.image_details, inputs=[analysis], outputs=[count, table, download], api_visibility="private")
    redraw.click(
        app.redraw,
        inputs=[analysis],
        inputs_kwargs={k: settings[k] for k in DRAWING},
        outputs=[annotated],
        api_visibility="private",
    )


def video_tab(
    app: PoseApp, settings: dict[str, gr.components.Component], examples: list[tuple[str, Path]]
) -> None:
    d = Settings()
    with gr.Row():
        with gr.Column():
            video = gr.Video(sources=["upload"], label="Video", elem_id="video-input")
            with gr.Row():
                max_duration = gr.Slider(5, 300, d.max_duration, step=5, label="Max duration (s)")
                frame_stride = gr.Slider(
                    1, 10, d.frame_stride, step=1, label="Frame stride", info="keep every n-th frame"
                )
            run = gr.Button("Analyse video", variant="primary", elem_id="video-run")
            example_gallery(video, examples)
        with gr.Column():
            annotated = gr.Video(label="Result", interactive=False, elem_id="video-output")
            summary = gr.Markdown(elem_id="video-summary")
            with gr.Row():
                frames_json = gr.File(label="Per-frame JSON", interactive=False, elem_id="video-json")
                downloads = gr.File(
                    label="CSV and GIF preview",
                    file_count="multiple",
                    interactive=False,
                    elem_id="video-files",
                )
    with gr.Row():
        track = gr.Dropdown(label="Track", choices=[], scale=1)
        measurements = gr.Dropdown(label="Measurements", choices=[], multiselect=True, scale=3)
    plot = gr.LinePlot(
        x="time", y="value", color="measurement", x_title="time (s)", y_title="angle (deg)", label="Angles"
    )
    analysis = gr.State()
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
        preprocess=False,
        concurrency_limit=VIDEO_CONCURRENCY,
        concurrency_id="video",
    ).then(
        app.video_details,
        inputs=[analysis],
        outputs=[summary, downloads, track, measurements, plot],
        api_visibility="private",
    )
    gr.on(
        [track.input, measurements.input],
        app.angle_plot,
        inputs=[analysis, track, measurements],
        outputs=[plot],
        api_visibility="private",
    )


def webcam_tab(app: PoseApp, settings: dict[str, gr.components.Component]) -> None:
    gr.Markdown(
        "Press record to start: each person is tracked, smoothed and checked against the rules, live. "
        f"A session stops after {WEBCAM_TIME_LIMIT_S // 60} minutes; press record again to go on."
    )
    with gr.Row():
        camera = gr.Image(
            sources=["webcam"],
            streaming=True,
            type="numpy",
            webcam_options=gr.WebcamOptions(mirror=False),  # mirrored frames would swap left and right
            label="Webcam",
            elem_id="webcam-input",
        )
        annotated = gr.Image(label="Live result", format="jpeg", interactive=False, elem_id="webcam-output")
    table = gr.Dataframe(
        headers=VERDICT_COLUMNS, label="Live verdicts", interactive=False, elem_id="webcam-verdicts"
    )
    session = gr.State()
    camera.stream(
        app.webcam_frame,
        inputs=[camera, session],
        inputs_kwargs=tab_settings(settings, "webcam"),
        outputs=[annotated, table, session],
        stream_every=WEBCAM_FRAME_EVERY_S,
        time_limit=WEBCAM_TIME_LIMIT_S,
        concurrency_limit=WEBCAM_CONCURRENCY,
        concurrency_id="webcam",
        api_visibility="private",
    )


def build_demo(
    app: PoseApp, image_examples: list[tuple[str, Path]], video_examples: list[tuple[str, Path]]
) -> gr.Blocks:
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600), analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{HOW_TO}")
        settings = settings_panel(app)
        with gr.Tabs():
            with gr.Tab("Image", id="image"):
                image_tab(app, settings, image_examples)
            with gr.Tab("Video", id="video"):
                video_tab(app, settings, video_examples)
            with gr.Tab("Webcam", id="webcam"):
                webcam_tab(app, settings)
    return demo

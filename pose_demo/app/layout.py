"""The page: its title, the shared settings panel, and the tabs, each built by its own module (``image_tab``,
``video_tab``, ``webcam_tab``, ``compare_tab``, ``teach_tab``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from pose_demo.app.compare_tab import compare_tab
from pose_demo.app.core import PoseApp
from pose_demo.app.examples import Example
from pose_demo.app.image_tab import image_tab
from pose_demo.app.language import Localised, language, ui
from pose_demo.app.live import LiveWebcam
from pose_demo.app.settings_panel import settings_panel
from pose_demo.app.teach_tab import teach_tab
from pose_demo.app.video_tab import video_tab
from pose_demo.app.webcam_tab import WEBCAM_TIME_LIMIT_S, webcam_tab

TITLE = "Pose studio"  # the browser tab's title (the page's own is translated: ui.title)


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

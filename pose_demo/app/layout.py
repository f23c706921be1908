"""The page: its title, the shared settings panel, and the tabs, each built by its own module (``image_tab``,
``video_tab``, ``webcam_tab``, ``compare_tab``, ``teach_tab``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.blocks import BlockFunction
from gradio.state_holder import SessionState

from pose_demo.app.compare_tab import compare_tab
from pose_demo.app.core import PoseApp
from pose_demo.app.examples import Example
from pose_demo.app.image_tab import image_tab
from pose_demo.app.language import Localised, error, language, ui
from pose_demo.app.live import LiveWebcam
from pose_demo.app.settings_panel import settings_panel
from pose_demo.app.teach_tab import teach_tab
from pose_demo.app.video_tab import video_tab
from pose_demo.app.webcam_tab import WEBCAM_TIME_LIMIT_S, webcam_tab
from pose_demo.i18n import translate

log = logging.getLogger(__name__)

TITLE = "Pose studio"  # the browser tab's title (the page's own is translated: ui.title)


class RefusedPayload(Exception):
    """A request's values that Gradio refused before any handler ran."""


class StudioBlocks(gr.Blocks):
    """``gr.Blocks`` whose refusal of a request's values before any handler runs (a file dict that does not
    point into the uploads, a URL, a plain string in place of a file, a value of the wrong shape) reaches
    the client as one plain sentence in its language, logged in one line: Gradio itself answers such a
    request with an empty "Error" and logs a traceback for each."""

    async def preprocess_data(
        self,
        block_fn: BlockFunction,
        inputs: list[Any],
        state: SessionState | None,
        explicit_call: bool = False,
    ) -> list[Any]:
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except gr.Error:  # a component's own message for the user
            raise
        except Exception as e:
            reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            log.info("Refused the values of a request to %s: %s", block_fn.name, reason)
            raise RefusedPayload from None

    async def process_api(
        self,
        block_fn: BlockFunction | int,
        inputs: list[Any],
        state: SessionState | None = None,
        request: gr.Request | list[gr.Request] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        try:
            return await super().process_api(block_fn, inputs, state, request, **kwargs)
        except RefusedPayload:
            lang = language(request if isinstance(request, gr.Request) else None)
            raise error(translate("error.api.refused", lang), lang) from None


def build_demo(
    app: PoseApp,
    image_examples: list[tuple[Example, Path]],
    video_examples: list[tuple[Example, Path]],
    live: LiveWebcam | None = None,
) -> gr.Blocks:
    """The page; ``live``: the live webcam whose socket the server has (``serve``), else one whose
    socket is not served, and the Webcam tab uses Gradio's stream."""
    localised: Localised = []
    with StudioBlocks(title=TITLE, delete_cache=(3600, 3600), analytics_enabled=False) as demo:
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

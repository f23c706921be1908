"""The Webcam tab: the camera's frames analysed live, with the verdicts per person and the live figures.

The live channel (``live.py``) carries the frames; Gradio's stream is its fallback, where the page cannot
open the channel's socket or the server has enough live sessions already. Both analyse a frame in a
``LiveSession`` (``live.py``). The tab's layout (``webcam_tab``) and Gradio's stream's handlers
(``WebcamTab``) live here.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
import numpy as np

from pose_demo.app.core import RESULT_STATE_TTL_S, PoseApp, VideoAnalysis, user_errors
from pose_demo.app.language import Localised, error, language, ui
from pose_demo.app.live import (
    WEBCAM_WORDS_EVERY_S,
    LiveSession,
    LiveWebcam,
    Recording,
    live_figures,
    webcam_session,
)
from pose_demo.app.settings_panel import exercise_menu
from pose_demo.app.views import verdict_dataframe, verdict_table
from pose_demo.i18n import translate
from pose_demo.report.session import ReportSettings
from pose_demo.video import VideoOptions
from pose_demo.video.exports import write_json

log = logging.getLogger(__name__)

# Per-event concurrency on a 2-vCPU machine: inference uses both cores, more parallel runs only queue.
WEBCAM_CONCURRENCY = 2
WEBCAM_FRAME_EVERY_S = 0.04
WEBCAM_TIME_LIMIT_S = 120
# A webcam session's state is dropped this long after it was last written (see ``RESULT_STATE_TTL_S``):
# it is written on every frame, so it goes soon after its stream stops.
WEBCAM_STATE_TTL_S = 10
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


def bgr_to_rgb(image_bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image_bgr[..., ::-1])


class WebcamTab:
    """The handlers of Gradio's stream, given the app."""

    def __init__(self, app: PoseApp) -> None:
        self.app = app

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
            arrival = self.app.clock()
            session = webcam_session(self.app, session, lang, rule_file=rule_file, **settings)
            annotated, result = session.process(np.ascontiguousarray(frame[..., ::-1]), arrival)
            if not session.words_due(arrival):  # the picture only: see WEBCAM_WORDS_EVERY_S
                return bgr_to_rgb(annotated), gr.skip(), session, gr.skip()
            figures = live_figures(session, lang)
            return bgr_to_rgb(annotated), verdict_table(result, lang), session, figures

    @staticmethod
    def keep_recording(session: LiveSession | None) -> Any:
        """Stop: the recording of Gradio's stream's session, kept after that session's short-lived state
        goes (the live channel's is kept as it starts: ``LiveWebcam.recording``)."""
        return gr.skip() if session is None else session.recording

    def download_session(
        self,
        recorded: Recording | None,
        session: LiveSession | None = None,
        request: gr.Request | None = None,
    ) -> list[str]:
        """ "Download this session": what the webcam saw so far (the recording kept, or that of Gradio's
        stream's ``session`` while it goes on) as a video, every frame's persons and verdicts per track
        (JSON, CSV) and, with an exercise, the repetitions (JSON, CSV) and the session report, as for a
        video."""
        lang = language(request)
        recorded = session.recording if session is not None else recorded
        if recorded is None:
            raise error(translate("ui.webcam.error.nothing_recorded", lang), lang)
        with user_errors("webcam_download", lang):
            folder = self.app.outputs.new()
            run = recorded.to_run(folder)
            models, options = recorded.key
            analysis = VideoAnalysis(run, folder, "webcam", ReportSettings(models, VideoOptions(options)))
            json_path = folder / "webcam_poses.json"
            write_json(run, json_path)
            return [str(f) for f in (run.output, json_path, *analysis.files(lang))]


def end_webcam_session(session: LiveSession | None) -> None:
    """Gradio dropped a webcam session's state: its tab closed, or no frame came for a while."""
    if session is not None:
        log.info("Webcam session ended: its tracks and rule history are dropped")


def webcam_tab(
    app: PoseApp, live: LiveWebcam, settings: dict[str, gr.components.Component], localised: Localised
) -> None:
    """The live webcam (``app/live.py``), with Gradio's stream as its fallback: the start button gets a
    ticket and the page opens the socket, or, where it cannot, starts Gradio's stream."""
    how_to = gr.Markdown(elem_id="webcam-how-to")
    localised.append(
        (how_to, lambda lang: translate("ui.webcam.how_to", lang, minutes=WEBCAM_TIME_LIMIT_S // 60))
    )
    with gr.Row():
        exercise = exercise_menu(settings, "webcam-exercise", localised)
        start = gr.Button(ui("ui.webcam.start"), variant="primary", size="sm", elem_id="webcam-start")
        stop = gr.Button(ui("ui.webcam.stop"), size="sm", elem_id="webcam-stop")
    settings = {**settings, "exercise": exercise}  # this tab's menu: the session's exercise
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
    table = verdict_dataframe("ui.webcam.verdicts", "webcam-verdicts", localised)
    with gr.Row():
        reset = gr.Button(ui("ui.webcam.reset"), size="sm", elem_id="webcam-reset")
        download = gr.Button(ui("ui.webcam.download"), size="sm", elem_id="webcam-download")
    files = gr.File(
        label=ui("ui.webcam.files"), file_count="multiple", interactive=False, elem_id="webcam-files"
    )
    session = gr.State(time_to_live=WEBCAM_STATE_TTL_S, delete_callback=end_webcam_session)
    recorded = gr.State(time_to_live=RESULT_STATE_TTL_S)  # the session's recording, kept after it stops
    ticket = gr.Textbox(visible=False)  # the live session's, for the page's socket and the events below
    words = gr.Timer(WEBCAM_WORDS_EVERY_S, active=False)
    start.click(
        live.start, inputs_kwargs=settings, outputs=[ticket, words], api_visibility="private"
    ).success(None, inputs=[ticket], js="(ticket) => window.poseLive.start(ticket)").then(
        live.recording, inputs=[ticket], outputs=[recorded], queue=False, api_visibility="private"
    )
    stop.click(
        WebcamTab.keep_recording,
        inputs=[session],
        outputs=[recorded],
        js="(session) => { window.poseLive.stop(); return session; }",
        queue=False,
        api_visibility="private",
    )
    words.tick(
        live.words, inputs=[ticket], outputs=[table, figures, words], queue=False, api_visibility="private"
    )
    # A live session follows the settings panel (the session's taught classifiers, a gr.State, are read
    # when it starts: Gradio cannot watch that state for changes).
    gr.on(
        [c.change for c in settings.values() if not isinstance(c, gr.State)],
        live.update,
        inputs=[ticket],
        inputs_kwargs=settings,
        queue=False,
        api_visibility="private",
    )
    reset.click(live.reset, inputs=[ticket, session], queue=False, api_visibility="private")
    tab = WebcamTab(app)
    download.click(
        tab.download_session,
        inputs=[recorded, session],
        outputs=[files],
        concurrency_limit=1,
        concurrency_id="video",  # encodes a video: shares the Video tab's queue
        api_visibility="private",
    )
    camera.stream(
        tab.webcam_frame,
        inputs=[camera, session],
        inputs_kwargs=settings,
        outputs=[annotated, table, session, figures],
        stream_every=WEBCAM_FRAME_EVERY_S,
        time_limit=WEBCAM_TIME_LIMIT_S,
        concurrency_limit=WEBCAM_CONCURRENCY,
        concurrency_id="webcam",
        api_visibility="private",
    )

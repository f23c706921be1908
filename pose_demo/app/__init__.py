"""The Gradio app: ``create_studio()`` builds it, ``serve()`` runs it (``demo_app.py``, ``docs/app.md``)."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType

import gradio as gr

from pose_demo.app.core import PoseApp
from pose_demo.app.examples import resolve_examples
from pose_demo.app.language import translations
from pose_demo.app.layout import build_demo
from pose_demo.app.live import WEBCAM_THREADS, LiveWebcam
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.webcam_tab import WEBCAM_TIME_LIMIT_S
from pose_demo.models.budget import candidates
from pose_demo.models.runtime import RuntimeOptions
from pose_demo.models.store import resolve_models
from pose_demo.rules import RuleSet

log = logging.getLogger(__name__)

QUEUE_SIZE = 64  # requests waiting beyond this are refused with "queue full"
MAX_FILE_SIZE = "50mb"
# glibc malloc keeps what it frees: each of Gradio's worker threads gets its own arena (up to 8 per core),
# and freed image buffers stay in them. 8 clients x 25 images left the app 100+ MB over its warm-up level
# for good; two arenas, and free memory handed back to the system every few seconds, keep it within ~20 MB
# (tests/test_app_load.py).
MALLOC_ARENA_MAX = 2
TRIM_EVERY_S = 5.0
_M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl): nothing to tune
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas() -> None:
    """Fewer malloc arenas (glibc only): set before the server starts its threads."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENA_MAX)


def release_free_memory() -> None:
    """Hand memory that malloc holds free back to the system (glibc only; well under a millisecond)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@dataclass(frozen=True)
class Studio:
    """The app: its Gradio Blocks and the live webcam, whose socket ``serve`` adds to Gradio's server."""

    demo: gr.Blocks
    live: LiveWebcam


def create_studio(
    model_dir: str | os.PathLike[str] | None = None, runs_on: RuntimeOptions | None = None
) -> Studio:
    """The app with its queue set up. The default models are loaded here, once, for every session, on
    ``runs_on``'s runtime and device (default: OpenVINO on the CPU): ModelNotFoundError (naming every
    missing one) if they can be neither found nor downloaded, ModelRunError if they cannot run there."""
    limit_malloc_arenas()  # before the models' and the server's threads start
    models = LoadedModels(model_dir, runs_on)
    app = PoseApp(models, OutputFolders(), RuleSet.load("default"))
    detector, keypoints = app.settings().models
    runs = candidates(keypoints)  # the keypoint models the defaults may run
    resolve_models((detector, *runs), model_dir=model_dir)  # all that are missing, said at once
    for name in runs:
        app.models.get(detector, name)
        app.models.get(detector, name, WEBCAM_THREADS)  # the webcam's (one inference thread)
    live = LiveWebcam(app, WEBCAM_TIME_LIMIT_S)
    demo = build_demo(app, resolve_examples("image"), resolve_examples("video"), live)
    return Studio(demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=2), live)


def serve(studio: Studio, host: str | None = None, port: int | None = None, share: bool = False) -> None:
    """Serve until Ctrl-C or SIGTERM; ``host`` / ``port`` default to Gradio's (GRADIO_SERVER_NAME / _PORT).

    Either signal stops the server cleanly: Gradio then deletes the files this run put in its cache
    (``delete_cache``), and the output folders are removed at exit (``OutputFolders``). Left to its
    default, SIGTERM would end the process at once and leave them all behind.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    demo = studio.demo
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_FILE_SIZE,
        i18n=translations(),  # the page in the browser's language (English or Chinese)
        # Gradio's traffic monitoring would publish per-endpoint statistics to anyone, and its API page
        # shows "p50: 0 ms" for endpoints it never timed.
        enable_monitoring=False,
        prevent_thread_lock=True,
        app_kwargs={"routes": studio.live.routes()},  # the live webcam's socket, beside Gradio's routes
    )
    try:
        trimmed = time.monotonic()
        while demo.is_running:
            time.sleep(0.2)
            if time.monotonic() - trimmed > TRIM_EVERY_S:
                release_free_memory()
                trimmed = time.monotonic()
    except KeyboardInterrupt:
        log.info("Stopping the app")
    finally:
        demo.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM handled as Ctrl-C: a KeyboardInterrupt in the main thread, which runs the clean-up."""
    raise KeyboardInterrupt

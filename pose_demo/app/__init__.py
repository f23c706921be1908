"""The Gradio app: ``create_demo()`` builds it, ``serve()`` runs it (see ``demo_app.py``, ``docs/app.md``)."""

from __future__ import annotations

import os

import gradio as gr

from pose_demo.app.examples import resolve_examples
from pose_demo.app.handlers import PoseApp
from pose_demo.app.layout import build_demo
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.rules import RuleSet

QUEUE_SIZE = 64  # requests waiting beyond this are refused with "queue full"
MAX_FILE_SIZE = "50mb"


def create_demo(model_dir: str | os.PathLike[str] | None = None) -> gr.Blocks:
    """The app with its queue set up. The default models are loaded here, once, for every session."""
    models = LoadedModels(model_dir)
    app = PoseApp(models, OutputFolders(), RuleSet.load("default"))
    app.models.get(*app.settings().models)
    demo = build_demo(app, resolve_examples("image"), resolve_examples("video"))
    return demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=2)


def serve(demo: gr.Blocks, host: str | None = None, port: int | None = None, share: bool = False) -> None:
    """Serve until interrupted. ``host`` / ``port`` default to Gradio's (env GRADIO_SERVER_NAME / _PORT)."""
    demo.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_FILE_SIZE)

"""One input through the project's own functions, as ``infer`` and ``video`` do it: ``analyse_image`` and
``FrameResult.to_dict`` for images, ``process_video`` and ``video_json`` for videos; then its JSON, its
part of the keypoint table and (``render``) its annotated image or video, each written atomically.

Three stages, so that the local engine can overlap them (``read_input`` in a reading thread, ``analyse``
in the calling one, ``finish`` in a writing thread); a Ray actor runs them one after the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pose_demo.analysis import analyse_image
from pose_demo.batch.files import atomic_path, temp_path, write_text
from pose_demo.batch.inputs import BatchInput
from pose_demo.batch.manifest import ItemResult
from pose_demo.batch.table import Frame, frames_table, write_part
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.models.store import resolve_model
from pose_demo.predictor import UniModel
from pose_demo.results import FrameResult
from pose_demo.video import VideoInfo, VideoInputError, VideoOptions, check_video, process_video
from pose_demo.video.exports import video_json
from pose_demo.video.pipeline import Progress
from pose_demo.visualization.draw import draw_result

RESULTS = "results"  # <out>/results/<name>.json (+ .jpg / .mp4 with render)
TABLE = "table"  # <out>/table/<name>.parquet
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelChoice:
    """The models and how they run, as ``UniModel`` takes them."""

    det_model: str
    kp_model: str
    model_dir: str | None = None
    runtime: str = "openvino"
    device: str = "cpu"
    precision: str = "f32"
    threads: int = 0

    def load(self) -> UniModel:
        return UniModel(
            self.det_model,
            self.kp_model,
            self.runtime,
            self.device,
            self.precision,
            self.threads,
            model_dir=self.model_dir,  # None: $POSE_DEMO_MODEL_DIR, then the download folder
        )


@dataclass(frozen=True)
class BatchSettings:
    """Everything that decides an input's outputs: the models, the video options (with the analysis and
    drawing options; images use the same analysis options and ``video.draw``) and whether to render."""

    models: ModelChoice
    video: VideoOptions
    render: bool = False

    @property
    def rule_ids(self) -> list[str]:
        rules = self.video.analysis.rules
        return [r.id for r in rules.rules] if rules is not None else []

    def digest(self) -> str:
        """A hash of what changes the results: the options (rule sets in full) and the runtime, not the
        model names (the model hashes stand for them) nor the thread count."""
        models = self.models
        catalog = Path(self.video.analysis.exercise_catalog)
        text = repr((self.video, self.render, models.runtime, models.device, models.precision))
        if catalog.is_file():
            text += catalog.read_text(encoding="utf-8")
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def model_hashes(models: ModelChoice) -> dict[str, str]:
    """sha256 of each model's graph and weights files (found as ``UniModel`` finds them), by model name."""
    hashes = {}
    for name in (models.det_model, models.kp_model):
        folder = resolve_model(name, model_dir=models.model_dir)
        digest = hashlib.sha256()
        for f in filter(None, (folder.model_file, folder.weights_file)):
            digest.update(file_sha256(f).encode())
        hashes[name] = digest.hexdigest()[:16]
    return hashes


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Loaded:
    """An input read: its file facts, and the decoded image or probed video, or why it is unusable."""

    item: BatchInput
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None
    image: np.ndarray | None = None
    video: VideoInfo | None = None
    error: str = ""
    seconds: float = 0.0


@dataclass
class Analysed:
    """An input analysed: its JSON, its table frames, and what to render (or why it failed)."""

    loaded: Loaded
    payload: dict[str, Any] | None = None
    frames: list[Frame] = field(default_factory=list)
    image_result: FrameResult | None = None
    rendered_video: Path | None = None
    error: str = ""
    seconds: float = 0.0


def read_input(item: BatchInput, settings: BatchSettings) -> Loaded:
    """Hash the file and decode the image / probe the video (VideoInputError, ImageInputError as text)."""
    start = time.perf_counter()
    loaded = Loaded(item)
    try:
        stat = item.path.stat()
        loaded.size, loaded.mtime_ns = stat.st_size, stat.st_mtime_ns
        if item.kind == "image":
            data = item.path.read_bytes()
            loaded.sha256 = hashlib.sha256(data).hexdigest()
            loaded.image = load_image(data)
        else:
            loaded.sha256 = file_sha256(item.path)
            loaded.video = check_video(item.path, settings.video.max_duration_s, settings.video.max_size)
    except (ImageInputError, VideoInputError) as e:
        loaded.error = str(e)
    except OSError as e:
        loaded.error = f"The file could not be read ({e.strerror or e}): check it and its permissions."
    loaded.seconds = time.perf_counter() - start
    return loaded


class BatchWorker:
    """Loads the models once, then processes inputs into the output folder ``out``."""

    def __init__(self, settings: BatchSettings, out: Path) -> None:
        self.settings = settings
        self.out = out
        (out / RESULTS).mkdir(parents=True, exist_ok=True)
        self.model = settings.models.load()
        self.models = model_hashes(settings.models)
        self.name = worker_name()

    def process(self, item: BatchInput, attempts: int = 1) -> ItemResult:
        """The three stages one after the other."""
        return self.finish(self.analyse(read_input(item, self.settings)), attempts)

    def analyse(self, loaded: Loaded, progress: Progress | None = None) -> Analysed:
        """The models on the image or video; ``progress(done, total)`` after each frame of a video."""
        start = time.perf_counter()
        analysed = Analysed(loaded, error=loaded.error)
        try:
            if loaded.image is not None:
                result = analyse_image(self.model, loaded.image, self.settings.video.analysis)
                analysed.payload = {"file": str(loaded.item.path), **result.to_dict()}
                analysed.frames = [(0, None, result.persons)]
                analysed.image_result = result
            elif loaded.video is not None:
                self._analyse_video(analysed, loaded.video, progress)
        except Exception as e:  # one input's unforeseen failure is recorded; the batch goes on
            analysed.payload, analysed.frames = None, []
            analysed.error = f"It could not be processed ({type(e).__name__}: {e}); please report it."
        analysed.seconds = time.perf_counter() - start
        return analysed

    def _analyse_video(self, analysed: Analysed, info: VideoInfo, progress: Progress | None) -> None:
        # rendered under a temporary name, renamed by ``finish`` once the JSON and table are written
        target = self.out / RESULTS / f"{analysed.loaded.item.name}.mp4"
        temp = temp_path(target) if self.settings.render else None
        try:
            run = process_video(self.model, info, temp, self.settings.video, progress)
        except VideoInputError as e:
            analysed.error = str(e)
        else:
            if run.complete:
                analysed.payload = video_json(run)
                analysed.frames = [(f.index, f.time, f.persons) for f in run.frames]
                analysed.rendered_video = temp
                return
            # cut or damaged, or longer than its header said: not done
            analysed.error = run.notice({"duration": "--max-duration"}) or "The video is incomplete."
        if temp is not None:
            temp.unlink(missing_ok=True)

    def finish(self, analysed: Analysed, attempts: int = 1) -> ItemResult:
        """Write the outputs (or remove those of an earlier run when the input failed) and say how it went."""
        start = time.perf_counter()
        loaded, item = analysed.loaded, analysed.loaded.item
        outputs = self._outputs(item)
        if analysed.payload is None:
            for name in outputs:
                (self.out / name).unlink(missing_ok=True)
            outputs = []
        else:
            results = self.out / RESULTS
            if self.settings.render and analysed.image_result is not None:
                annotated = draw_result(loaded.image, analysed.image_result, self.settings.video.draw)
                with atomic_path(results / f"{item.name}.jpg") as temp:
                    if not cv2.imwrite(str(temp), annotated):
                        raise OSError(f"could not write {item.name}.jpg")
            if analysed.rendered_video is not None:
                os.replace(analysed.rendered_video, results / f"{item.name}.mp4")
            table = frames_table(str(item.path), item.kind, analysed.frames, self.settings.rule_ids)
            write_part(table, self.out / TABLE / f"{item.name}.parquet")
            indent = 1 if item.kind == "image" else None  # as ``infer`` and ``video`` write them
            write_text(results / f"{item.name}.json", json.dumps(analysed.payload, indent=indent))
        seconds = loaded.seconds + analysed.seconds + time.perf_counter() - start
        return ItemResult(
            input=str(item.path),
            name=item.name,
            kind=item.kind,
            status="failed" if analysed.error else "done",
            message=analysed.error,
            size=loaded.size,
            mtime_ns=loaded.mtime_ns,
            sha256=loaded.sha256,
            frames=len(analysed.frames),
            persons=sum(len(persons) for *_, persons in analysed.frames),
            seconds=round(seconds, 3),
            worker=self.name,
            attempts=attempts,
            models=self.models,
            outputs=outputs,
        )

    def _outputs(self, item: BatchInput) -> list[str]:
        """The input's output files, relative to the output folder; the JSON last (written last)."""
        suffix = "jpg" if item.kind == "image" else "mp4"
        rendered = [f"{RESULTS}/{item.name}.{suffix}"] * self.settings.render
        return [*rendered, f"{TABLE}/{item.name}.parquet", f"{RESULTS}/{item.name}.json"]

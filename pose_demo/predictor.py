"""UniModel: one image through the two models, detection -> top-down keypoints -> typed results.

``predict`` only runs the models; ``pose_demo.analysis.analyse_image`` adds the analysis options.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pose_demo.detection import decode
from pose_demo.detection.picodet import PicoDet
from pose_demo.focus import main_index
from pose_demo.models.preprocess import InputConfig
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.models.runtime import DEFAULT_COMPILE_CACHE, RuntimeOptions, load_runtime, usable_cache
from pose_demo.models.store import DEFAULT_DOWNLOAD_DIR, resolve_model
from pose_demo.pose_estimation.orientation import TurnOptions
from pose_demo.pose_estimation.tinypose import TopDownKeypoints
from pose_demo.results import Box, FrameResult, Person
from pose_demo.timing import StageTimer


class UniModel:
    """PicoDet pedestrian detection + PP-TinyPose keypoints, callable on a BGR image.

    Models are registry names or folders (see ``pose_demo.models.store.resolve_model``).
    Compiled OpenVINO models are kept in ``compile_cache`` (None: compile every time).
    Safe to share between threads: each inference borrows its own request from a pool; ``streams``
    of them run at once (see ``RuntimeOptions``), e.g. two video frames in flight.
    ``turn``: wide boxes also tried turned a quarter turn each way (``pose_estimation.orientation``); off by
    default: it did not measure better than the large model's upright crops on the floor clips (README).
    """

    def __init__(
        self,
        det_model: str | os.PathLike[str] = DEFAULT_DETECTOR,
        kp_model: str | os.PathLike[str] = DEFAULT_KEYPOINTS,
        runtime: str = "openvino",
        device: str = "cpu",
        precision: str = "f32",
        threads: int = 0,
        model_dir: str | os.PathLike[str] | None = None,
        download_dir: str | os.PathLike[str] = DEFAULT_DOWNLOAD_DIR,
        det_threshold: float = 0.5,
        min_person_score: float = 0.15,
        compile_cache: str | os.PathLike[str] | None = DEFAULT_COMPILE_CACHE,
        streams: int = 1,
        turn: TurnOptions | None = None,
    ) -> None:
        options = RuntimeOptions(runtime, device, precision, threads, usable_cache(compile_cache), streams)
        det_folder = resolve_model(det_model, model_dir=model_dir, download_dir=Path(download_dir))
        kp_folder = resolve_model(kp_model, model_dir=model_dir, download_dir=Path(download_dir))
        det_runtime = load_runtime(det_folder, options)
        kp_runtime = load_runtime(kp_folder, options, batch=None)
        strides = decode.STRIDES
        if det_folder.infer_cfg and "fpn_stride" in det_folder.infer_cfg:
            strides = tuple(det_folder.infer_cfg["fpn_stride"])
        det_shape = next(iter(det_runtime.input_shapes.values()))
        kp_shape = next(iter(kp_runtime.input_shapes.values()))
        self.detector = PicoDet(
            det_runtime, InputConfig.resolve(det_folder.spec, det_folder.infer_cfg, det_shape), strides
        )
        self.keypoints = TopDownKeypoints(
            kp_runtime, InputConfig.resolve(kp_folder.spec, kp_folder.infer_cfg, kp_shape), turn=turn
        )
        self.det_threshold = det_threshold
        self.min_person_score = min_person_score
        self.names = (str(det_model), str(kp_model))
        self.timer = StageTimer()

    def predict(
        self, image_bgr: np.ndarray, det_threshold: float | None = None, flip: bool | str = False
    ) -> FrameResult:
        """Detect people, then their keypoints. A person's score is the mean joint confidence. ``flip``: the
        flip test for every person (True), or for the main person only, chosen among the boxes by this
        focus mode (``pose_demo.focus.main_index``: ``largest`` or ``central``).

        Persons scoring below ``min_person_score`` are dropped: on featureless images (blank
        walls, a 1x1 image) these detectors report a frame-filling box whose joints score ~0.1.
        """
        threshold = self.det_threshold if det_threshold is None else det_threshold
        boxes = self.detector.detect(image_bgr, threshold, self.timer)
        result = self.predict_with_boxes(image_bgr, boxes, flip)
        return FrameResult([p for p in result.persons if p.score >= self.min_person_score], result.image_size)

    def predict_with_boxes(
        self, image_bgr: np.ndarray, boxes: list[Box], flip: bool | str = False
    ) -> FrameResult:
        """Keypoints for given boxes (e.g. ground truth, or a tracker's predictions); ``flip`` as in
        ``predict``."""
        size = (image_bgr.shape[1], image_bgr.shape[0])
        if not boxes:
            return FrameResult([], size)
        xyxy = np.array([b.as_xyxy() for b in boxes], np.float32)
        mask = flip if isinstance(flip, bool) else np.arange(len(xyxy)) == main_index(xyxy, size, flip)
        keypoints = self.keypoints.estimate(image_bgr, xyxy, mask, self.timer)
        with self.timer.stage("postprocess"):
            persons = [
                Person(box=box, score=float(kps[:, 2].mean()), keypoints=kps)
                for box, kps in zip(boxes, keypoints, strict=True)
            ]
        return FrameResult(persons, size)

"""PicoDet pedestrian detector: resize, normalise, run, decode (any of three layouts), NMS."""

from __future__ import annotations

import cv2
import numpy as np

from pose_demo.detection import decode
from pose_demo.models.preprocess import InputConfig
from pose_demo.models.runtime import Runtime
from pose_demo.results import Box
from pose_demo.timing import StageTimer


class PicoDet:
    """Finds people. Boxes come back in original-image pixels, clipped to the image."""

    def __init__(
        self,
        runtime: Runtime,
        config: InputConfig,
        strides: tuple[int, ...] = decode.STRIDES,
        nms_iou: float = 0.6,
        score_floor: float = 0.05,
        max_detections: int = 100,
        max_side: int = 2560,
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.strides = strides
        self.nms_iou = nms_iou
        self.score_floor = score_floor
        self.max_detections = max_detections
        self.max_side = max_side
        self.input_name = next(n for n in runtime.input_shapes if n != "scale_factor")
        probe = runtime.infer(self.inputs(np.zeros((1, 3, config.size[1], config.size[0]), np.float32), 1, 1))
        self.layout = decode.detect_layout(list(runtime.input_shapes), {k: v.shape for k, v in probe.items()})

    def inputs(self, blob: np.ndarray, sx: float, sy: float) -> dict[str, np.ndarray]:
        inputs = {self.input_name: blob}
        if "scale_factor" in self.runtime.input_shapes:
            inputs["scale_factor"] = np.array([[sy, sx]], np.float32)
        return inputs

    def preprocess(self, image_bgr: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Plain resize to the input size (the training configs' choice), then normalise.

        Images larger than ``max_side`` are first shrunk by area averaging, so a huge photo is
        not aliased into the small network input. Returns the blob and the x, y scale factors.
        """
        w, h = self.config.size
        src_h, src_w = image_bgr.shape[:2]
        shrink = self.max_side / max(src_w, src_h)
        small = image_bgr
        if shrink < 1:
            size = (max(w, round(src_w * shrink)), max(h, round(src_h * shrink)))
            small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
        resized = cv2.resize(small, (w, h), interpolation=self.config.interpolation)
        return self.config.to_blob(resized[None]), w / src_w, h / src_h

    def postprocess(
        self,
        outputs: dict[str, np.ndarray],
        sx: float,
        sy: float,
        image_size: tuple[int, int],
        threshold: float,
    ) -> list[Box]:
        if self.layout == decode.NMS_FUSED:
            boxes, scores = decode.decode_nms_fused(outputs)
        else:
            if self.layout == decode.BOXES_SCORES:
                boxes, scores = decode.decode_boxes_scores(outputs)
            else:
                boxes, scores = decode.decode_raw_heads(outputs, self.config.size, self.strides)
            keep = decode.nms(boxes, scores, self.nms_iou, self.score_floor, self.max_detections)
            boxes, scores = boxes[keep] / np.array([sx, sy, sx, sy], np.float32), scores[keep]
        width, height = image_size
        boxes = np.clip(boxes, 0, [width, height, width, height])
        return [
            Box(*map(float, b), score=float(s))
            for b, s in zip(boxes, scores, strict=True)
            if s >= threshold and b[2] > b[0] and b[3] > b[1]
        ]

    def detect(
        self, image_bgr: np.ndarray, threshold: float = 0.5, timer: StageTimer | None = None
    ) -> list[Box]:
        """The persons scoring at least ``threshold``; ``timer`` (if any) gets the preprocess, detect and
        postprocess stages."""
        timer = timer or StageTimer()
        with timer.stage("preprocess"):
            blob, sx, sy = self.preprocess(image_bgr)
        with timer.stage("detect"):
            outputs = self.runtime.infer(self.inputs(blob, sx, sy))
        with timer.stage("postprocess"):
            return self.postprocess(outputs, sx, sy, (image_bgr.shape[1], image_bgr.shape[0]), threshold)

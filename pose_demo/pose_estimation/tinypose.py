"""PP-TinyPose top-down keypoints: warp each person's box to the model input, run them as one
batch, decode the heatmaps (DARK) and project back to original-image pixels."""

from __future__ import annotations

import cv2
import numpy as np

from pose_demo.models.preprocess import InputConfig
from pose_demo.models.runtime import Runtime
from pose_demo.pose_estimation.affine import apply_inverse, boxes_to_center_scale, crop_transforms
from pose_demo.pose_estimation.heatmap import decode_heatmaps
from pose_demo.pose_estimation.orientation import TurnOptions, most_confident, turn_candidates
from pose_demo.skeleton import COCO17
from pose_demo.timing import StageTimer


class TopDownKeypoints:
    """Keypoints for given person boxes. ``runtime`` must accept a dynamic (or ``batch``) size.

    turn: wide boxes are also tried turned a quarter turn each way, the most confident crop kept
    (``orientation``); None: every crop upright.
    """

    def __init__(
        self, runtime: Runtime, config: InputConfig, chunk: int = 8, turn: TurnOptions | None = None
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.chunk = chunk
        self.turn = turn
        self.input_name = next(iter(runtime.input_shapes))
        self.heatmap_output: str | None = None

    def estimate(
        self,
        image_bgr: np.ndarray,
        boxes_xyxy: np.ndarray,
        flip: bool | np.ndarray = False,
        timer: StageTimer | None = None,
    ) -> np.ndarray:
        """(N, 17, 3) keypoints for (N, 4) boxes; ``flip``: the flip test (see ``heatmaps``) for every box, or
        for the boxes where this (N,) mask is true; ``timer`` (if any) gets the preprocess, keypoints and
        postprocess stages."""
        timer = timer or StageTimer()
        index, angles = np.arange(len(boxes_xyxy)), None
        if self.turn is not None:
            index, angles = turn_candidates(boxes_xyxy, self.turn)
        with timer.stage("preprocess"):
            blob, transforms = self.prepare(image_bgr, np.asarray(boxes_xyxy)[index], angles)
        with timer.stage("keypoints"):
            maps = self.heatmaps(blob, np.broadcast_to(flip, len(boxes_xyxy))[index])
        with timer.stage("postprocess"):
            keypoints = self.decode(maps, transforms)
            return keypoints if angles is None else keypoints[most_confident(index, keypoints)]

    def prepare(
        self, image_bgr: np.ndarray, boxes_xyxy: np.ndarray, angles: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Warped, normalised crops (N, 3, h, w) and their image->crop affine maps (N, 2, 3); ``angles``
        (degrees, one per box) turn the crops (see ``affine``)."""
        w, h = self.config.size
        centers, scales = boxes_to_center_scale(boxes_xyxy, w / h, angles=angles)
        transforms = crop_transforms(centers, scales, (w, h), angles)
        crops = np.stack([cv2.warpAffine(image_bgr, m, (w, h), flags=cv2.INTER_LINEAR) for m in transforms])
        return self.config.to_blob(crops), transforms

    def heatmaps(self, blob: np.ndarray, flip: bool | np.ndarray = False) -> np.ndarray:
        """(N, 17, H, W) heatmaps; with ``flip`` (for every crop, or where this (N,) mask is true), averaged
        with those of the mirrored crops: the flip test, each flipped crop run twice."""
        maps = self._run(blob)
        flipped = np.flatnonzero(np.broadcast_to(flip, len(blob)))
        if len(flipped):
            mirrored = self._run(np.ascontiguousarray(blob[flipped, ..., ::-1]))
            mirrored = mirrored[:, COCO17.flip_index, :, ::-1]
            shifted = mirrored.copy()
            shifted[..., 1:] = mirrored[..., :-1]  # the usual one-pixel shift of flipped heatmaps
            maps[flipped] = (maps[flipped] + shifted) / 2
        return maps

    def _run(self, blob: np.ndarray) -> np.ndarray:
        parts = []
        for start in range(0, len(blob), self.chunk):
            outputs = self.runtime.infer({self.input_name: blob[start : start + self.chunk]})
            if self.heatmap_output is None:
                self.heatmap_output = next(k for k, v in outputs.items() if v.ndim == 4)
            parts.append(outputs[self.heatmap_output])
        return np.concatenate(parts).astype(np.float32)

    def decode(self, maps: np.ndarray, transforms: np.ndarray) -> np.ndarray:
        """(N, 17, 3) keypoints: x, y in original-image pixels and the heatmap peak as score."""
        coords, scores = decode_heatmaps(maps)
        stride = self.config.size[0] / maps.shape[-1]
        xy = apply_inverse(coords * stride, transforms)
        return np.concatenate([xy, scores[..., None]], axis=-1).astype(np.float32)

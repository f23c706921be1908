"""Input preprocessing shared by the detector and the keypoint model: size and normalisation.

Normalisation is not inside these graphs: RGB, /255, then mean/std (ImageNet by default, or as
the export's ``infer_cfg.yml`` says).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from pose_demo.models.registry import IMAGENET_MEAN, IMAGENET_STD, ModelSpec

_INTERPOLATIONS = {0: cv2.INTER_NEAREST, 1: cv2.INTER_LINEAR, 2: cv2.INTER_CUBIC, 3: cv2.INTER_AREA}


@dataclass(frozen=True)
class InputConfig:
    """Network input size (width, height), resize interpolation and normalisation (None = none)."""

    size: tuple[int, int]
    mean: tuple[float, float, float] | None = IMAGENET_MEAN
    std: tuple[float, float, float] | None = IMAGENET_STD
    interpolation: int = cv2.INTER_CUBIC

    @classmethod
    def resolve(
        cls, spec: ModelSpec | None, infer_cfg: dict[str, Any] | None, model_shape: list[int]
    ) -> InputConfig:
        """From the registry entry, else the export's infer_cfg.yml, else the model's input shape."""
        if spec is not None:
            return cls(spec.input_size, spec.mean, spec.std)
        steps = {step.get("type"): step for step in (infer_cfg or {}).get("Preprocess", [])}
        size: tuple[int, int] | None = None
        interpolation = cv2.INTER_CUBIC
        if "Resize" in steps:
            h, w = steps["Resize"]["target_size"]
            size = (int(w), int(h))
            interpolation = _INTERPOLATIONS.get(steps["Resize"].get("interp", 2), cv2.INTER_CUBIC)
        elif "TopDownEvalAffine" in steps:
            w, h = steps["TopDownEvalAffine"]["trainsize"]
            size = (int(w), int(h))
        elif len(model_shape) == 4 and model_shape[2] > 0 and model_shape[3] > 0:
            size = (model_shape[3], model_shape[2])
        if size is None:
            raise ValueError("The model has a dynamic input size and no infer_cfg.yml saying which to use.")
        if infer_cfg is not None and "NormalizeImage" not in steps:
            return cls(size, None, None, interpolation)
        norm = steps.get("NormalizeImage", {})
        mean = tuple(norm.get("mean", IMAGENET_MEAN))
        std = tuple(norm.get("std", IMAGENET_STD))
        return cls(size, mean, std, interpolation)  # type: ignore[arg-type]

    def to_blob(self, images_bgr: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """BGR uint8 images of the input size -> (N, 3, H, W) float32 RGB, /255 and normalised."""
        params = cv2.dnn.Image2BlobParams()
        params.swapRB = True
        params.ddepth = cv2.CV_32F
        if self.mean is None or self.std is None:
            params.scalefactor = (1 / 255,) * 3
        else:  # blob = scalefactor * (pixel - mean), per RGB channel
            params.scalefactor = tuple(1 / (255 * s) for s in self.std)
            params.mean = tuple(255 * m for m in self.mean)
        return cv2.dnn.blobFromImagesWithParams(list(images_bgr), params)

"""The models the app has loaded: each (detector, keypoint model, threads) loaded once, for all sessions."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import partial

from pose_demo.models.runtime import RuntimeOptions
from pose_demo.predictor import UniModel


def place(options: RuntimeOptions) -> str:
    """Where models run, as the last part of its catalog key (``ui.settings.runs_on.*``): ``gpu`` (NVIDIA's,
    through ONNX Runtime, whatever the runtime named), else ``openvino_cpu`` or ``onnx_cpu``."""
    return "gpu" if options.device.lower() == "gpu" else f"{options.runtime}_cpu"


class LoadedModels:
    """Loads a model pair on first use and keeps it; safe to call from many threads at once.

    A pair is loaded by one thread only; others asking for it meanwhile wait for that load. Pairs
    already loaded are returned without waiting for a load of another pair. ``threads``: inference threads
    per request (0: OpenVINO's choice, all cores), a pair loaded apart for each value asked.
    ``runs_on``: the runtime, device and precision of every pair (default: OpenVINO on the CPU, f32).
    """

    def __init__(
        self, model_dir: str | os.PathLike[str] | None = None, runs_on: RuntimeOptions | None = None
    ) -> None:
        self.model_dir = model_dir
        self.runs_on = runs_on or RuntimeOptions()
        self._models: dict[tuple[str, str, int], UniModel] = {}
        self._lock = threading.Lock()

    def get(self, detector: str, keypoint_model: str, threads: int = 0) -> UniModel:
        key = (detector, keypoint_model, threads)
        model = self._models.get(key)
        if model is None:
            with self._lock:
                model = self._models.get(key)
                if model is None:
                    o = self.runs_on
                    model = UniModel(
                        detector,
                        keypoint_model,
                        o.runtime,
                        o.device,
                        o.precision,
                        threads,
                        model_dir=self.model_dir,
                    )
                    self._models[key] = model
        return model

    def loader(self, detector: str, threads: int = 0) -> Callable[[str], UniModel]:
        """``get`` for this detector and threads, by keypoint model name (what a keypoint budget loads)."""
        return partial(self.get, detector, threads=threads)

    @property
    def loaded(self) -> list[tuple[str, str, int]]:
        return list(self._models)

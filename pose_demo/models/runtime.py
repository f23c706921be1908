"""Inference runtimes: OpenVINO (default), ONNX Runtime (optional; the NVIDIA GPU path) and Paddle
Inference (optional).

All expose the same small interface: ``infer({input_name: array}) -> {output_name: array}``.
Each is safe to call from several threads at once: requests come from a pool, one per caller (ONNX
Runtime: one session, which runs calls at once).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from pose_demo.i18n import UserError
from pose_demo.models.store import DEFAULT_DOWNLOAD_DIR, ModelFolder

RUNTIMES = ("openvino", "onnx", "paddle")
# What the app (and its benchmarks) offer: its models are OpenVINO IR, which Paddle Inference cannot read;
# gpu is an NVIDIA GPU, through ONNX Runtime's CUDA provider.
APP_RUNTIMES = ("openvino", "onnx")
APP_DEVICES = ("cpu", "gpu")
PRECISIONS = ("f32", "bf16", "f16")
DEFAULT_COMPILE_CACHE = DEFAULT_DOWNLOAD_DIR / ".openvino"


def usable_cache(folder: str | os.PathLike[str] | None) -> str | None:
    """``folder`` as a compile cache, created if needed; None if it is None or cannot be written."""
    if folder is None:
        return None
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return str(folder) if os.access(folder, os.W_OK) else None


class ModelRunError(UserError, RuntimeError):
    """A model could not be loaded or run."""


@dataclass(frozen=True)
class RuntimeOptions:
    """How to run models.

    runtime: ``openvino``, ``onnx`` or ``paddle``. device: ``cpu``, or ``gpu`` for an NVIDIA GPU (ONNX
    Runtime's CUDA provider, whatever the runtime, except Paddle models on Paddle), or another OpenVINO
    device name. precision: OpenVINO ``INFERENCE_PRECISION_HINT`` (f32 keeps keypoints exact; see
    README); ONNX Runtime computes in f32 only. threads: inference threads per request (0 = the
    runtime's choice).
    compile_cache: a folder where OpenVINO keeps compiled models, so that later starts skip most of
    the compiling (TinyPose 128x96: 1.8 s -> 0.5 s), and ONNX Runtime the models converted for it;
    None: no cache.
    streams: OpenVINO requests that run at once (its ``NUM_STREAMS``), each on ``threads`` threads
    (0: the cores shared between them); with 1, requests from several threads wait for each other.
    Several streams' threads are not pinned to cores (a video's pipeline: 69 vs 64 frames/s on 2 cores).
    Paddle predictors always run as many at once as there are callers.
    """

    runtime: str = "openvino"
    device: str = "cpu"
    precision: str = "f32"
    threads: int = 0
    compile_cache: str | None = None
    streams: int = 1

    def __post_init__(self) -> None:
        if self.streams < 1:
            raise ValueError(f"streams must be at least 1, not {self.streams}")


class Runtime(Protocol):
    input_shapes: dict[str, list[int]]  # -1 for dynamic dimensions
    output_names: list[str]

    def infer(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


class _Pool:
    """A pool of per-caller objects (infer requests, predictors), created on demand."""

    def __init__(self, make: Any, *ready: Any) -> None:
        self._make = make
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for item in ready:
            self._free.put(item)
        self._lock = threading.Lock()

    @contextmanager
    def take(self) -> Iterator[Any]:
        try:
            item = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                item = self._make()
        try:
            yield item
        finally:
            self._free.put(item)


class OpenVINORuntime:
    """An OpenVINO compiled model. Reads IR, ONNX and Paddle legacy (.pdmodel) files.

    ``batch=None`` accepts any batch size: a static batch-1 graph serves single inputs (faster
    here than the dynamic graph: 12.8 vs 17.3 ms for TinyPose 128x96) and a dynamic one serves
    the rest (6 crops: 54 vs 74 ms one by one).
    """

    def __init__(self, folder: ModelFolder, options: RuntimeOptions, batch: int | None = 1) -> None:
        import openvino as ov

        if options.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {options.precision!r}")
        core = ov.Core()
        model = core.read_model(str(folder.model_file))
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": options.precision,
            "PERFORMANCE_HINT": "LATENCY",
        }
        device = "CPU" if options.device.lower() == "cpu" else options.device.upper()
        if options.streams > 1:
            config["NUM_STREAMS"] = options.streams
        if options.streams > 1 and device == "CPU":  # their threads share the cores with ffmpeg and Python
            config["ENABLE_CPU_PINNING"] = False
        if options.threads:
            config["INFERENCE_NUM_THREADS"] = options.threads * options.streams
        if options.compile_cache:
            config["CACHE_DIR"] = options.compile_cache
        self._pools: dict[int | None, _Pool] = {}
        for size in [1, None] if batch is None else [batch]:
            graph = model.clone()
            first = graph.inputs[0]
            shape = first.partial_shape
            if shape[0] != (size or -1):
                shape[0] = -1 if size is None else size
                graph.reshape({first: shape})
            compiled = core.compile_model(graph, device, config)
            self._pools[size] = _Pool(compiled.create_infer_request)
        self.input_shapes = {
            i.any_name: [d.get_length() if d.is_static else -1 for d in i.partial_shape]
            for i in compiled.inputs
        }
        self.output_names = [o.any_name for o in compiled.outputs]
        self._first_input = compiled.inputs[0].any_name

    def infer(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        size = len(inputs[self._first_input])
        with (self._pools.get(size) or self._pools[None]).take() as request:
            result = request.infer(inputs)
            return {o.any_name: np.array(v, copy=True) for o, v in result.items()}


class OnnxRuntime:
    """ONNX Runtime (``onnxruntime``, or ``onnxruntime-gpu`` for ``device="gpu"``), imported only when chosen.

    An ONNX model file runs as it is; other models are converted from what OpenVINO reads of them
    (``onnx_export``). ``batch=None`` accepts any batch size, so that all crops of a frame go in one call.
    One session serves every thread: its ``run`` may be called from several at once.
    """

    def __init__(self, folder: ModelFolder, options: RuntimeOptions, batch: int | None = 1) -> None:
        gpu = options.device.lower() == "gpu"
        if not gpu and options.device.lower() != "cpu":
            raise ModelRunError("error.model.onnx_device", device=options.device)
        if options.precision != "f32":
            raise ModelRunError("error.model.onnx_precision", precision=options.precision)
        try:
            import onnxruntime as ort

            from pose_demo.models.onnx_export import onnx_model
        except ImportError as e:
            if gpu:
                raise ModelRunError("error.model.no_cuda") from e
            raise ModelRunError("error.model.no_onnxruntime") from e
        settings = ort.SessionOptions()
        settings.log_severity_level = 3  # errors only: not a warning per constant it folds
        settings.intra_op_num_threads = options.threads
        # threads that spin between runs take the cores from the other model's session, and from decoding
        # (the skiers' 6 persons here: 34 ms in the models instead of 79)
        settings.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers: list[Any] = ["CPUExecutionProvider"]
        if gpu:
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ModelRunError("error.model.no_cuda")
            ort.preload_dlls()  # CUDA and cuDNN from the nvidia-* packages of requirements-gpu.txt, if there
            # full f32, not TF32's 10-bit mantissa in convolutions: the CPU's keypoints
            providers.insert(0, ("CUDAExecutionProvider", {"use_tf32": "0"}))
        model = onnx_model(folder, batch, options.compile_cache)
        try:
            self._session = ort.InferenceSession(model, settings, providers=providers)
        except Exception as e:  # onnxruntime's own exceptions derive from Exception only
            if not gpu:
                raise
            raise ModelRunError("error.model.no_cuda") from e  # its CUDA provider could not start
        if gpu and self._session.get_providers()[0] != "CUDAExecutionProvider":  # no GPU: it fell back
            raise ModelRunError("error.model.no_cuda")
        self.input_shapes = {
            i.name: [d if isinstance(d, int) else -1 for d in i.shape] for i in self._session.get_inputs()
        }
        self.output_names = [o.name for o in self._session.get_outputs()]

    def infer(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self.output_names, self._session.run(self.output_names, inputs), strict=True))


class PaddleRuntime:
    """Paddle Inference (``paddlepaddle`` / ``paddlepaddle-gpu``), imported only when chosen."""

    def __init__(self, folder: ModelFolder, options: RuntimeOptions) -> None:
        try:
            from paddle import inference
        except ImportError as e:
            raise ModelRunError("error.model.no_paddle") from e
        if folder.weights_file is None:
            raise ModelRunError("error.model.no_pdiparams", folder=folder.path)
        config = inference.Config(str(folder.model_file), str(folder.weights_file))
        if options.device.lower() == "gpu":
            config.enable_use_gpu(256, 0)
        else:
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(options.threads or os.cpu_count() or 1)
        config.disable_glog_info()
        config.switch_ir_optim(True)
        predictor = inference.create_predictor(config)
        self.input_shapes = {
            name: list(predictor.get_input_handle(name).shape()) for name in predictor.get_input_names()
        }
        self.output_names = list(predictor.get_output_names())
        self._pool = _Pool(predictor.clone, predictor)

    def infer(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with self._pool.take() as predictor:
            for name, value in inputs.items():
                predictor.get_input_handle(name).copy_from_cpu(np.ascontiguousarray(value))
            predictor.run()
            return {name: predictor.get_output_handle(name).copy_to_cpu() for name in self.output_names}


def load_runtime(folder: ModelFolder, options: RuntimeOptions, batch: int | None = 1) -> Runtime:
    """Open a model folder with the chosen runtime.

    Paddle Inference reads only Paddle formats: with ``runtime="paddle"``, OpenVINO IR and ONNX
    models still run on OpenVINO, or on ONNX Runtime for ``device="gpu"`` (OpenVINO's GPU is Intel's:
    NVIDIA GPUs run on ONNX Runtime's CUDA provider). Paddle 3 (.json) models need the Paddle runtime.
    ``batch`` fixes the first input dimension (None = dynamic).
    """
    if options.runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, not {options.runtime!r}")
    if options.runtime == "paddle" and folder.format in ("paddle_legacy", "paddle3"):
        return PaddleRuntime(folder, options)
    if folder.format == "paddle3":
        raise ModelRunError("error.model.paddle3", name=folder.model_file.name)
    if options.runtime == "onnx" or options.device.lower() == "gpu":
        return OnnxRuntime(folder, options, batch)
    return OpenVINORuntime(folder, options, batch)

"""What several commands share: the model and runtime flags, the analysis flags, and building the
``UniModel``, ``AnalysisOptions`` and ``VideoOptions`` they describe (each built once, passed whole)."""

from __future__ import annotations

import argparse
import sys

from pose_demo.analysis import AnalysisOptions
from pose_demo.cli.argtypes import fraction, non_negative, positive
from pose_demo.exercises.schema import load_catalog
from pose_demo.focus import FOCUS_MODES
from pose_demo.models.budget import AUTO_KEYPOINTS, LARGE_KEYPOINTS, SMALL_KEYPOINTS
from pose_demo.models.presets import DEFAULT_PRESET, PRESETS, resolve_preset
from pose_demo.models.runtime import DEFAULT_COMPILE_CACHE, RUNTIMES, RuntimeOptions, usable_cache
from pose_demo.predictor import UniModel
from pose_demo.rules import RuleSet
from pose_demo.tracking import SMOOTHING_KINDS
from pose_demo.video import VideoOptions
from pose_demo.visualization.draw import DrawOptions


def add_model_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("models")
    group.add_argument(
        "--preset",
        choices=PRESETS,
        default=DEFAULT_PRESET,
        help="speed preset: fast (INT8 models made by the quantize command, else f32 with a notice), "
        "balanced (PicoDet-192 + TinyPose 128x96), accurate (PicoDet-320 + TinyPose 256x192); "
        "--det-model / --kp-model win over it",
    )
    group.add_argument("--det-model", help="detector name or folder (default: the preset's)")
    group.add_argument(
        "--kp-model",
        help=f"keypoint model name or folder (default: the preset's), or {AUTO_KEYPOINTS}: for a video, "
        f"{LARGE_KEYPOINTS} when the clip keeps real time with it on this machine (measured on its first "
        f"frames), else {SMALL_KEYPOINTS}; for pictures, {LARGE_KEYPOINTS}",
    )
    group.add_argument("--model-dir", help="folder of model folders (default: $POSE_DEMO_MODEL_DIR)")
    add_runtime_args(group, RUNTIMES)
    group.add_argument("--precision", choices=["f32", "bf16", "f16"], default="f32")
    group.add_argument(
        "--threads", type=non_negative, default=0, help="inference threads (0: runtime default)"
    )


def add_runtime_args(
    group: argparse._ArgumentGroup | argparse.ArgumentParser,
    runtimes: tuple[str, ...],
    runtime: str = "openvino",
    device: str = "cpu",
    devices: tuple[str, ...] | None = None,
) -> None:
    """``--runtime`` (one of ``runtimes``) and ``--device`` (one of ``devices``, or any if None), with these
    defaults."""
    paddle = "paddle" in runtimes
    group.add_argument(
        "--runtime",
        choices=runtimes,
        default=runtime,
        help=f"default {runtime}; onnx: ONNX Runtime (pip install -r requirements-onnx.txt)"
        + (
            "; paddle: Paddle Inference for Paddle models (pip install -r requirements-paddle.txt)"
            if paddle
            else ""
        ),
    )
    group.add_argument(
        "--device",
        choices=devices,
        default=device,
        help=f"default {device}; cpu, or gpu: an NVIDIA GPU through ONNX Runtime's CUDA provider "
        "(pip install -r requirements-gpu.txt)"
        + (", or Paddle's for Paddle models with --runtime paddle" if paddle else ""),
    )


RUNTIME_FLAGS = (
    "runtime",
    "device",
    "precision",
    "threads",
)  # named as UniModel and RuntimeOptions take them


def model_names(args: argparse.Namespace) -> tuple[str, str]:
    """The detector and keypoint model: the preset's, or the ones given; a notice line for each INT8
    variant the preset had to do without."""
    choice = resolve_preset(args.preset, args.det_model, args.kp_model, model_dir=args.model_dir)
    for notice in choice.notices:
        print(f"note: {notice}", file=sys.stderr)
    return choice.models


def model_from_args(args: argparse.Namespace, streams: int = 1, keypoints: str | None = None) -> UniModel:
    """The models the flags name, with ``keypoints`` in place of theirs if given; the keypoint model
    ``auto`` is the large one here (a video's is chosen before: ``pose_demo.video.budget``)."""
    runtime = {name: getattr(args, name) for name in RUNTIME_FLAGS}
    detector, named = model_names(args)
    keypoints = keypoints or (LARGE_KEYPOINTS if named == AUTO_KEYPOINTS else named)
    return UniModel(detector, keypoints, model_dir=args.model_dir, streams=streams, **runtime)


def runtime_options(args: argparse.Namespace) -> RuntimeOptions:
    """The runtime flags as ``RuntimeOptions``, with the default compile cache."""
    runtime = {name: getattr(args, name) for name in RUNTIME_FLAGS}
    return RuntimeOptions(**runtime, compile_cache=usable_cache(DEFAULT_COMPILE_CACHE))


def add_det_threshold(
    group: argparse._ArgumentGroup | argparse.ArgumentParser, default: float | None
) -> None:
    model_own = " (default: the model's own, 0.5)" if default is None else ""
    group.add_argument(
        "--det-threshold", type=fraction, default=default, help=f"person detection threshold, 0..1{model_own}"
    )


def add_analysis_args(parser: argparse.ArgumentParser, frames_in_time: bool) -> None:
    """The ``AnalysisOptions`` flags; smoothing and the detection interval only for videos."""
    group = parser.add_argument_group("analysis")
    add_det_threshold(group, None)
    group.add_argument(
        "--focus",
        choices=FOCUS_MODES,
        default="everyone",
        help="keep only the main person, chosen as the largest or most central",
    )
    group.add_argument(
        "--person",
        type=positive(int),
        help="follow this one person only, in place of --focus: in a photo its number as labelled, in a "
        "video its track id",
    )
    group.add_argument("--enhance", action="store_true", help="brighten dark pictures before detection")
    group.add_argument(
        "--flip-main",
        action="store_true",
        help="flip test for the main person (its crop also read mirrored: steadier joints, twice its "
        "keypoint cost); a video with --kp-model auto gets it where the clip has time for it",
    )
    group.add_argument("--rules", help="rule set: a built-in name (default) or a YAML rule file")
    if frames_in_time:
        group.add_argument("--smoothing", choices=SMOOTHING_KINDS, default="oneeuro")
        group.add_argument("--strength", type=fraction, default=0.5, help="smoothing strength, 0..1")
        group.add_argument("--det-interval", type=positive(int), default=1, help="detect every k-th frame")
        ids = ", ".join(load_catalog().ids)
        group.add_argument(
            "--exercise",
            help=f"count repetitions per person: an exercise id of the catalog ({ids}), or auto",
        )
        group.add_argument(
            "--exercise-catalog", default="default", help="the exercises: built-in name or YAML file"
        )
        group.add_argument(
            "--bone-repair",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="put back a limb joint whose bone suddenly changes length (a wrist jumping for a frame)",
        )


def analysis_from_args(args: argparse.Namespace) -> AnalysisOptions:
    """``AnalysisOptions`` from the flags of ``add_analysis_args`` (absent ones keep their defaults)."""
    given = {
        name: getattr(args, name) for name in AnalysisOptions.__dataclass_fields__ if hasattr(args, name)
    }
    given["rules"] = RuleSet.load(args.rules) if args.rules else None
    return AnalysisOptions(**given)


def add_video_args(parser: argparse.ArgumentParser) -> None:
    """The ``VideoOptions`` flags, and the analysis flags for frames in time."""
    add_analysis_args(parser, frames_in_time=True)
    group = parser.add_argument_group("video")
    group.add_argument("--max-duration", type=positive(float), default=600.0, help="refuse longer videos (s)")
    group.add_argument("--max-frames", type=positive(int), help="process only the first N frames")
    group.add_argument("--stride", type=positive(int), default=1, help="keep every n-th frame")
    group.add_argument("--scale", type=positive(float), default=1.0, help="scale the frames by this factor")


def video_options_from_args(args: argparse.Namespace) -> VideoOptions:
    return VideoOptions(
        analysis=analysis_from_args(args),
        max_duration_s=args.max_duration,
        max_frames=args.max_frames,
        frame_stride=args.stride,
        output_scale=args.scale,
        draw=DrawOptions(language=args.lang),
    )

"""Speed presets: which detector and keypoint model to run.

- ``fast``: the INT8 variants that passed their accuracy check (``python -m pose_demo.cli quantize``):
  PicoDet-320 INT8, which is faster than f32 PicoDet-192 and finds more people, and TinyPose 128x96
  INT8. A missing variant falls back to the f32 model of ``balanced``, with a notice.
- ``balanced``: PicoDet-192 + TinyPose 128x96, f32 (the defaults before presets).
- ``accurate``: PicoDet-320 + TinyPose 256x192, f32.

A model given by name (``--det-model`` / ``--kp-model``) wins over the preset's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS, INT8_SUFFIX, base_model
from pose_demo.models.store import DEFAULT_DOWNLOAD_DIR, MODEL_DIR_ENV

REPORT_FILE = "quantization.json"

PRESETS = ("fast", "balanced", "accurate")
DEFAULT_PRESET = "balanced"
ACCURATE_DETECTOR = "picodet_s_320_lcnet_pedestrian"
ACCURATE_KEYPOINTS = "tinypose_256x192"
PRESET_MODELS = {
    "fast": (ACCURATE_DETECTOR + INT8_SUFFIX, DEFAULT_KEYPOINTS + INT8_SUFFIX),
    "balanced": (DEFAULT_DETECTOR, DEFAULT_KEYPOINTS),
    "accurate": (ACCURATE_DETECTOR, ACCURATE_KEYPOINTS),
}


@dataclass(frozen=True)
class PresetChoice:
    """The models a preset resolved to, and a notice for each INT8 variant it had to do without."""

    preset: str
    detector: str
    keypoints: str
    notices: tuple[str, ...] = ()

    @property
    def models(self) -> tuple[str, str]:
        return self.detector, self.keypoints


def int8_variant_ready(
    name: str,
    model_dir: str | os.PathLike[str] | None = None,
    download_dir: str | os.PathLike[str] = DEFAULT_DOWNLOAD_DIR,
) -> bool:
    """Whether the INT8 variant ``name`` was made and passed its check, in the model folder or the cache."""
    search_dir = model_dir or os.environ.get(MODEL_DIR_ENV)
    folders = ([Path(search_dir) / name] if search_dir else []) + [Path(download_dir) / name]
    return any(variant_passed(folder) for folder in folders)


def resolve_preset(
    preset: str = DEFAULT_PRESET,
    det_model: str | None = None,
    kp_model: str | None = None,
    *,
    model_dir: str | os.PathLike[str] | None = None,
    download_dir: str | os.PathLike[str] = DEFAULT_DOWNLOAD_DIR,
) -> PresetChoice:
    """The models of ``preset``, with the ones given explicitly in their place."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    chosen, notices = [], []
    fallbacks = PRESET_MODELS["balanced"]
    for given, wanted, fallback in zip((det_model, kp_model), PRESET_MODELS[preset], fallbacks, strict=True):
        if given:
            chosen.append(given)
        elif wanted.endswith(INT8_SUFFIX) and not int8_variant_ready(wanted, model_dir, download_dir):
            chosen.append(fallback)
            notices.append(
                f"{preset} preset: no INT8 {base_model(wanted)} has been made (or passed its check); "
                f"using {fallback} (f32). Make it with: python -m pose_demo.cli quantize"
            )
        else:
            chosen.append(wanted)
    return PresetChoice(preset, chosen[0], chosen[1], tuple(notices))


def variant_passed(folder: Path) -> bool:
    """Whether ``folder`` holds a variant whose ``quantization.json`` says it passed its check."""
    try:
        report = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(isinstance(report, dict) and report.get("check", {}).get("passed"))

"""The known models by name: what each one is, how to feed it, and where to download it.

Weights are never part of the project: a model is found in a local folder or downloaded from
the pinned URLs below (checked against their sha256) into the cache (``output_inference/``).
"""

from __future__ import annotations

from dataclasses import dataclass

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_MIRROR = (
    "https://raw.githubusercontent.com/guojin-yan/Csharp_and_OpenVINO_deploy_PP-TinyPose/"
    "0f6a4845d37b5b16edacbb76f1b1debb39e28a11/model/"
)
_MARIO = (
    "https://raw.githubusercontent.com/thunder95/Play_Mario_With_PaddlePaddle/"
    "1d893c259eeb562057136db93ad98f1014b026c2/models/picodet_s_192_pedestrian/"
)
_PADDLEDET = "https://bj.bcebos.com/v1/paddledet/models/keypoint/tinypose_enhance/"


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its name in the model folder, URL and expected sha256."""

    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class ModelSpec:
    """A known model.

    input_size: (width, height) of the network input. (A detector's output layout is read from the
    model itself: ``pose_demo.detection.decode.detect_layout``.)
    files: what to download, in the model folder's names. ``archive`` (a zip, with its sha256)
    is used instead when set; its content is unpacked into the folder.
    """

    name: str
    input_size: tuple[int, int]
    files: tuple[RemoteFile, ...] = ()
    archive: RemoteFile | None = None
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    description: str = ""


def _ir(folder: str, stem: str, xml_sha: str, bin_sha: str) -> tuple[RemoteFile, ...]:
    return (
        RemoteFile(f"{stem}.xml", f"{_MIRROR}{folder}/ir_fp16/{stem}.xml", xml_sha),
        RemoteFile(f"{stem}.bin", f"{_MIRROR}{folder}/ir_fp16/{stem}.bin", bin_sha),
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "tinypose_128x96",
            (96, 128),
            _ir(
                "tinypose_128_96",
                "model",
                "f743e248d871ce647c63e05cde6a1bc660bf612208687acf70173bbe18e1885a",
                "aa745b5711155bf07b3c60bb9d0b17ad4f5cd6ff57606fba564f20764fe79daf",
            ),
            description="PP-TinyPose enhanced 128x96 (fast), OpenVINO IR FP16",
        ),
        ModelSpec(
            "tinypose_256x192",
            (192, 256),
            _ir(
                "tinypose_256_192",
                "model",
                "71990905e8ee8de250c57c4d52a6bb25028fecb7f3fc35d43707febefa45ba14",
                "b16cdb387b96f431c4e0052a8f1c5344bb5cc7c71cc14e245be260624968e462",
            ),
            description="PP-TinyPose enhanced 256x192 (accurate), OpenVINO IR FP16",
        ),
        ModelSpec(
            "tinypose_128x96_paddle",
            (96, 128),
            archive=RemoteFile(
                "tinypose_128x96.zip",
                f"{_PADDLEDET}tinypose_128x96.zip",
                "b737aa851a1ce9403950280be5df4bdd9c0e0287dd7ecdaa16f534d9c940015d",
            ),
            description="PP-TinyPose enhanced 128x96, official PaddleDetection export (fp32)",
        ),
        ModelSpec(
            "tinypose_256x192_paddle",
            (192, 256),
            archive=RemoteFile(
                "tinypose_256x192.zip",
                f"{_PADDLEDET}tinypose_256x192.zip",
                "78b53eba62159efa617f37cc026c913bfa486555d85c71390f5ddb2a10b70b61",
            ),
            description="PP-TinyPose enhanced 256x192, official PaddleDetection export (fp32)",
        ),
        ModelSpec(
            "picodet_s_192_lcnet_pedestrian",
            (192, 192),
            _ir(
                "picodet_v2_s_192_pedestrian",
                "picodet_s_192_lcnet_pedestrian",
                "0e3c425c08b666e31d98ce751cd38d2244b0c93d2d1250cc3f9fc823e118c321",
                "747ec2d2d9b8f3f0bb842a67b3e8872f8ae56cc9682858b04d275517f07fd2ff",
            ),
            description="PicoDet-S-LCNet pedestrian 192 (fast), OpenVINO IR FP16, NMS outside",
        ),
        ModelSpec(
            "picodet_s_320_lcnet_pedestrian",
            (320, 320),
            _ir(
                "picodet_v2_s_320_pedestrian",
                "picodet_s_320_lcnet_pedestrian",
                "fc69d950abc656f657e59874e2466f82da5370166c975367fa83b1f4f72c92da",
                "f3b8b2de41f9b34c05f10bd4640f9dd66f4ec191be3740b261183eaff9e554d2",
            ),
            description="PicoDet-S-LCNet pedestrian 320 (accurate), OpenVINO IR FP16, NMS outside",
        ),
        ModelSpec(
            "picodet_s_192_pedestrian",
            (192, 192),
            (
                RemoteFile(
                    "model.pdmodel",
                    f"{_MARIO}model.pdmodel",
                    "bc0b473b42fb1af1e8febde20fe1a62b293e6421774fbc1fc0a80b54a2cd6604",
                ),
                RemoteFile(
                    "model.pdiparams",
                    f"{_MARIO}model.pdiparams",
                    "ac39b3fa4f0fafdb6ae9b28133df6d89383c23a1fef216a07b0d82a4977f7d63",
                ),
                RemoteFile(
                    "infer_cfg.yml",
                    f"{_MARIO}infer_cfg.yml",
                    "70db7a692106f31fb72b29a607976f71d327b0f056c9dc47c115033776e4eda7",
                ),
            ),
            description="PicoDet-S pedestrian 192 (2021 release), Paddle inference format, raw heads",
        ),
    )
}

DEFAULT_DETECTOR = "picodet_s_192_lcnet_pedestrian"
DEFAULT_KEYPOINTS = "tinypose_128x96"

# INT8 variants made by ``python -m pose_demo.cli quantize`` (pose_demo/quantize.py): the known model
# ``<name>`` quantized, kept in the model cache as ``<name>_int8/`` once it passed its accuracy check.
INT8_SUFFIX = "_int8"


def base_model(name: str) -> str:
    """The f32 model an INT8 variant was made from (``name`` itself for any other model)."""
    return name.removesuffix(INT8_SUFFIX)


def model_spec(name: str) -> ModelSpec | None:
    """The registry entry of a known model or of an INT8 variant of one (same input); None if unknown."""
    return MODELS.get(name) or (MODELS.get(base_model(name)) if name.endswith(INT8_SUFFIX) else None)

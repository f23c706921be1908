"""The ONNX Runtime path (issue 29), on the CPU: the OpenVINO models converted to ONNX give OpenVINO's
keypoints and COCO AP; a GPU that cannot be used, a missing onnxruntime and an op the conversion does not
know are each said in one sentence. (The same runtime on an NVIDIA GPU: scripts/gpu_check.sh.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import openvino as ov
import pytest
from openvino import opset13 as ops

from pose_demo import UniModel
from pose_demo.evaluation import evaluate
from pose_demo.i18n import translate
from pose_demo.models.onnx_export import ConversionError, to_onnx
from pose_demo.models.runtime import ModelRunError, OnnxRuntime
from tests.conftest import COCO_ANN, COCO_IMAGES, IMAGES, MODEL_DIR, REPO

PAIRS = {
    "fast": ("picodet_s_192_lcnet_pedestrian", "tinypose_128x96"),
    "accurate": ("picodet_s_320_lcnet_pedestrian", "tinypose_256x192"),
}
NO_CUDA = "CUDAExecutionProvider" not in ort.get_available_providers()


def onnx_model(pair: str, **options: object) -> UniModel:
    return UniModel(*PAIRS[pair], model_dir=MODEL_DIR, runtime="onnx", compile_cache=None, **options)


@pytest.fixture(scope="module")
def onnx_fast() -> UniModel:
    return onnx_model("fast")


@pytest.mark.parametrize("pair", PAIRS)
def test_same_persons_and_keypoints_as_openvino(pair: str) -> None:
    openvino, onnx = UniModel(*PAIRS[pair], model_dir=MODEL_DIR), onnx_model(pair)
    assert isinstance(onnx.detector.runtime, OnnxRuntime) and isinstance(onnx.keypoints.runtime, OnnxRuntime)
    persons, worst = 0, 0.0
    for path in sorted(IMAGES.glob("*.*g")):
        image = cv2.imread(str(path))
        expected, found = openvino.predict(image, 0.3), onnx.predict(image, 0.3)
        assert len(found.persons) == len(expected.persons), path.name
        for a, b in zip(expected.persons, found.persons, strict=True):
            assert np.allclose(a.box.as_xyxy(), b.box.as_xyxy(), atol=1.0), path.name
            worst = max(worst, float(np.abs(a.keypoints[:, :2] - b.keypoints[:, :2]).max()))
            assert np.allclose(a.keypoints[:, 2], b.keypoints[:, 2], atol=0.01), path.name
        persons += len(found.persons)
    assert persons >= 40  # the shared images at 0.3: not a vacuous comparison
    assert worst <= 1.0


def test_six_crops_go_in_one_call_and_match_openvino(
    fast_model: UniModel, onnx_fast: UniModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = cv2.imread(str(IMAGES / "small_coco_val2017_000000361919_skiers_far.jpg"))
    boxes = np.array([b.box.as_xyxy() for b in fast_model.predict(image, 0.3).persons], np.float32)
    assert len(boxes) == 6
    batches = []
    infer = onnx_fast.keypoints.runtime.infer

    def counted(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        batches.append(len(next(iter(inputs.values()))))
        return infer(inputs)

    with monkeypatch.context() as patch:
        patch.setattr(onnx_fast.keypoints.runtime, "infer", counted)
        together = onnx_fast.keypoints.estimate(image, boxes)
    assert batches == [6]
    expected = fast_model.keypoints.estimate(image, boxes)
    assert np.abs(together[..., :2] - expected[..., :2]).max() <= 1.0
    one_by_one = np.concatenate([onnx_fast.keypoints.estimate(image, box[None]) for box in boxes])
    assert np.abs(together - one_by_one).max() < 1e-3


@pytest.mark.parametrize(("pair", "floor"), [("fast", 0.385), ("accurate", 0.525)])  # test_accuracy.py's
def test_coco_ap_with_ground_truth_boxes_as_openvino(
    pair: str, floor: float, request: pytest.FixtureRequest
) -> None:
    openvino = evaluate(request.getfixturevalue(f"{pair}_model"), COCO_ANN, COCO_IMAGES, use_gt_boxes=True)
    onnx = evaluate(onnx_model(pair), COCO_ANN, COCO_IMAGES, use_gt_boxes=True)
    assert onnx["AP"] >= floor
    assert abs(onnx["AP"] - openvino["AP"]) <= 0.005


def test_converted_models_are_kept_and_read_back(tmp_path: Path, onnx_fast: UniModel) -> None:
    image = cv2.imread(str(IMAGES / "front_ochuman_000817_three_people_walking.jpg"))
    UniModel(*PAIRS["fast"], model_dir=MODEL_DIR, runtime="onnx", compile_cache=tmp_path)
    kept = sorted(p.name for p in tmp_path.glob("*.onnx"))
    assert len(kept) == 2 and any("-batchany-" in name for name in kept), kept
    again = UniModel(*PAIRS["fast"], model_dir=MODEL_DIR, runtime="onnx", compile_cache=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == kept  # read back, nothing new written
    a, b = onnx_fast.predict(image), again.predict(image)
    assert len(a.persons) == 3
    assert all(np.array_equal(p.keypoints, q.keypoints) for p, q in zip(a.persons, b.persons, strict=True))


@pytest.mark.skipif(not NO_CUDA, reason="this onnxruntime has a CUDA provider")
def test_gpu_without_cuda_is_one_sentence_naming_what_to_install() -> None:
    with pytest.raises(ModelRunError) as caught:
        UniModel(model_dir=MODEL_DIR, device="gpu")
    assert str(caught.value) == translate("error.model.no_cuda")
    assert "pip install -r requirements-gpu.txt" in str(caught.value) and "NVIDIA" in str(caught.value)


@pytest.mark.skipif(not NO_CUDA, reason="this onnxruntime has a CUDA provider")
def test_gpu_without_cuda_on_the_command_line(tmp_path: Path) -> None:
    image = IMAGES / "side_frame_squat_f0030_standing.jpg"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pose_demo.cli",
            "infer",
            str(image),
            "--out",
            str(tmp_path),
            "--device",
            "gpu",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"error: {translate('error.model.no_cuda')}\n"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("device", "key", "install"),
    [
        ("cpu", "error.model.no_onnxruntime", "pip install -r requirements-onnx.txt"),
        ("gpu", "error.model.no_cuda", "pip install -r requirements-gpu.txt"),
    ],
)
def test_no_onnxruntime_installed(
    monkeypatch: pytest.MonkeyPatch, device: str, key: str, install: str
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    with pytest.raises(ModelRunError) as caught:
        UniModel(model_dir=MODEL_DIR, runtime="onnx", device=device, compile_cache=None)
    assert caught.value.message.key == key
    assert install in str(caught.value)


@pytest.mark.parametrize(
    ("options", "key"),
    [({"precision": "bf16"}, "error.model.onnx_precision"), ({"device": "GPU.0"}, "error.model.onnx_device")],
)
def test_settings_onnx_runtime_cannot_honour(options: dict[str, str], key: str) -> None:
    with pytest.raises(ModelRunError) as caught:
        onnx_model("fast", **options)
    assert caught.value.message.key == key


def _model(output: ov.Node, image: ov.Node) -> ov.Model:
    return ov.Model([output], [image], "test")


def test_an_op_the_conversion_does_not_know_is_named() -> None:
    image = ops.parameter([-1, 3, 8, 8], np.float32, name="image")
    with pytest.raises(ConversionError) as caught:
        to_onnx(_model(ops.elu(image, 1.0), image))
    assert caught.value.message.key == "error.model.onnx_op"
    assert caught.value.message.params["op"] == "Elu"
    assert "Elu" in str(caught.value) and "OpenVINO runtime" in str(caught.value)


def test_a_graph_that_depends_on_the_batch_keeps_no_free_batch() -> None:
    image = ops.parameter([-1, 3, 8, 8], np.float32, name="image")
    # its own shape with a 1 appended: a constant [batch, 3, 8, 8, 1] once folded
    shape = ops.concat([ops.shape_of(image), ops.constant(np.array([1], np.int64))], 0)
    flat = ops.reshape(image, shape, special_zero=False)
    converted = to_onnx(_model(ops.relu(flat), image), batch=4)
    assert [d.dim_value for d in converted.graph.input[0].type.tensor_type.shape.dim] == [4, 3, 8, 8]
    with pytest.raises(ConversionError) as caught:
        to_onnx(_model(ops.relu(flat), image), batch=None)
    assert caught.value.message.key == "error.model.onnx_batch"

"""PaddleDetection-style pre/post-processing around our models, for ``bench --baseline`` only.

PaddleDetection cannot be installed here, so this re-implements the behaviour and the cost of its
Python deploy path (same OpenCV/numpy calls, same per-joint Python loops, same dtypes), written
afresh, not copied. What it mirrors, by PaddleDetection file:

- ``deploy/python/preprocess.py``: ``Resize`` by x/y scale factors (cubic, ``keep_ratio: false``),
  ``NormalizeImage`` (float32, /255, minus mean, over std, with float64 mean/std arrays),
  ``Permute`` (HWC -> CHW copy); ``decode_image`` turns BGR into RGB.
- ``deploy/third_engine/demo_openvino/python/openvino_infer.py`` (``PicoDetNMS``, ``hard_nms``),
  the path for PicoDet exports that output decoded boxes + scores without NMS; the score floor
  (0.4) is ``PicoDetPostProcess``'s default in ``deploy/python/picodet_postprocess.py`` and the
  IoU (0.5) the pedestrian export's ``infer_cfg.yml``; ``Detector.filter_box`` in
  ``deploy/python/infer.py`` then keeps boxes above the detection threshold (0.5).
- ``deploy/python/keypoint_preprocess.py``: ``expand_crop`` (box grown by 30 %, widened to 3:4,
  clipped, integer crop), ``TopDownEvalAffine`` + ``get_affine_transform`` (three-point affine).
- ``deploy/python/keypoint_infer.py`` / ``det_keypoint_unite_infer.py`` /
  ``det_keypoint_unite_utils.py``: one crop per keypoint call (``keypoint_batch_size`` 1), centre
  ``round(crop / 2)`` and scale ``crop / 200`` for decoding, crop offset added back.
- ``deploy/python/keypoint_postprocess.py``: ``HRNetPostProcess`` with ``use_dark``: per-joint
  ``gaussian_blur`` on a zero-padded float64 copy, log, per-joint Taylor step with ``np.matrix``,
  and ``transform_preds`` point by point.

Models run through the project's runtimes, so only the pre/post-processing differs from ours.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from pose_demo.models.registry import IMAGENET_MEAN, IMAGENET_STD
from pose_demo.models.runtime import Runtime
from pose_demo.results import Box


def normalise_permute(image_rgb: np.ndarray) -> np.ndarray:
    """NormalizeImage then Permute, as the deploy ops do them: float32 HWC -> CHW copy."""
    image = image_rgb.astype(np.float32, copy=False)
    mean = np.array(IMAGENET_MEAN)[np.newaxis, np.newaxis, :]
    std = np.array(IMAGENET_STD)[np.newaxis, np.newaxis, :]
    image = image / 255.0
    image -= mean
    image /= std
    return image.transpose((2, 0, 1)).copy()


def three_point_affine(
    center: np.ndarray, src_size: np.ndarray, out_size: tuple[int, int], inverse: bool = False
) -> np.ndarray:
    """The 2x3 affine taking a box of ``src_size`` (only its width counts) around ``center`` onto an
    ``out_size`` image, from three point pairs: the centres, a point half a width above them, and
    a third one a quarter turn from the second."""
    out_w, out_h = out_size
    src = np.zeros((3, 2), dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    src[0, :] = center
    src[1, :] = center + np.array([0.0, src_size[0] * -0.5])
    dst[0, :] = [out_w * 0.5, out_h * 0.5]
    dst[1, :] = np.array([out_w * 0.5, out_h * 0.5]) + np.array([0.0, out_w * -0.5])
    for points in (src, dst):
        d = points[0, :] - points[1, :]
        points[2, :] = points[1, :] + np.array([-d[1], d[0]], dtype=np.float32)
    if inverse:
        return cv2.getAffineTransform(np.float32(dst), np.float32(src))
    return cv2.getAffineTransform(np.float32(src), np.float32(dst))


def greedy_nms(rows: np.ndarray, iou_threshold: float, keep: int = 100, candidates: int = 200) -> np.ndarray:
    """Rows (x1, y1, x2, y2, score) kept by a Python loop of best-first suppression."""
    order = np.argsort(rows[:, -1])[-candidates:]
    picked = []
    while len(order) > 0:
        best = order[-1]
        picked.append(best)
        if 0 < keep == len(picked) or len(order) == 1:
            break
        order = order[:-1]
        rest = rows[order, :4]
        lt = np.maximum(rest[..., :2], rows[best, :2][None])
        rb = np.minimum(rest[..., 2:], rows[best, 2:4][None])
        overlap = np.prod(np.clip(rb - lt, 0.0, None), axis=-1)
        area_rest = np.prod(np.clip(rest[..., 2:] - rest[..., :2], 0.0, None), axis=-1)
        area_best = np.prod(np.clip(rows[best, 2:4] - rows[best, :2], 0.0, None))
        order = order[overlap / (area_rest + area_best - overlap + 1e-5) <= iou_threshold]
    return rows[picked, :]


def grown_crop(image: np.ndarray, rect: np.ndarray, grow: float = 0.3) -> tuple[np.ndarray, list[int]]:
    """The person's crop: box grown by ``grow``, at least 3:4 wide, clipped; and its x1, y1, x2, y2."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (int(v) for v in rect.tolist())
    half_h = (y2 - y1) * (1 + grow) / 2.0
    half_w = (x2 - x1) * (1 + grow) / 2.0
    if half_h > half_w * 4 / 3:
        half_w = half_h * 0.75
    cy, cx = (y1 + y2) / 2.0, (x1 + x2) / 2.0
    top, bottom = max(0, int(cy - half_h)), min(height - 1, int(cy + half_h))
    left, right = max(0, int(cx - half_w)), min(width - 1, int(cx + half_w))
    return image[top:bottom, left:right, :], [left, top, right, bottom]


def blur_heatmaps(maps: np.ndarray, kernel: int = 3) -> np.ndarray:
    """Per joint: Gaussian blur on a zero-padded float64 copy, rescaled to the original peak."""
    border = (kernel - 1) // 2
    batch, joints, height, width = maps.shape
    for i in range(batch):
        for j in range(joints):
            peak = np.max(maps[i, j])
            padded = np.zeros((height + 2 * border, width + 2 * border))
            padded[border:-border, border:-border] = maps[i, j].copy()
            padded = cv2.GaussianBlur(padded, (kernel, kernel), 0)
            maps[i, j] = padded[border:-border, border:-border].copy()
            maps[i, j] *= peak / np.max(maps[i, j])
    return maps


def taylor_step(log_map: np.ndarray, coord: np.ndarray) -> np.ndarray:
    """One Newton step from the integer peak on a log heatmap (DARK), with ``np.matrix``."""
    h, w = log_map.shape
    px, py = int(coord[0]), int(coord[1])
    if 1 < px < w - 2 and 1 < py < h - 2:
        m = log_map
        dx = 0.5 * (m[py][px + 1] - m[py][px - 1])
        dy = 0.5 * (m[py + 1][px] - m[py - 1][px])
        dxx = 0.25 * (m[py][px + 2] - 2 * m[py][px] + m[py][px - 2])
        dxy = 0.25 * (m[py + 1][px + 1] - m[py - 1][px + 1] - m[py + 1][px - 1] + m[py - 1][px - 1])
        dyy = 0.25 * (m[py + 2][px] - 2 * m[py][px] + m[py - 2][px])
        gradient = np.matrix([[dx], [dy]])
        hessian = np.matrix([[dxx, dxy], [dxy, dyy]])
        if dxx * dyy - dxy**2 != 0:
            coord += np.squeeze(np.array((-hessian.I * gradient).T), axis=0)
    return coord


def decode_heatmaps(maps: np.ndarray, centers: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Heatmaps (N, J, H, W) -> (N, J, 3) x, y, score in the crops' pixels: argmax, DARK, affine."""
    batch, joints, height, width = maps.shape
    flat = maps.reshape((batch, joints, -1))
    idx = np.argmax(flat, 2).reshape((batch, joints, 1))
    peaks = np.amax(flat, 2).reshape((batch, joints, 1))
    coords = np.tile(idx, (1, 1, 2)).astype(np.float32)
    coords[:, :, 0] = coords[:, :, 0] % width
    coords[:, :, 1] = np.floor(coords[:, :, 1] / width)
    coords *= np.tile(np.greater(peaks, 0.0), (1, 1, 2)).astype(np.float32)
    log_maps = np.log(np.maximum(blur_heatmaps(maps, 3), 1e-10))
    for n in range(batch):
        for p in range(joints):
            coords[n, p] = taylor_step(log_maps[n][p], coords[n][p])
    preds = coords.copy()
    for n in range(batch):
        back = three_point_affine(centers[n], scales[n] * 200, (width, height), inverse=True)
        out = np.zeros(coords[n].shape)
        for p in range(joints):
            out[p, 0:2] = np.dot(back, np.array([coords[n, p, 0], coords[n, p, 1], 1.0]).T)[:2]
        preds[n] = out
    return np.concatenate((preds, peaks), axis=-1)


class PaddleDetStylePipeline:
    """PicoDet (decoded boxes + scores, no NMS) -> TinyPose, processed as PaddleDetection's
    Python deploy does. ``model_ms`` is the time spent inside the model calls of the last
    ``predict``."""

    def __init__(
        self,
        det_runtime: Runtime,
        kp_runtime: Runtime,
        det_threshold: float = 0.5,
        score_floor: float = 0.4,
        nms_iou: float = 0.5,
    ) -> None:
        self.det_runtime = det_runtime
        self.kp_runtime = kp_runtime
        self.det_threshold = det_threshold
        self.score_floor = score_floor
        self.nms_iou = nms_iou
        self.det_input = next(iter(det_runtime.input_shapes))
        self.kp_input = next(iter(kp_runtime.input_shapes))
        self.det_size = tuple(det_runtime.input_shapes[self.det_input][2:])  # (h, w)
        kp_h, kp_w = kp_runtime.input_shapes[self.kp_input][2:]
        self.kp_size = (kp_w, kp_h)
        self.model_ms = 0.0

    def _run(self, runtime: Runtime, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        start = time.perf_counter()
        outputs = list(runtime.infer(inputs).values())
        self.model_ms += (time.perf_counter() - start) * 1000
        return outputs

    def detect(self, image_rgb: np.ndarray) -> np.ndarray:
        """Rows x1, y1, x2, y2, score in original pixels, above the detection threshold."""
        h, w = image_rgb.shape[:2]
        scale_y, scale_x = self.det_size[0] / float(h), self.det_size[1] / float(w)
        resized = cv2.resize(image_rgb, None, None, fx=scale_x, fy=scale_y, interpolation=cv2.INTER_CUBIC)
        blob = np.array((normalise_permute(resized),)).astype("float32")
        boxes, scores = self._run(self.det_runtime, {self.det_input: blob})
        boxes, scores = boxes[0], scores[0].T  # (N, 4), (N, classes)
        picked = []
        for cls in range(scores.shape[1]):
            probs = scores[:, cls]
            mask = probs > self.score_floor
            if probs[mask].shape[0] == 0:
                continue
            rows = np.concatenate([boxes[mask, :], probs[mask].reshape(-1, 1)], axis=1)
            picked.append(greedy_nms(rows, self.nms_iou))
        if not picked:
            return np.zeros((0, 5), np.float32)
        rows = np.concatenate(picked)
        rows[:, [0, 2]] /= scale_x
        rows[:, [1, 3]] /= scale_y
        return rows[rows[:, 4] > self.det_threshold, :]

    def keypoints(self, crop: np.ndarray) -> np.ndarray:
        """(17, 3) keypoints of one crop, in the crop's pixels."""
        shape = np.array(crop.shape[:2], dtype=np.float32)[::-1]  # w, h
        warp = three_point_affine(shape / 2.0, shape, self.kp_size)
        warped = cv2.warpAffine(crop, warp, self.kp_size, flags=cv2.INTER_LINEAR)
        blob = np.stack([normalise_permute(warped)], axis=0).astype("float32")
        heatmaps = self._run(self.kp_runtime, {self.kp_input: blob})[0]
        return decode_heatmaps(heatmaps, np.round(shape[None] / 2.0), shape[None] / 200.0)[0]

    def predict(self, image_bgr: np.ndarray) -> list[tuple[Box, np.ndarray]]:
        """Each detected person's box and (17, 3) keypoints x, y, score in original pixels."""
        self.model_ms = 0.0
        image = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        persons = []
        for row in self.detect(image):
            crop, (left, top, _, _) = grown_crop(image, row[:4])
            if crop.size == 0:
                continue
            kps = self.keypoints(crop)
            kps[:, 0] += left
            kps[:, 1] += top
            persons.append((Box(*map(float, row[:4]), score=float(row[4])), kps))
        return persons

"""Where detection boxes are decoded: the three PicoDet output layouts, and NMS (OpenCV).

All decoders return ``(boxes (N, 4) x1 y1 x2 y2 in network-input pixels, scores (N,))``, except
the NMS-fused export, whose boxes are already in original-image pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

NMS_FUSED = "nms_fused"
BOXES_SCORES = "boxes_scores"
RAW_HEADS = "raw_heads"
STRIDES = (8, 16, 32, 64)  # PicoDet's feature strides, unless the model's infer_cfg.yml says otherwise


def detect_layout(input_names: list[str], output_shapes: dict[str, tuple[int, ...]]) -> str:
    """Tell the output layout from the model's inputs and outputs."""
    if "scale_factor" in input_names:
        return NMS_FUSED
    if len(output_shapes) == 2:
        return BOXES_SCORES
    if len(output_shapes) >= 4 and len(output_shapes) % 2 == 0:
        return RAW_HEADS
    raise ValueError(
        f"Unrecognised detector outputs {output_shapes}: expected bbox+bbox_num (NMS fused), "
        "boxes [1,N,4] + scores [1,1,N], or per-stride score and box-distribution heads."
    )


def decode_nms_fused(outputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """PaddleDetection export with NMS: ``bbox`` [N, 6] rows of class, score, x1, y1, x2, y2."""
    bbox = next(v for v in outputs.values() if v.ndim == 2 and v.shape[-1] == 6)
    counts = [v for v in outputs.values() if v.ndim == 1]
    n = int(counts[0][0]) if counts else len(bbox)
    rows = bbox[:n]
    rows = rows[rows[:, 0] == 0]  # class 0: person
    return rows[:, 2:6].astype(np.float32), rows[:, 1].astype(np.float32)


def decode_boxes_scores(outputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Decoded boxes [1, N, 4] and sigmoid scores [1, C, N] (C = 1 for pedestrians), no NMS."""
    boxes = next(v for v in outputs.values() if v.shape[-1] == 4)
    scores = next(v for v in outputs.values() if v.shape[-1] != 4)
    return boxes[0].astype(np.float32), scores[0].max(axis=0).astype(np.float32)


def decode_raw_heads(
    outputs: dict[str, np.ndarray], input_size: tuple[int, int], strides: tuple[int, ...] = STRIDES
) -> tuple[np.ndarray, np.ndarray]:
    """PicoDet raw heads (PaddleDetection's PicoDetPostProcess): per stride, sigmoid scores
    [1, HW, C] and box distributions [1, HW, 4 * bins]. Softmax over bins, expectation x stride
    gives the distances from the cell centre to the four sides."""
    heads = sorted(outputs.values(), key=lambda v: -v.shape[1])
    score_maps = [v for v in heads if v.shape[-1] < 4]
    dist_maps = [v for v in heads if v.shape[-1] >= 4]
    width, height = input_size
    all_boxes, all_scores = [], []
    for stride, score, dist in zip(strides, score_maps, dist_maps, strict=True):
        cols, rows = int(np.ceil(width / stride)), int(np.ceil(height / stride))
        ys, xs = np.mgrid[:rows, :cols]
        centres = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) * stride
        bins = dist[0].reshape(-1, 4, dist.shape[-1] // 4)
        prob = np.exp(bins - bins.max(axis=-1, keepdims=True))
        prob /= prob.sum(axis=-1, keepdims=True)
        distance = (prob * np.arange(bins.shape[-1])).sum(axis=-1) * stride  # (HW, 4): l, t, r, b
        all_boxes.append(np.hstack([centres - distance[:, :2], centres + distance[:, 2:]]))
        all_scores.append(score[0].max(axis=1))
    return np.vstack(all_boxes).astype(np.float32), np.concatenate(all_scores).astype(np.float32)


def nms(
    boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, score_floor: float, top_k: int = 100
) -> np.ndarray:
    """Indices of the boxes kept by OpenCV's NMS, best first."""
    keep = np.flatnonzero(scores >= score_floor)
    if keep.size == 0:
        return keep
    xywh = np.column_stack([boxes[keep, :2], boxes[keep, 2:] - boxes[keep, :2]])
    picked = cv2.dnn.NMSBoxes(xywh.tolist(), scores[keep].tolist(), score_floor, iou_threshold, top_k=top_k)
    return keep[np.asarray(picked, dtype=np.int64).reshape(-1)]

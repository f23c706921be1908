"""COCO keypoint AP with pycocotools, for the whole pipeline or with ground-truth boxes."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from pose_demo.i18n import UserError
from pose_demo.image_input import load_image
from pose_demo.predictor import UniModel
from pose_demo.results import Box

VISIBLE_SCORE = 0.2  # joints above this count in the GT-box rescoring, as in PaddleDetection's eval


class AnnotationError(UserError, ValueError):
    """The annotation file, or the images it lists, cannot be evaluated."""


def load_annotations(ann_file: str | Path, image_dir: str | Path) -> COCO:
    """A COCO keypoint annotation file whose images are all in ``image_dir``, checked before any work."""
    try:
        data = json.loads(Path(ann_file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AnnotationError("error.annotation.not_json", file=ann_file, reason=e) from e
    missing_keys = {"images", "annotations", "categories"} - set(data if isinstance(data, dict) else ())
    if missing_keys:
        raise AnnotationError(
            "error.annotation.not_coco", file=ann_file, keys=", ".join(sorted(missing_keys))
        )
    try:
        names = [str(image["file_name"]) for image in data["images"]]
    except (KeyError, TypeError) as e:
        raise AnnotationError("error.annotation.no_file_name", file=ann_file) from e
    missing = [name for name in names if not (Path(image_dir) / name).is_file()]
    if missing:
        raise AnnotationError(
            "error.annotation.missing_images",
            missing=len(missing),
            total=len(data["images"]),
            file=ann_file,
            folder=image_dir,
            first=", ".join(missing[:3]),
        )
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def gt_boxes(coco: COCO, image_id: int) -> list[Box]:
    """Every non-crowd person box with area > 0 and at least one labelled keypoint."""
    anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id, catIds=[1], iscrowd=False))
    boxes = [a["bbox"] for a in anns if a["area"] > 0 and a["num_keypoints"] > 0]
    return [Box(x, y, x + w, y + h) for x, y, w, h in boxes if w > 0 and h > 0]


def evaluate(
    model: UniModel,
    ann_file: str | Path,
    image_dir: str | Path,
    use_gt_boxes: bool = False,
    flip: bool = False,
    det_threshold: float = 0.3,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """AP, AP50, AP75 and AR (0-1 scale) over every image of the annotation file."""
    coco = load_annotations(ann_file, image_dir)
    image_ids = sorted(coco.getImgIds())
    results = []
    for done, image_id in enumerate(image_ids, 1):
        info = coco.loadImgs(image_id)[0]
        image = load_image(Path(image_dir) / info["file_name"])
        if use_gt_boxes:
            frame = model.predict_with_boxes(image, gt_boxes(coco, image_id), flip)
            for person in frame.persons:
                visible = person.keypoints[:, 2] > VISIBLE_SCORE
                person.score = float(person.keypoints[visible, 2].mean()) if visible.any() else 0.0
        else:
            frame = model.predict(image, det_threshold, flip)
        results += [p.to_coco(image_id) for p in frame.persons]
        if progress:
            progress(done, len(image_ids))
    if not results:
        return {"AP": 0.0, "AP50": 0.0, "AP75": 0.0, "AR": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = COCOeval(coco, coco.loadRes(results), "keypoints")
        evaluator.params.imgIds = image_ids
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = np.asarray(evaluator.stats)
    return {"AP": float(stats[0]), "AP50": float(stats[1]), "AP75": float(stats[2]), "AR": float(stats[5])}

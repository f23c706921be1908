"""Typed results of the pipeline: boxes, persons, frames. Plain dataclasses with JSON/COCO export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pose_demo.skeleton import COCO17

if TYPE_CHECKING:
    from pose_demo.exercises.live import LiveCount
    from pose_demo.rules.ruleset import Verdict

MIN_KEYPOINT_SCORE = 0.3  # joints scoring below this are treated as not seen (drawing, rules, tracking)


def _round(x: float, digits: int = 2) -> float:
    return round(float(x), digits)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in original-image pixels with its detector score."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float = 1.0

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    def as_xyxy(self) -> np.ndarray:
        return np.array([self.x1, self.y1, self.x2, self.y2], dtype=np.float32)

    def to_list(self) -> list[float]:
        return [_round(self.x1), _round(self.y1), _round(self.x2), _round(self.y2)]


@dataclass
class Person:
    """One person: detection box, person score, COCO-17 keypoints as (17, 3) rows of x, y, score.

    ``track_id`` is set by the tracker in videos and streams; ``rules`` holds the rule verdicts when a
    rule set is evaluated; ``reps`` the repetitions so far when an exercise is counted.
    """

    box: Box
    score: float
    keypoints: np.ndarray
    track_id: int | None = None
    rules: list[Verdict] = field(default_factory=list)
    reps: LiveCount | None = None

    def __post_init__(self) -> None:
        shape = np.shape(self.keypoints)
        if shape != (len(COCO17.keypoints), 3):
            raise ValueError(
                f"keypoints must be a ({len(COCO17.keypoints)}, 3) array of x, y, score, not {shape}"
            )

    def keypoint(self, name: str) -> np.ndarray:
        return self.keypoints[COCO17.index(name)]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "box": self.box.to_list(),
            "score": _round(self.score, 4),
            "keypoints": [[_round(x), _round(y), _round(s, 4)] for x, y, s in self.keypoints],
        }
        if self.track_id is not None:
            d = {"track_id": self.track_id, **d}
        if self.rules:
            d["rules"] = [v.to_dict() for v in self.rules]
        if self.reps is not None:
            d["reps"] = self.reps.to_dict()
        return d

    def to_coco(self, image_id: int, category_id: int = 1) -> dict[str, Any]:
        """One entry of a COCO keypoint results file."""
        kps = self.keypoints.astype(np.float64)
        flat = np.column_stack([kps[:, 0], kps[:, 1], kps[:, 2]]).reshape(-1)
        return {
            "image_id": image_id,
            "category_id": category_id,
            "keypoints": [float(v) for v in flat],
            "score": float(self.score),
            "bbox": [float(self.box.x1), float(self.box.y1), float(self.box.width), float(self.box.height)],
        }


@dataclass
class FrameResult:
    """Everything found in one image or video frame."""

    persons: list[Person]
    image_size: tuple[int, int]  # (width, height) of the original image

    def __len__(self) -> int:
        return len(self.persons)

    def to_dict(self) -> dict[str, Any]:
        w, h = self.image_size
        return {"image": {"width": w, "height": h}, "persons": [p.to_dict() for p in self.persons]}

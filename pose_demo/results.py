"""Typed results of the pipeline, the lowest layer: boxes, rule verdicts, repetitions and live counts,
persons, frames. Plain dataclasses with JSON/COCO export; every stage passes them around."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pose_demo.i18n import title_in
from pose_demo.skeleton import COCO17

MIN_KEYPOINT_SCORE = 0.3  # joints scoring below this are treated as not seen (drawing, rules, tracking)


def _round(x: float, digits: int = 2) -> float:
    return round(float(x), digits)


def round_or_none(value: float | None, digits: int = 2) -> float | None:
    """``value`` rounded, None when unknown (None or not finite); never ``-0.0``."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits) + 0.0


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


@dataclass(frozen=True)
class Verdict:
    """One rule on one person.

    ``level`` is ok / mild / severe for graded screening rules, ok for the others, and unknown when
    a needed keypoint is not confident enough; ``triggered`` says whether a screening or action
    condition holds. ``keypoints`` are the indices the rule reads; ``joint`` the (a, vertex, c)
    indices when the value is a joint angle.
    """

    id: str
    title: dict[str, str]
    kind: str
    value: float | None
    unit: str
    level: str
    triggered: bool
    keypoints: tuple[int, ...]
    joint: tuple[int, int, int] | None = None
    unmet: str | None = None  # unknown because the person is not in the rule's view or context ("front",
    # "side", "standing_still"); None: unknown for want of confident keypoints, or not unknown

    def to_dict(self) -> dict[str, Any]:
        value = None if self.value is None else round(self.value, 2) + 0.0  # + 0.0: no "-0.0" in JSON
        return {
            "id": self.id,
            "value": value,
            "unit": self.unit,
            "level": self.level,
            "triggered": self.triggered,
        }


UNKNOWN_REASONS = ("view", "unseen", "implausible")  # why a check was not judged


@dataclass(frozen=True)
class CheckResult:
    """A form check in one repetition: the value it judged and ok / fail / unknown ("not measurable
    here"), with why it is unknown: ``view`` (judged in another view only), ``unseen`` (the joints were not
    seen), ``implausible`` (they were placed where a body cannot be: ``exercises.reliability``)."""

    id: str
    title: dict[str, str]
    at: str
    value: float | None
    unit: str
    level: str
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.level not in ("ok", "fail", "unknown"):
            raise ValueError(f"level must be ok, fail or unknown, not {self.level!r}")
        if (self.reason is not None) != (self.level == "unknown") or (
            self.reason is not None and self.reason not in UNKNOWN_REASONS
        ):
            raise ValueError(f"an unknown check says why ({', '.join(UNKNOWN_REASONS)}), others do not")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "value": round_or_none(self.value),
            "unit": self.unit,
            "level": self.level,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Rep:
    """One repetition: times in seconds, the signal's range (min, max) and the phases' durations.

    ``tempo`` names start -> turn and turn -> end as the exercise says (eccentric / concentric).
    ``asymmetry``: left minus right at the turning point, when the signal is measured on both sides.
    """

    index: int
    start: float
    turn: float
    end: float
    range: tuple[float, float]
    tempo: dict[str, float]
    asymmetry: float | None = None
    checks: tuple[CheckResult, ...] = ()

    def __post_init__(self) -> None:
        if not self.start <= self.turn <= self.end:
            raise ValueError(
                f"a repetition needs start <= turn <= end, got {self.start}, {self.turn}, {self.end}"
            )

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def amplitude(self) -> float:
        return self.range[1] - self.range[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": round_or_none(self.start, 3),
            "turn": round_or_none(self.turn, 3),
            "end": round_or_none(self.end, 3),
            "duration": round_or_none(self.duration, 3),
            "range": [round_or_none(self.range[0]), round_or_none(self.range[1])],
            "tempo": {k: round_or_none(v, 3) for k, v in self.tempo.items()},
            "asymmetry": round_or_none(self.asymmetry),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class LiveCount:
    """A person's repetitions so far: the exercise, how many, whether one is under way now, and the last
    one counted (its times, range, tempo and form checks; None before the first), the unit of its range."""

    exercise: str
    count: int
    moving: bool
    last: Rep | None = None
    unit: str = ""
    title: Mapping[str, str] = field(default_factory=dict)  # the exercise's, by language (en, zh)

    def name(self, language: str = "en") -> str:
        """The exercise's title in ``language`` (its id in words when it has none)."""
        return title_in(self.title, language) if self.title else self.exercise.replace("_", " ")

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "count": self.count, "phase": "rep" if self.moving else "rest"}


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

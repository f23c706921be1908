"""The pinned outputs cross-checked (issue 30, gap 11): every rule value, grade and count in
``tests/golden/`` is computed again here from the pinned keypoints, with plain numpy written for this test
(not ``pose_demo.geometry`` nor ``pose_demo.rules``), as the rule catalog documents each rule. A wrong
implementation that rewrote the pinned files (``POSE_DEMO_UPDATE_GOLDEN=1``) would not agree with them.

Checked: the values of every rule (angles, body-unit measures, counts of conditions that hold) in the
photos and the videos; in the photos, also the view and standing decisions that make a rule unknown, the
grades and whether each rule is triggered (in videos those are debounced over frames: not checked here);
and the CSV files against the video JSON. The pinned keypoints are rounded to 0.01 px, so values agree
within that rounding, and a grade is checked unless the value lies that close to a threshold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

GOLDEN = Path(__file__).parent / "golden"
PHOTOS = ("front_ochuman_000817_three_people_walking", "side_frame_squat_f0030_standing")
VIDEOS = ("street", "squat")
MIN_SCORE = 0.3  # the default catalog's min_score
COCO = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
FRONT_RULES = {"shoulder_tilt", "hip_tilt", "head_tilt", "shoulder_level", "hip_level", "knee_valgus"}
SIDE_RULES = {"forward_head", "squat_depth"}
STANDING_RULES = {"trunk_lean", "shoulder_level", "hip_level", "forward_head"}
GRADES = {  # screening rules: (mild, severe, on the absolute value?)
    "trunk_lean": (10.0, 20.0, True),
    "shoulder_level": (2.0, 4.0, True),
    "hip_level": (2.0, 4.0, True),
    "forward_head": (0.1, 0.2, False),
    "knee_valgus": (0.1, 0.2, False),
}
Value = float | None
Truth = bool | None


class Pose:
    """One pinned person's keypoints, with the catalog's virtual points and measures (None: unknown)."""

    def __init__(self, keypoints: Sequence[Sequence[float]]) -> None:
        self.k = {name: np.array(p, dtype=np.float64) for name, p in zip(COCO, keypoints, strict=True)}
        for mid, side in (
            ("neck", "shoulder"),
            ("mid_hip", "hip"),
            ("mid_knee", "knee"),
            ("mid_ankle", "ankle"),
        ):
            left, right = self.k[f"left_{side}"], self.k[f"right_{side}"]
            self.k[mid] = np.array([*(left[:2] + right[:2]) / 2, min(left[2], right[2])])
        self.k["head"] = max((self.k[n] for n in COCO[:5]), key=lambda p: p[2])
        self.k["ear"] = max((self.k["left_ear"], self.k["right_ear"]), key=lambda p: p[2])

    def seen(self, *names: str) -> bool:
        return all(self.k[n][2] >= MIN_SCORE for n in names)

    def vector(self, a: str, b: str) -> np.ndarray | None:
        """b - a in pixels; None when unseen or on one spot."""
        if not self.seen(a, b):
            return None
        d = self.k[b][:2] - self.k[a][:2]
        return d if np.hypot(*d) > 1e-6 else None

    def angle(self, a: str, vertex: str, c: str) -> Value:
        u, w = self.vector(vertex, a), self.vector(vertex, c)
        if u is None or w is None or self.vector(a, c) is None:
            return None
        cosine = np.dot(u, w) / (np.hypot(*u) * np.hypot(*w))
        return math.degrees(math.acos(float(np.clip(cosine, -1.0, 1.0))))

    def elevation(self, a: str, b: str) -> Value:
        """Of b seen from a, degrees above the horizontal."""
        d = self.vector(a, b)
        return None if d is None else math.degrees(math.atan2(-d[1], abs(d[0])))

    def from_vertical(self, a: str, b: str) -> Value:
        """Of the line a -> b, degrees from straight up, positive to the image right."""
        d = self.vector(a, b)
        return None if d is None else math.degrees(math.atan2(d[0], -d[1]))

    def torso(self) -> Value:
        trunk = self.vector("mid_hip", "neck")
        if trunk is not None:
            return float(np.hypot(*trunk))
        shoulders = self.vector("left_shoulder", "right_shoulder")
        return None if shoulders is None else 1.3 * float(np.hypot(*shoulders))

    def across(self, a: str, b: str) -> Value:
        """Horizontal distance a-b in torsos."""
        torso, d = self.torso(), self.vector(a, b)
        return None if torso is None or d is None else abs(d[0]) / torso

    def above(self, a: str, b: str) -> Truth:
        """Whether a is higher in the picture than b (None: unknown)."""
        d, torso = self.vector(b, a), self.torso()
        return None if d is None or torso is None else bool(-d[1] / torso > 0)

    def view(self) -> str:
        """front, side or unknown: the shoulder and hip widths across the torso, in torsos."""
        axis = self.vector("mid_hip", "neck")
        if axis is None:
            return "unknown"
        length = float(np.hypot(*axis))

        def width(side: str) -> float:
            d = self.k[f"left_{side}"][:2] - self.k[f"right_{side}"][:2]
            return float(abs(d[0] * axis[1] - d[1] * axis[0]) / length**2)

        shoulders, hips = width("shoulder"), width("hip")
        if shoulders <= 0.3 and hips <= 0.2:
            return "side"
        torso_seen = all(self.k[f"{s}_{j}"][2] >= 0.5 for s in ("left", "right") for j in ("shoulder", "hip"))
        return "front" if torso_seen and shoulders >= 0.45 and hips >= 0.2 else "unknown"

    def upright(self) -> bool:
        trunk = self.from_vertical("mid_hip", "neck")
        legs = []
        for side in ("left", "right"):
            knee = self.angle(f"{side}_hip", f"{side}_knee", f"{side}_ankle")
            lean = self.from_vertical(f"{side}_hip", f"{side}_ankle")
            if knee is not None and lean is not None:
                legs.append(knee >= 150 and 180 - abs(lean) <= 30)
        return trunk is not None and abs(trunk) <= 45 and bool(legs) and all(legs)


def any_of(*truths: Truth) -> tuple[Truth, float]:
    return at_least(1, *truths)


def at_least(n: int, *truths: Truth) -> tuple[Truth, float]:
    """Three-valued: True when n hold, False when n cannot hold, else unknown; and how many hold."""
    held, unknown = truths.count(True), truths.count(None)
    if held >= n:
        return True, held
    return (False, held) if held + unknown < n else (None, math.nan)


def less(value: Value, bound: float) -> Truth:
    return None if value is None else value < bound


def measures(p: Pose) -> dict[str, tuple[Value, Truth]]:
    """Every rule of the default catalog: its value and, for conditions, whether it holds."""
    out: dict[str, tuple[Value, Truth]] = {}
    for side in ("left", "right"):
        out[f"{side}_knee_angle"] = (p.angle(f"{side}_hip", f"{side}_knee", f"{side}_ankle"), None)
        out[f"{side}_elbow_angle"] = (p.angle(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"), None)
        out[f"{side}_hip_angle"] = (p.angle(f"{side}_shoulder", f"{side}_hip", f"{side}_knee"), None)
        out[f"{side}_shoulder_angle"] = (p.angle(f"{side}_hip", f"{side}_shoulder", f"{side}_elbow"), None)
    for rule, (a, b) in {
        "shoulder_tilt": ("right_shoulder", "left_shoulder"),
        "hip_tilt": ("right_hip", "left_hip"),
        "head_tilt": ("right_ear", "left_ear"),
        "shoulder_level": ("right_shoulder", "left_shoulder"),
        "hip_level": ("right_hip", "left_hip"),
    }.items():
        out[rule] = (p.elevation(a, b), None)
    trunk = p.from_vertical("mid_hip", "neck")
    out["trunk_lean"] = (trunk, None)
    torso, ear, nose = p.torso(), p.k["ear"], p.k["nose"]
    facing = np.sign(nose[0] - ear[0]) if p.seen("nose", "ear") and abs(nose[0] - ear[0]) > 1e-6 else None
    forward = (
        None
        if torso is None or facing is None or p.vector("neck", "ear") is None
        else (ear[0] - p.k["neck"][0]) / torso * facing
    )
    out["forward_head"] = (forward, None)
    ankles, knees = p.across("left_ankle", "right_ankle"), p.across("left_knee", "right_knee")
    out["knee_valgus"] = (None if ankles is None or knees is None else ankles - knees, None)
    depth = p.elevation("mid_knee", "mid_hip")
    out["squat_depth"] = (depth, less(depth, 15))
    for rule, pairs in {
        "hand_over_shoulder": (("left_wrist", "left_shoulder"), ("right_wrist", "right_shoulder")),
        "hand_over_neck": (("left_wrist", "neck"), ("right_wrist", "neck")),
        "hand_over_head": (("left_wrist", "head"), ("right_wrist", "head")),
        "elbow_over_shoulder": (("left_elbow", "left_shoulder"), ("right_elbow", "right_shoulder")),
        "foot_over_knee": (("left_ankle", "right_knee"), ("right_ankle", "left_knee")),
    }.items():
        truth, held = any_of(*(p.above(a, b) for a, b in pairs))
        out[rule] = (None if truth is None else held, truth)
    out["body_axis_tilted"] = (trunk, None if trunk is None else not -45 <= trunk <= 45)
    knees_apart, feet_apart = _apart(p, "knee"), _apart(p, "ankle")
    out["knees_apart"] = (knees_apart, None if knees_apart is None else knees_apart > 0.7)
    out["feet_apart"] = (feet_apart, None if feet_apart is None else feet_apart > 0.9)
    hips = [p.angle("neck", f"{side}_hip", f"{side}_knee") for side in ("left", "right")]
    climb, held = at_least(
        3,
        any_of(p.above("left_wrist", "head"), p.above("right_wrist", "head"))[0],
        any_of(p.above("left_ankle", "right_knee"), p.above("right_ankle", "left_knee"))[0],
        any_of(p.above("left_elbow", "left_shoulder"), p.above("right_elbow", "right_shoulder"))[0],
        any_of(*(less(h, 110) for h in hips))[0],
    )
    out["climb_up"] = (None if climb is None else held, climb)
    left_hip, right_hip = hips
    straddle = None if left_hip is None or right_hip is None else not -40 <= left_hip - right_hip <= 40
    fence, held = at_least(2, any_of(*(less(h, 100) for h in hips))[0], straddle)
    out["climb_over_fence"] = (None if fence is None else held, fence)
    return out


def _apart(p: Pose, joint: str) -> Value:
    torso, d = p.torso(), p.vector(f"left_{joint}", f"right_{joint}")
    return None if torso is None or d is None else float(np.hypot(*d)) / torso


def tolerance(rule: dict[str, Any]) -> float:
    """How far a value from keypoints rounded to 0.01 px may be from the pinned one (itself rounded)."""
    return 0.08 if rule["unit"] == "deg" else 0.008


def persons(name: str) -> list[tuple[str, dict[str, Any]]]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    frames = data.get("frames", [data])
    return [
        (f"{name}#{f.get('index', 0)}.{i}", person) for f in frames for i, person in enumerate(f["persons"])
    ]


ALL_PERSONS = [p for name in (*PHOTOS, *(f"{v}_video" for v in VIDEOS)) for p in persons(name)]


@pytest.mark.parametrize(("where", "person"), ALL_PERSONS, ids=[w for w, _ in ALL_PERSONS])
def test_pinned_rule_values_agree_with_the_pinned_keypoints(where: str, person: dict[str, Any]) -> None:
    pose = Pose(person["keypoints"])
    expected, view = measures(pose), pose.view()
    assert {r["id"] for r in person["rules"]} == set(expected)
    for rule in person["rules"]:
        value, _ = expected[rule["id"]]
        wrong_view = (rule["id"] in FRONT_RULES and view != "front") or (
            rule["id"] in SIDE_RULES and view != "side"
        )
        if rule["value"] is None:
            assert value is None or wrong_view, (where, rule, value)
        else:
            assert value is not None, (where, rule)
            assert abs(value - rule["value"]) <= tolerance(rule), (where, rule, value)


def grade(rule_id: str, value: float) -> str:
    mild, severe, both = GRADES[rule_id]
    signed = abs(value) if both else value
    return "severe" if signed >= severe else "mild" if signed >= mild else "ok"


def near(value: Value, bounds: Sequence[float], within: float) -> bool:
    return value is not None and any(abs(value - b) <= within for b in bounds)


BOUNDS: dict[str, tuple[float, ...]] = {
    **{rule: GRADES[rule][:2] + tuple(-b for b in GRADES[rule][:2]) for rule in GRADES},
    "squat_depth": (15.0,),
    "body_axis_tilted": (-45.0, 45.0),
    "knees_apart": (0.7,),
    "feet_apart": (0.9,),
}
PHOTO_PERSONS = [p for name in PHOTOS for p in persons(name)]


@pytest.mark.parametrize(("where", "person"), PHOTO_PERSONS, ids=[w for w, _ in PHOTO_PERSONS])
def test_pinned_grades_of_the_photos_agree_with_the_pinned_keypoints(
    where: str, person: dict[str, Any]
) -> None:
    pose = Pose(person["keypoints"])
    expected, view, standing = measures(pose), pose.view(), pose.upright()
    checked = 0
    for rule in person["rules"]:
        rule_id = rule["id"]
        value, truth = expected[rule_id]
        if near(value, BOUNDS.get(rule_id, ()), tolerance(rule)):
            continue  # too close to call from rounded keypoints
        wrong_view = (rule_id in FRONT_RULES and view != "front") or (
            rule_id in SIDE_RULES and view != "side"
        )
        if wrong_view or value is None or (rule_id in STANDING_RULES and not standing):
            level, triggered = "unknown", False
        elif rule_id in GRADES:
            level = grade(rule_id, value)
            triggered = level != "ok"
        else:
            level, triggered = "ok", bool(truth)
        assert (rule["level"], rule["triggered"]) == (level, triggered), (where, rule, value, view, standing)
        checked += 1
    assert checked >= len(person["rules"]) - 2


def test_the_pinned_decisions_are_there_to_check() -> None:
    """The photos pin graded and triggered rules, not only "ok": the cross-check above has work to do."""
    levels = {(w, r["id"]): r["level"] for w, p in PHOTO_PERSONS for r in p["rules"]}
    assert {"mild", "severe", "unknown", "ok"} <= set(levels.values())


@pytest.mark.parametrize("video", VIDEOS)
def test_the_pinned_csv_is_the_pinned_video_json(video: str) -> None:
    """One CSV row per person and frame: its frame, time, track, keypoints and angle columns as in the
    JSON; as many rows as persons (the count is pinned twice)."""
    rows = json.loads((GOLDEN / f"{video}_csv.json").read_text(encoding="utf-8"))
    header, rows = rows[0], rows[1:]
    frames = json.loads((GOLDEN / f"{video}_video.json").read_text(encoding="utf-8"))["frames"]
    people = [(f, p) for f in frames for p in f["persons"]]
    assert len(rows) == len(people)

    def column(row: list[Any], name: str) -> Any:
        return row[header.index(name)]

    for row, (frame, person) in zip(rows, people, strict=True):
        assert (column(row, "frame"), column(row, "time"), column(row, "track_id")) == (
            frame["index"],
            frame["time"],
            person["track_id"],
        )
        for name, keypoint in zip(COCO, person["keypoints"], strict=True):
            assert [column(row, f"{name}_{c}") for c in ("x", "y", "score")] == keypoint
        for rule in person["rules"]:
            if f"{rule['id']}_deg" in header:
                assert column(row, f"{rule['id']}_deg") == rule["value"], (frame["index"], rule)

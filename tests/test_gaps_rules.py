"""Rule grades at and around their thresholds (issue 30, gap 7), computed by hand from skeletons built so
that each measure is an exact number.

- ``forward_head`` (side view, standing): how far the ear is ahead of the neck, in torsos; mild from 0.1,
  severe from 0.2 (``>=``: a value on a threshold takes its grade);
- ``knee_valgus`` (front view): ankle width minus knee width, in torsos; mild from 0.1, severe from 0.2;
- ``between`` / ``outside`` include their bounds: ``body_axis_tilted`` (outside [-45, 45] degrees) is not
  triggered at exactly 45 degrees, and a ``between: [90, 135]`` rule holds at 90 and at 135.

Every skeleton has a torso of exactly 100 px (neck to mid-hip), so ``x`` px are ``x / 100`` torsos.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pose_demo.classifier.model_file import classifier_from_document
from pose_demo.geometry import SHOULDER_TO_TORSO, estimate_view, make_keypoints, upright
from pose_demo.results import Box, Person, Verdict
from pose_demo.rules import RuleError, RuleSet, catalog_table
from pose_demo.rules.ruleset import catalog_names, evaluate_rule
from pose_demo.skeleton import COCO17
from tests.test_gaps_classifier_file import document  # noqa: F401 (the fixture)
from tests.test_rules_ruleset import SQUAT_POINTS, STANDING_POINTS

NECK_X = 200.0


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return RuleSet.load("default")


def verdict(rules: RuleSet, rule_id: str, keypoints: np.ndarray) -> Verdict:
    """The verdict of one rule, the view and contexts judged from the picture as the app does."""
    (found,) = rules.select([rule_id]).evaluate(Person(Box(0, 0, 400, 450), 0.9, keypoints))
    return found


def side_standing(ear_ahead: float, facing: int = 1) -> np.ndarray:
    """Side view, standing straight, facing the image right (``facing`` 1) or left (-1); the ear
    ``ear_ahead`` torsos ahead of the neck (in the facing direction), the nose 20 px further."""
    ear_x = NECK_X + facing * 100 * ear_ahead
    points = {
        "left_ear": (ear_x, 60),
        "right_ear": (ear_x, 60),
        "nose": (ear_x + facing * 20, 62),
        "left_shoulder": (NECK_X + 2, 100),
        "right_shoulder": (NECK_X - 2, 100),
        "left_hip": (NECK_X + 2, 200),
        "right_hip": (NECK_X - 2, 200),
        "left_knee": (NECK_X, 300),
        "right_knee": (NECK_X, 300),
        "left_ankle": (NECK_X, 400),
        "right_ankle": (NECK_X, 400),
    }
    return make_keypoints(points, score=0.9)


def front_standing(ankle_width: float, knee_width: float) -> np.ndarray:
    """Front view, standing: shoulders 60 px and hips 30 px wide, knees and ankles as wide as given (px)."""
    points = {
        "nose": (NECK_X, 50),
        "left_ear": (NECK_X + 12, 48),
        "right_ear": (NECK_X - 12, 48),
        "left_shoulder": (NECK_X + 30, 100),
        "right_shoulder": (NECK_X - 30, 100),
        "left_hip": (NECK_X + 15, 200),
        "right_hip": (NECK_X - 15, 200),
        "left_knee": (NECK_X + knee_width / 2, 300),
        "right_knee": (NECK_X - knee_width / 2, 300),
        "left_ankle": (NECK_X + ankle_width / 2, 400),
        "right_ankle": (NECK_X - ankle_width / 2, 400),
    }
    return make_keypoints(points, score=0.9)


def grade(value: float, mild: float, severe: float) -> str:
    """The documented grading of a ``direction: high`` rule, by hand."""
    return "severe" if value >= severe else "mild" if value >= mild else "ok"


def test_the_catalog_thresholds_are_those_tested(default: RuleSet) -> None:
    rules = {r.id: r for r in default.rules}
    for rule_id in ("forward_head", "knee_valgus"):
        t = rules[rule_id].thresholds
        assert (t.mild, t.severe, t.direction) == (0.1, 0.2, "high"), rule_id


@pytest.mark.parametrize(
    ("ear_ahead", "level"),
    [
        (-0.1, "ok"),
        (0.0, "ok"),
        (0.05, "ok"),
        (0.1, "mild"),
        (0.15, "mild"),
        (0.2, "severe"),
        (0.35, "severe"),
    ],
)
@pytest.mark.parametrize("facing", [1, -1])
def test_forward_head_grades(default: RuleSet, ear_ahead: float, level: str, facing: int) -> None:
    keypoints = side_standing(ear_ahead, facing)
    assert estimate_view(keypoints) == "side" and bool(upright(keypoints))
    got = verdict(default, "forward_head", keypoints)
    assert got.value == pytest.approx(ear_ahead, abs=1e-12)
    assert got.level == grade(ear_ahead, 0.1, 0.2) == level
    assert got.triggered == (level != "ok")


def test_forward_head_on_its_thresholds_takes_their_grades(default: RuleSet) -> None:
    """10 px and 20 px over a 100 px torso are exactly the thresholds 0.1 and 0.2."""
    assert verdict(default, "forward_head", side_standing(0.1)).value == 0.1
    assert verdict(default, "forward_head", side_standing(0.1)).level == "mild"
    assert verdict(default, "forward_head", side_standing(0.2)).value == 0.2
    assert verdict(default, "forward_head", side_standing(0.2)).level == "severe"


@pytest.mark.parametrize(
    ("knee_width", "level"),
    [
        (40, "ok"),  # knees wider than the ankles: -0.08
        (32, "ok"),  # as wide: 0
        (27, "ok"),  # 0.05
        (22, "mild"),  # exactly 0.1
        (17, "mild"),  # 0.15
        (12, "severe"),  # exactly 0.2
        (4, "severe"),  # 0.28
    ],
)
def test_knee_valgus_grades(default: RuleSet, knee_width: float, level: str) -> None:
    keypoints = front_standing(32, knee_width)
    assert estimate_view(keypoints) == "front"
    got = verdict(default, "knee_valgus", keypoints)
    expected_value = 32 / 100 - knee_width / 100
    assert got.value == pytest.approx(expected_value, abs=1e-12)
    assert got.level == grade(got.value, 0.1, 0.2) == level
    assert got.triggered == (level != "ok")


def leaning(degrees: float) -> np.ndarray:
    """Front view, the trunk (mid-hip to neck) leaning ``degrees`` from vertical to the image right."""
    a = np.radians(degrees)
    hip = np.array([200.0, 300.0])
    neck = hip + 100 * np.array([np.sin(a), -np.cos(a)])
    if degrees == 45:  # exactly 45 degrees: a run of 100 px for a rise of 100 px
        neck = hip + np.array([100.0, -100.0])
    across = np.array([np.cos(a), np.sin(a)])
    points = {
        "left_shoulder": tuple(neck + 30 * across),
        "right_shoulder": tuple(neck - 30 * across),
        "left_hip": tuple(hip + 15 * across),
        "right_hip": tuple(hip - 15 * across),
    }
    return make_keypoints(points, score=0.9)


@pytest.mark.parametrize(
    ("degrees", "triggered"), [(0, False), (44, False), (45, False), (46, True), (-50, True)]
)
def test_body_axis_tilted_is_outside_45_degrees_with_45_itself_inside(
    default: RuleSet, degrees: float, triggered: bool
) -> None:
    got = verdict(default, "body_axis_tilted", leaning(degrees))
    assert got.value == pytest.approx(degrees, abs=1e-9)
    if degrees == 45:
        assert got.value == 45.0
    assert got.triggered == triggered


BETWEEN_RULES = """\
rules:
  - id: knee_half_bent
    title: {en: Knee half bent, zh: 膝半屈}
    kind: action
    condition: {joint_angle: [left_hip, left_knee, left_ankle], between: [90, 135]}
"""


@pytest.mark.parametrize(
    ("hip", "degrees", "holds"),
    [
        ((300.0, 300.0), 90.0, True),  # thigh level, shank vertical: a right angle
        ((300.0, 200.0), 135.0, True),  # thigh 45 degrees up
        ((200.0, 200.0), 180.0, False),  # straight
        ((300.0, 400.0), 45.0, False),
        ((300.0, 250.0), None, True),  # about 116.6 degrees
    ],
)
def test_between_includes_its_bounds(
    tmp_path: Path, hip: tuple[float, float], degrees: float | None, holds: bool
) -> None:
    path = tmp_path / "between.yaml"
    path.write_text(BETWEEN_RULES, encoding="utf-8")
    rules = RuleSet.load(path)
    keypoints = make_keypoints({"left_hip": hip, "left_knee": (200, 300), "left_ankle": (200, 400)}, 0.9)
    got = verdict(rules, "knee_half_bent", keypoints)
    if degrees is not None:
        assert got.value == degrees  # exact: the bounds themselves
    assert got.triggered == holds


# ---------------------------------------------------------------- choosing rules, in the user's words


def test_choosing_unknown_rules_or_views_is_refused_with_what_there_is(default: RuleSet) -> None:
    with pytest.raises(RuleError) as error:
        default.select(["trunk_lean", "left_toe_angle"])
    assert (
        str(error.value) == f"default: unknown rule ids ['left_toe_angle'] (known: {', '.join(default.ids)})"
    )
    with pytest.raises(RuleError) as error:
        default.select(view="top")
    assert str(error.value) == "view must be one of front, side, any, not 'top'"
    with pytest.raises(RuleError) as error:
        RuleSet.load("no_such_rules")
    assert (
        str(error.value)
        == f"no_such_rules: no such rule file or built-in catalog (built-in: {', '.join(catalog_names())})"
    )
    assert default.select(view="any").ids == default.ids
    assert default.select(["forward_head", "trunk_lean"], view="front").ids == ["trunk_lean"]


# ---------------------------------------------------------------- a classifier as a rule


def test_a_classifier_rule_flags_its_class_from_its_threshold(
    document: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The value is the class probability, in any view; triggered from the threshold (``>=``), level "ok"
    either way; unknown when too few joints are seen."""
    classifier = classifier_from_document(document, "posture.json")
    keypoints = make_keypoints(STANDING_POINTS, score=0.9)
    p = classifier.probability(keypoints, "deep")
    assert 0 < p < 1
    rules = tmp_path / "taught.yaml"
    for threshold, triggered in [(p, True), (float(np.nextafter(p, 1)), False)]:
        rules.write_text(
            "rules:\n- {id: deep, title: {en: Deep}, kind: classifier, model: posture.json, flag: deep, "
            f"threshold: {threshold!r}}}\n",
            encoding="utf-8",
        )
        ruleset = RuleSet.load(rules, classifiers=lambda name: classifier)
        (found,) = ruleset.evaluate(Person(Box(0, 0, 400, 450), 0.9, keypoints))
        assert (found.value, found.level, found.triggered) == (pytest.approx(p), "ok", triggered)
        (other_view,) = ruleset.evaluate(Person(Box(0, 0, 400, 450), 0.9, keypoints), view="side")
        assert (other_view.value, other_view.level, other_view.triggered) == (
            pytest.approx(p),
            "ok",
            triggered,
        )
    unseen = np.zeros_like(keypoints)
    (nothing,) = ruleset.evaluate(Person(Box(0, 0, 400, 450), 0.9, unseen), view="front")
    assert (nothing.value, nothing.level, nothing.triggered) == (None, "unknown", False)


# ---------------------------------------------------------------- a rule file's settings reach every measure

EDGES = """
name: edges
min_score: 0.8
rules:
  - id: knee
    title: {en: Knee}
    kind: measurement
    measure: {joint_angle: [left_hip, left_knee, left_ankle]}
  - id: ears
    title: {en: Ears}
    kind: measurement
    measure: {segment_angle: [right_ear, left_ear], reference: horizontal}
  - id: wrists_apart
    title: {en: Wrists apart}
    kind: measurement
    measure: {distance_ratio: [left_wrist, right_wrist], axis: x}
  - id: wrist_drop
    title: {en: Wrist drop}
    kind: measurement
    measure: {relative_position: [left_wrist, left_elbow]}
  - id: forward
    title: {en: Ear ahead}
    kind: measurement
    measure: {relative_position: [ear, neck], axis: forward}
  - id: over_180
    title: {en: Knee over 180}
    kind: action
    condition: {joint_angle: [left_hip, left_knee, left_ankle], greater_than: 180}
  - id: under_180
    title: {en: Knee under 180}
    kind: action
    condition: {joint_angle: [left_hip, left_knee, left_ankle], less_than: 180}
  - id: legs_straight
    title: {en: Legs straight}
    kind: action
    when: standing_still
    condition:
      at_least: 1
      of:
        - {joint_angle: [left_hip, left_knee, left_ankle], greater_than: 170}
        - {joint_angle: [right_hip, right_knee, right_ankle], greater_than: 170}
  - id: wrist_low_standing
    title: {en: Wrist low when standing}
    kind: action
    when: standing_still
    condition: {relative_position: [left_wrist, left_elbow], less_than: 0}
  - id: wrists_apart_standing
    title: {en: Wrists apart when standing}
    kind: screening
    when: standing_still
    measure: {distance_ratio: [left_wrist, right_wrist]}
    thresholds: {mild: 2, severe: 3}
"""


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("rules") / "edges.yaml"
    path.write_text(EDGES, encoding="utf-8")
    return RuleSet.load(path)


def standing(**scores: float) -> Person:
    """The standing person of ``test_rules_ruleset`` (score 0.9, torso 100 px), the right wrist 40 px up;
    ``scores`` set some keypoints' scores."""
    keypoints = make_keypoints({**STANDING_POINTS, "right_wrist": (62, 135)}, score=0.9)
    for name, score in scores.items():
        keypoints[COCO17.index(name), 2] = score
    return Person(Box(0, 0, 300, 400), 0.9, keypoints)


def values(rules: RuleSet, person: Person, **options: Any) -> dict[str, float | None]:
    return {v.id: v.value for v in rules.evaluate(person, **options)}


def test_a_rule_files_measures_are_as_drawn(edges: RuleSet) -> None:
    found = values(edges, standing())
    assert found == {
        "knee": 180.0,
        "ears": pytest.approx(np.degrees(np.arctan2(0, 24))),
        "wrists_apart": pytest.approx(0.76),  # across only: 76 px of a 100 px torso, not the 86 px apart
        "wrist_drop": pytest.approx(-0.45),
        "forward": pytest.approx(-0.12),  # the ear seen best is to the left of the nose: facing left
        "over_180": 180.0,
        "under_180": 180.0,
        "legs_straight": 2.0,  # both of its items hold
        "wrist_low_standing": pytest.approx(-0.45),
        "wrists_apart_standing": pytest.approx(np.hypot(76, 40) / 100),
    }
    verdicts = {v.id: v for v in edges.evaluate(standing())}
    assert not verdicts["over_180"].triggered and not verdicts["under_180"].triggered  # 180 is neither
    assert verdicts["legs_straight"].triggered and verdicts["legs_straight"].unmet is None
    assert verdicts["legs_straight"].kind == "action" and verdicts["knee"].kind == "measurement"
    assert verdicts["knee"].keypoints == edges.select(["knee"]).rules[0].keypoints != ()


def test_a_rule_files_min_score_reaches_every_measure(edges: RuleSet) -> None:
    """0.8 in the file: keypoints of 0.5 are not used, in the measured points, the torso (the scale: the
    shoulders' width stands in) or the face (which way a side view faces)."""
    unsure = {name: 0.5 for name in ("left_knee", "right_ear", "left_wrist", "right_wrist")}
    found = values(edges, standing(**unsure))
    assert [name for name, value in found.items() if value is not None] == ["forward", "legs_straight"]
    assert found["legs_straight"] == 1.0  # the right leg only
    no_torso = values(edges, standing(left_hip=0.5, right_hip=0.5))
    scale = 60 * SHOULDER_TO_TORSO  # no torso at 0.8: the 60 px shoulders give the scale
    assert no_torso["wrists_apart"] == pytest.approx(76 / scale) != pytest.approx(0.76)
    forward = edges.select(["forward"])
    squat = make_keypoints(SQUAT_POINTS, score=0.9)
    assert values(forward, Person(Box(0, 0, 300, 400), 0.9, squat))["forward"] == pytest.approx(
        10 / np.hypot(60, 90)
    )
    squat[COCO17.index("nose"), 2] = 0.5  # which way the face looks: unknown at 0.8
    assert values(forward, Person(Box(0, 0, 300, 400), 0.9, squat))["forward"] is None


def test_a_rule_out_of_its_context_keeps_its_value_unknown(edges: RuleSet) -> None:
    """Standing: judged from the picture unless the caller says which contexts hold (a clip's motion)."""
    person = standing()
    rule = edges.select(["wrists_apart_standing"]).rules[0]
    judged = evaluate_rule(rule, person.keypoints)
    assert (judged.level, judged.unmet) == ("ok", None)
    for found in (
        evaluate_rule(rule, person.keypoints, contexts=frozenset()),
        *edges.evaluate(person, contexts=frozenset())[-3:],
    ):
        assert (found.level, found.triggered, found.unmet) == ("unknown", False, "standing_still")
    kept = values(edges, person, contexts=frozenset())
    assert (kept["legs_straight"], kept["wrist_low_standing"]) == (2.0, pytest.approx(-0.45))
    assert kept["wrists_apart_standing"] == pytest.approx(np.hypot(76, 40) / 100)
    assert values(edges, person, contexts=frozenset({"standing_still"})) == values(edges, person)


TWO_RULES = """
rules:
  - id: knee
    title: {en: Knee, zh: 膝}
    kind: measurement
    measure: {joint_angle: [left_hip, left_knee, left_ankle]}
  - id: up
    title: {en: Hands up}
    view: front
    kind: action
    condition: {relative_position: [left_wrist, nose], less_than: 0}
"""
ONE_RULE = """
rules:
  - id: hands
    title: {en: Hands}
    kind: action
    condition: {at_least: 1, of: [{joint_angle: [left_hip, left_knee, left_ankle], greater_than: 1}]}
"""


def test_rule_tables_list_each_rule_aligned(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(TWO_RULES, encoding="utf-8")
    assert RuleSet.load(path).table()[1] == {
        "id": "up",
        "kind": "action",
        "view": "front",
        "unit": "body",
        "en": "Hands up",
        "zh": "Hands up",
    }
    assert catalog_table(path).splitlines() == [
        "id    kind         view   unit  en        zh",
        "knee  measurement  any    deg   Knee      膝",
        "up    action       front  body  Hands up  Hands up",
    ]
    path.write_text(ONE_RULE, encoding="utf-8")  # no unit: a count
    assert catalog_table(path).splitlines() == [
        "id     kind    view  unit  en     zh",
        "hands  action  any   -     Hands  Hands",
    ]


def test_classifier_files_are_found_beside_the_rule_file_and_named_as_written(
    document: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    (tmp_path / "posture.json").write_text(json.dumps(document), encoding="utf-8")
    rules = tmp_path / "taught.yaml"
    text = "rules:\n- {id: deep, title: {en: Deep}, kind: classifier, model: MODEL, flag: deep}\n"
    rules.write_text(text.replace("MODEL", "posture.json"), encoding="utf-8")
    (found,) = RuleSet.load(rules).evaluate(
        Person(Box(0, 0, 400, 450), 0.9, make_keypoints(STANDING_POINTS, score=0.9))
    )
    assert found.id == "deep" and 0 < found.value < 1
    rules.write_text(text.replace("MODEL", "missing.json"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"field 'model': missing\.json: no such classifier file") as error:
        RuleSet.load(rules)
    assert str(tmp_path) not in str(error.value).split("field 'model'")[1]


def test_a_selection_keeps_the_rule_sets_name(default: RuleSet) -> None:
    assert default.select(["trunk_lean"]).name == default.select(view="side").name == "default"

"""Rule files, the default catalog, verdicts, confidence gating, validation errors and debounce."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.geometry import make_keypoints
from pose_demo.results import Box, Person
from pose_demo.rules import RuleError, RuleSet, RuleTracker, catalog_table
from pose_demo.skeleton import COCO17

# Facing the camera, arms down: torso 100 px (neck (100, 80) to mid-hip (100, 180)), shoulders 60 px.
STANDING_POINTS = {
    "nose": (100, 40),
    "left_eye": (105, 35),
    "right_eye": (95, 35),
    "left_ear": (112, 38),
    "right_ear": (88, 38),
    "left_shoulder": (130, 80),
    "right_shoulder": (70, 80),
    "left_elbow": (135, 130),
    "right_elbow": (65, 130),
    "left_wrist": (138, 175),
    "right_wrist": (62, 175),
    "left_hip": (120, 180),
    "right_hip": (80, 180),
    "left_knee": (120, 260),
    "right_knee": (80, 260),
    "left_ankle": (120, 340),
    "right_ankle": (80, 340),
}
# Side view, facing right, in a deep squat: hips 5 px below the knees.
SQUAT_POINTS = {
    "nose": (150, 60),
    "left_eye": (145, 55),
    "right_eye": (145, 55),
    "left_ear": (130, 58),
    "right_ear": (130, 58),
    "left_shoulder": (122, 100),
    "right_shoulder": (118, 100),
    "left_elbow": (150, 140),
    "right_elbow": (150, 140),
    "left_wrist": (180, 140),
    "right_wrist": (180, 140),
    "left_hip": (62, 190),
    "right_hip": (58, 190),
    "left_knee": (150, 185),
    "right_knee": (150, 185),
    "left_ankle": (110, 280),
    "right_ankle": (110, 280),
}

ISSUE_4_IDS = {
    "measurement": [
        "left_knee_angle", "right_knee_angle", "left_elbow_angle", "right_elbow_angle", "left_hip_angle",
        "right_hip_angle", "left_shoulder_angle", "right_shoulder_angle",
        "shoulder_tilt", "hip_tilt", "head_tilt",
    ],
    "screening": ["trunk_lean", "shoulder_level", "hip_level", "forward_head", "knee_valgus", "squat_depth"],
    "action": [
        "hand_over_shoulder", "hand_over_neck", "hand_over_head", "elbow_over_shoulder", "foot_over_knee",
        "body_axis_tilted", "knees_apart", "feet_apart", "climb_up", "climb_over_fence",
    ],
}  # fmt: skip


def person(points: dict[str, tuple[float, float]], track_id: int | None = None, **changes) -> Person:
    """A person from named points (score 0.9); ``changes`` move points, a third number sets the score."""
    kps = make_keypoints({**points, **{k: v[:2] for k, v in changes.items()}}, score=0.9)
    for name, change in changes.items():
        if len(change) == 3:
            kps[COCO17.index(name), 2] = change[2]
    return Person(Box(0, 0, 300, 400), 0.9, kps, track_id=track_id)


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return RuleSet.load("default")


def verdicts(rules: RuleSet, p: Person, view: str | None = None) -> dict:
    return {v.id: v for v in rules.evaluate(p, view)}


def test_default_catalog_has_every_rule_of_issue_4(default):
    kinds = {r.id: r.kind for r in default.rules}
    for kind, ids in ISSUE_4_IDS.items():
        assert {i: kinds.get(i) for i in ids} == dict.fromkeys(ids, kind)
    shoulder_level = next(r for r in default.rules if r.id == "shoulder_level")
    assert "camera roll" in shoulder_level.note["en"] and "相机" in shoulder_level.note["zh"]
    assert (shoulder_level.thresholds.mild, shoulder_level.thresholds.severe) == (2, 4)


def test_standing_person(default):
    got = verdicts(default, person(STANDING_POINTS))
    assert got["left_knee_angle"].to_dict() == {
        "id": "left_knee_angle",
        "value": 180.0,
        "unit": "deg",
        "level": "ok",
        "triggered": False,
    }
    assert got["left_knee_angle"].joint == (11, 13, 15)
    assert got["trunk_lean"].value == pytest.approx(0.0)
    assert got["shoulder_level"].level == "ok"
    assert got["feet_apart"].value == pytest.approx(0.4)
    assert [v for v in got.values() if v.triggered] == []
    assert all(v.level == "ok" for k, v in got.items() if k not in ("forward_head", "squat_depth"))
    # side-view rules on a person facing the camera are unknown, unless the caller asks for every rule
    assert (got["squat_depth"].level, got["squat_depth"].value) == ("unknown", None)
    assert verdicts(default, person(STANDING_POINTS), view="any")["squat_depth"].value == pytest.approx(90.0)


@pytest.mark.parametrize(("degrees", "level"), [(1.0, "ok"), (3.0, "mild"), (5.0, "severe"), (-3.0, "mild")])
def test_shoulder_level_is_graded_by_tilt(default, degrees, level):
    raised = 80 - 60 * np.tan(np.radians(degrees))
    got = verdicts(default, person(STANDING_POINTS, left_shoulder=(130, raised)))
    assert got["shoulder_level"].value == pytest.approx(degrees)
    assert (got["shoulder_level"].level, got["shoulder_level"].triggered) == (level, level != "ok")
    assert (got["shoulder_tilt"].level, got["shoulder_tilt"].triggered) == ("ok", False)


def test_hand_actions(default):
    one_up = verdicts(default, person(STANDING_POINTS, left_elbow=(150, 60), left_wrist=(150, 20)))
    assert one_up["hand_over_head"].triggered and one_up["hand_over_head"].value == 1
    assert one_up["elbow_over_shoulder"].triggered
    assert one_up["left_shoulder_angle"].value > 90
    both_up = verdicts(default, person(STANDING_POINTS, left_wrist=(150, 20), right_wrist=(50, 20)))
    assert both_up["hand_over_head"].value == 2
    assert not both_up["elbow_over_shoulder"].triggered


def test_confidence_gating(default):
    got = verdicts(default, person(STANDING_POINTS, left_knee=(120, 260, 0.1)))
    assert got["left_knee_angle"].to_dict() == {
        "id": "left_knee_angle",
        "value": None,
        "unit": "deg",
        "level": "unknown",
        "triggered": False,
    }
    assert got["right_knee_angle"].value == pytest.approx(180.0)
    # any(unknown, false) is unknown; any(unknown, true) holds
    hidden_left = person(STANDING_POINTS, left_wrist=(138, 175, 0.1))
    assert verdicts(default, hidden_left)["hand_over_head"].level == "unknown"
    hidden_left_right_up = person(STANDING_POINTS, left_wrist=(138, 175, 0.1), right_wrist=(50, 20))
    assert verdicts(default, hidden_left_right_up)["hand_over_head"].triggered


def test_view_is_estimated_or_given(default):
    squat = person(SQUAT_POINTS)
    got = verdicts(default, squat)
    assert got["shoulder_level"].level == "unknown"  # front-view rule, person seen side-on
    assert got["squat_depth"].triggered
    assert got["squat_depth"].value == pytest.approx(-np.degrees(np.arctan2(5, 90)))
    assert got["trunk_lean"].value > 20  # measured, but not graded: a squat is no standing posture
    assert (got["trunk_lean"].level, got["trunk_lean"].triggered) == ("unknown", False)
    assert got["left_knee_angle"].value < 90
    assert got["shoulder_tilt"].level == "unknown"
    assert verdicts(default, squat, view="any")["shoulder_tilt"].level == "ok"
    assert verdicts(default, squat, view="front")["squat_depth"].level == "unknown"


def test_composite_actions(default):
    squat = verdicts(default, person(SQUAT_POINTS))
    assert not squat["climb_over_fence"].triggered  # both hips bent alike: a squat, not a straddle
    straddle = verdicts(default, person(STANDING_POINTS, left_knee=(150, 150), left_ankle=(190, 200)))
    assert straddle["climb_over_fence"].triggered
    assert straddle["left_hip_angle"].value < 100
    climb = person(
        STANDING_POINTS,
        left_elbow=(140, 60),
        right_elbow=(60, 60),
        left_wrist=(140, 10),
        right_wrist=(60, 10),
        left_knee=(150, 150),
        left_ankle=(160, 230),
    )
    got = verdicts(default, climb)
    assert got["climb_up"].triggered and got["climb_up"].value == 4
    assert got["foot_over_knee"].triggered


def test_select(default):
    chosen = default.select(["trunk_lean", "left_knee_angle"])
    assert chosen.ids == ["trunk_lean", "left_knee_angle"]
    assert [v.id for v in chosen.evaluate(person(STANDING_POINTS))] == ["trunk_lean", "left_knee_angle"]
    side = default.select(view="side")
    assert "forward_head" in side.ids and "shoulder_level" not in side.ids and "left_knee_angle" in side.ids
    with pytest.raises(RuleError, match="unknown rule ids \\['left_toe_angle'\\]"):
        default.select(["left_toe_angle"])


USER_RULES = """
name: my_gym
min_score: 0.5
rules:
  - id: t_pose
    title: {en: T pose, zh: T字姿势}
    view: front
    kind: action
    debounce: {n: 2, m: 3}
    condition:
      all:
        - relative_position: [left_wrist, left_shoulder]
          between: [-0.15, 0.15]
        - relative_position: [right_wrist, right_shoulder]
          between: [-0.15, 0.15]
        - at_least: 2
          of:
            - {joint_angle: [left_shoulder, left_elbow, left_wrist], greater_than: 150}
            - {joint_angle: [right_shoulder, right_elbow, right_wrist], greater_than: 150}
        - symmetry:
            - {joint_angle: [left_hip, left_shoulder, left_elbow]}
            - {joint_angle: [right_hip, right_shoulder, right_elbow]}
          between: [-15, 15]
  - id: wrist_drop
    title: {en: Wrist below elbow}
    kind: screening
    measure: {relative_position: [left_wrist, left_elbow]}
    thresholds: {mild: -0.1, severe: -0.3, direction: low}
"""


def test_user_rule_file_adds_an_action_without_code(tmp_path):
    path = tmp_path / "my_rules.yaml"
    path.write_text(USER_RULES, encoding="utf-8")
    rules = RuleSet.load(path)
    assert (rules.name, rules.ids) == ("my_gym", ["t_pose", "wrist_drop"])
    arms_out = {
        "left_elbow": (180, 82),
        "left_wrist": (230, 84),
        "right_elbow": (20, 82),
        "right_wrist": (-30, 84),
    }
    t_pose = person(STANDING_POINTS, **arms_out)
    got = verdicts(rules, t_pose)
    assert got["t_pose"].triggered and got["t_pose"].value == 4
    assert got["wrist_drop"].level == "ok"
    assert got["t_pose"].title == {"en": "T pose", "zh": "T字姿势"}
    standing = verdicts(rules, person(STANDING_POINTS))
    assert not standing["t_pose"].triggered and standing["t_pose"].value == 2
    assert standing["wrist_drop"].value == pytest.approx(-0.45)
    assert standing["wrist_drop"].level == "severe"
    assert standing["wrist_drop"].title == {"en": "Wrist below elbow", "zh": "Wrist below elbow"}
    # min_score 0.5 from the file: a 0.4 wrist is not used
    unsure = person(STANDING_POINTS, left_wrist=(138, 175, 0.4))
    assert verdicts(rules, unsure)["wrist_drop"].level == "unknown"
    assert "t_pose" in catalog_table(path)


@pytest.mark.parametrize(
    ("rule", "where", "problem"),
    [
        (
            "  - id: knee\n    title: {en: Knee}\n    kind: measurement\n"
            "    measure: {joint_angle: [left_hip, left_knee, left_foot]}\n",
            "rule 'knee', field 'measure.joint_angle'",
            "unknown keypoint 'left_foot'",
        ),
        (
            "  - id: lean\n    title: {en: Lean}\n    kind: screening\n"
            "    measure: {segment_angle: [mid_hip, neck], reference: vertical}\n"
            "    thresholds: {mild: 10}\n",
            "rule 'lean', field 'thresholds.severe'",
            "missing threshold",
        ),
        (
            "  - id: lean\n    title: {en: Lean}\n    kind: screening\n"
            "    measure: {segment_angle: [mid_hip, neck], reference: vertical}\n",
            "rule 'lean', field 'thresholds'",
            "missing",
        ),
        (
            "  - id: up\n    title: {en: Up}\n    kind: action\n"
            "    condition: {one_of: [{above: [left_wrist, head]}]}\n",
            "rule 'up', field 'condition'",
            "unknown key 'one_of': a condition is a combinator (all, any, at_least",
        ),
        (
            "  - id: up\n    title: {en: Up}\n    kind: action\n"
            "    condition: {at_least: 3, of: [{above: [left_wrist, head]}, {above: [right_wrist, head]}]}\n",
            "rule 'up', field 'condition.at_least'",
            "expected a whole number from 1 to 2, got 3",
        ),
        (
            "  - id: up\n    title: {en: Up}\n    kind: action\n"
            "    condition: {any: [{above: [left_wrist, head]}, {above: [right_wrst, head]}]}\n",
            "rule 'up', field 'condition.any[1].above'",
            "unknown keypoint 'right_wrst'",
        ),
        (
            "  - id: knee\n    title: {en: Knee}\n    kind: measurement\n"
            "    measure: {knee_angle: [left_hip, left_knee, left_ankle]}\n",
            "rule 'knee', field 'measure'",
            "unknown primitive 'knee_angle'",
        ),
        (
            "  - id: knee\n    title: {en: Knee}\n    view: top\n    kind: measurement\n"
            "    measure: {joint_angle: [left_hip, left_knee, left_ankle]}\n",
            "rule 'knee', field 'view'",
            "The view 'top' is not available: choose one of front, side, any.",
        ),
        (
            "  - id: lean\n    title: {en: Lean}\n    when: sitting\n    kind: screening\n"
            "    measure: {segment_angle: [mid_hip, neck], reference: vertical}\n"
            "    thresholds: {mild: 10, severe: 20}\n",
            "rule 'lean', field 'when'",
            "The when 'sitting' is not available: choose one of standing_still.",
        ),
        (
            "  - id: knee\n    title: {en: Knee}\n    when: standing_still\n    kind: measurement\n"
            "    measure: {joint_angle: [left_hip, left_knee, left_ankle]}\n",
            "rule 'knee', field 'when'",
            "measurements are always given; 'when' applies to screening and action rules",
        ),
        (
            "  - id: bent\n    title: {en: Bent}\n    kind: action\n"
            "    condition: {joint_angle: [left_hip, left_knee, left_ankle]}\n",
            "rule 'bent', field 'condition'",
            "needs exactly one comparison of greater_than, less_than, between, outside",
        ),
        (
            "  - id: tilt\n    title: {en: Tilt}\n    kind: screening\n"
            "    measure: {segment_angle: [right_hip, left_hip]}\n    thresholds: {mild: 4, severe: 2}\n",
            "rule 'tilt', field 'thresholds.severe'",
            "must be at least mild (4.0)",
        ),
        (
            "  - id: up\n    title: {en: Up}\n    kind: action\n    debounce: {n: 4, m: 3}\n"
            "    condition: {above: [left_wrist, head]}\n",
            "rule 'up', field 'debounce'",
            "1 <= n <= m",
        ),
        (
            "  - id: up\n    kind: action\n    condition: {above: [left_wrist, head]}\n",
            "rule 'up', field 'title'",
            "missing",
        ),
        (
            "  - title: {en: Up}\n    kind: action\n    condition: {above: [left_wrist, head]}\n",
            "rule '#1', field 'id'",
            "expected a lower_case_name",
        ),
        (
            "  - id: up\n    title: {en: Up}\n    kind: gesture\n"
            "    condition: {above: [left_wrist, head]}\n",
            "rule 'up', field 'kind'",
            "The kind 'gesture' is not available: choose one of measurement, screening, action.",
        ),
    ],
)
def test_validation_errors_name_file_rule_and_field(tmp_path, rule, where, problem):
    path = tmp_path / "bad_rules.yaml"
    path.write_text("rules:\n" + rule, encoding="utf-8")
    with pytest.raises(RuleError) as error:
        RuleSet.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: {where}: "), message
    assert problem in message


def test_file_level_errors(tmp_path):
    duplicate = tmp_path / "twice.yaml"
    rule = "  - {id: up, title: {en: Up}, kind: action, condition: {above: [left_wrist, head]}}\n"
    duplicate.write_text("rules:\n" + rule + rule, encoding="utf-8")
    with pytest.raises(RuleError, match=r"twice\.yaml: rule 'up', field 'id': duplicate rule id"):
        RuleSet.load(duplicate)
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"broken\.yaml: not valid YAML"):
        RuleSet.load(broken)
    with pytest.raises(
        RuleError, match=r"no_such_rules: no such rule file or built-in catalog \(built-in: default"
    ):
        RuleSet.load("no_such_rules")


def track(rules: RuleTracker, track_id: int | None, **changes) -> dict:
    return {v.id: v for v in rules.evaluate(person(STANDING_POINTS, track_id=track_id, **changes))}


def test_debounce_n_of_last_m_frames_per_track(default):
    tracker = RuleTracker(default.select(["hand_over_head", "left_knee_angle"]))  # default debounce: 3 of 5
    up = {"left_wrist": (150, 20)}
    frames = [up, up, {}, up, {}, {}, {}, up]
    got = [track(tracker, 1, **f)["hand_over_head"].triggered for f in frames]
    assert got == [False, False, False, True, True, False, False, False]
    # another track has its own history; a person without a track id gets the raw verdict
    assert [track(tracker, 2, **up)["hand_over_head"].triggered for _ in range(3)] == [False, False, True]
    assert track(tracker, None, **up)["hand_over_head"].triggered
    assert track(tracker, 2, **up)["left_knee_angle"].value == pytest.approx(180)  # measurements pass through
    tracker.forget([2])
    assert not track(tracker, 2, **up)["hand_over_head"].triggered  # history dropped: starts again


def test_debounce_grades_screening_levels(default):
    tracker = RuleTracker(default.select(["shoulder_level"]))
    tilts = [5.0, 5.0, 3.0, 0.0, 5.0, 0.0, 0.0]  # severe, severe, mild, ok, severe, ok, ok

    def frame(degrees: float):
        v = track(tracker, 7, left_shoulder=(130, 80 - 60 * np.tan(np.radians(degrees))))["shoulder_level"]
        return v.level, v.triggered

    got = [frame(t) for t in tilts]
    assert got == [
        ("ok", False),
        ("ok", False),
        ("mild", True),  # 3 of the last 5 at least mild
        ("mild", True),
        ("severe", True),  # 3 of the last 5 severe
        ("mild", True),
        ("ok", False),
    ]
    hidden = track(tracker, 8, left_shoulder=(130, 80, 0.1))["shoulder_level"]
    assert (hidden.level, hidden.triggered) == ("unknown", False)


def test_catalog_table_lists_every_rule(default):
    lines = catalog_table().splitlines()
    assert lines[0].split() == ["id", "kind", "view", "unit", "en", "zh"]
    assert [line.split()[0] for line in lines[1:]] == default.ids
    assert lines[1].split()[:4] == ["left_knee_angle", "measurement", "any", "deg"]


# Issue 10, item 2: rule files cannot expand (aliases), nor be too large, too many or too deep.
def alias_bomb(depth: int) -> str:
    """A small rule file whose ``any:`` aliases expand to 10 ** depth tests (a 488-byte one hung the app)."""
    lines = [
        "rules:",
        "  - id: bomb",
        "    title: {en: Bomb}",
        "    kind: action",
        "    condition:",
        "      any:",
    ]
    lines.append("        - &a0 {above: [left_wrist, head]}")
    for i in range(1, depth + 1):
        lines.append(f"        - &a{i} {{any: [{', '.join([f'*a{i - 1}'] * 10)}]}}")
    return "\n".join(lines) + "\n"


def rule_line(i: int) -> str:
    return f"  - {{id: r{i}, title: {{en: R}}, kind: action, condition: {{above: [left_wrist, head]}}}}\n"


def load_text(tmp_path, text: str) -> RuleSet:
    path = tmp_path / "my_rules.yaml"
    path.write_text(text, encoding="utf-8")
    return RuleSet.load(path)


def test_yaml_aliases_are_refused_with_line_and_column(tmp_path):
    with pytest.raises(
        RuleError,
        match=r"my_rules\.yaml: line 7, column 11: YAML anchors and aliases \(&a0\) are not allowed",
    ):
        load_text(tmp_path, alias_bomb(4))  # 10,000 tests from 500 bytes (7 deep took minutes and GBs)
    alias_only = "rules:\n  - {id: up, title: {en: Up}, kind: action, condition: *up}\n"
    with pytest.raises(
        RuleError, match=r"line 2, column 56: YAML anchors and aliases \(\*up\) are not allowed"
    ):
        load_text(tmp_path, alias_only)


def test_file_size_rule_count_and_nesting_are_bounded(tmp_path):
    padding = "# " + "x" * 300_000 + "\n"
    with pytest.raises(RuleError, match=r"my_rules\.yaml: the file has 30\d{4} bytes; the limit is 262144"):
        load_text(tmp_path, padding + "rules:\n" + rule_line(0))
    with pytest.raises(RuleError, match=r"my_rules\.yaml: field 'rules': 501 rules; the limit is 500"):
        load_text(tmp_path, "rules:\n" + "".join(rule_line(i) for i in range(501)))
    assert len(load_text(tmp_path, "rules:\n" + "".join(rule_line(i) for i in range(500))).ids) == 500
    test = "{above: [left_wrist, head]}"

    def any_rule(i: int, n: int) -> str:
        tests = ", ".join([test] * n)
        return f"  - {{id: big{i}, title: {{en: Big}}, kind: action, condition: {{any: [{tests}]}}}}\n"

    with pytest.raises(
        RuleError, match=r"rule 'big0', field 'condition': 101 measures; the limit is 100 per rule"
    ):
        load_text(tmp_path, "rules:\n" + any_rule(0, 101))
    with pytest.raises(RuleError, match=r"field 'rules': 1001 measures in all; the limit is 1000 per file"):
        load_text(tmp_path, "rules:\n" + "".join(any_rule(i, 100) for i in range(10)) + rule_line(0))
    assert len(load_text(tmp_path, "rules:\n" + "".join(any_rule(i, 100) for i in range(10))).ids) == 10
    deep = "{any: [" * 9 + test + "]}" * 9
    with pytest.raises(
        RuleError, match=r"rule 'deep', field 'condition(\.any\[0\]){8}': nested 9 deep; the limit is 8"
    ):
        load_text(
            tmp_path, f"rules:\n  - {{id: deep, title: {{en: Deep}}, kind: action, condition: {deep}}}\n"
        )
    yaml_deep = "rules: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(RuleError, match=r"line 1, column \d+: YAML nested more than 64 deep"):
        load_text(tmp_path, yaml_deep)


def test_yaml_syntax_errors_keep_line_and_column(tmp_path):
    with pytest.raises(RuleError, match=r"my_rules\.yaml: not valid YAML: line 3, column 1: "):
        load_text(tmp_path, "rules:\n  - [\n")


# Issue 10, item 5: measures whose points are the same point are refused when the file loads.
@pytest.mark.parametrize(
    ("spec", "field", "problem"),
    [
        (
            "measure: {joint_angle: [left_knee, left_knee, left_ankle]}",
            "measure.joint_angle",
            "'left_knee' twice",
        ),
        (
            "measure: {joint_angle: [left_hip, left_knee, left_knee]}",
            "measure.joint_angle",
            "'left_knee' twice",
        ),
        (
            "measure: {joint_angle: [left_hip, left_knee, left_hip]}",
            "measure.joint_angle",
            "'left_hip' twice",
        ),
        ("measure: {segment_angle: [neck, neck]}", "measure.segment_angle", "'neck' twice"),
        ("measure: {distance_ratio: [left_knee, left_knee], axis: x}", "measure.distance_ratio", "twice"),
        ("measure: {relative_position: [nose, nose]}", "measure.relative_position", "'nose' twice"),
        (
            "measure: {segment_angle: [nose, head]}",
            "measure.segment_angle",
            "'nose' and 'head' can be the same keypoint",
        ),
        (
            "measure: {distance_ratio: [ear, head]}",
            "measure.distance_ratio",
            "'ear' and 'head' can be the same",
        ),
        (
            "measure: {symmetry: [{joint_angle: [left_hip, left_knee, left_ankle]}, "
            "{joint_angle: [left_hip, left_knee, left_ankle]}]}",
            "measure.symmetry",
            "compares a measure with itself",
        ),
        (
            "measure: {symmetry: [{joint_angle: [left_hip, left_knee, left_ankle]}, "
            "{joint_angle: [right_hip, right_hip, right_ankle]}]}",
            "measure.symmetry[1].joint_angle",
            "'right_hip' twice",
        ),
        (
            "condition: {any: [{above: [left_wrist, head]}, {below: [left_wrist, left_wrist]}]}",
            "condition.any[1].below",
            "twice",
        ),
    ],
)
def test_degenerate_measures_are_refused_with_the_field(tmp_path, spec, field, problem):
    kind = "measurement" if spec.startswith("measure") else "action"
    with pytest.raises(RuleError) as error:
        load_text(tmp_path, f"rules:\n  - id: odd\n    title: {{en: Odd}}\n    kind: {kind}\n    {spec}\n")
    message = str(error.value)
    assert f"my_rules.yaml: rule 'odd', field '{field}': " in message, message
    assert problem in message, message


def test_virtual_points_made_of_a_point_are_allowed_with_it(tmp_path):
    rules = load_text(
        tmp_path,
        "rules:\n  - {id: half, title: {en: Half}, kind: measurement,"
        " measure: {segment_angle: [neck, left_shoulder]}}\n",
    )
    assert verdicts(rules, person(STANDING_POINTS))["half"].value == pytest.approx(0)
    # shoulders on top of each other: the neck is the shoulder, no angle to measure
    both = person(STANDING_POINTS, right_shoulder=(130, 80))
    assert verdicts(rules, both)["half"].level == "unknown"

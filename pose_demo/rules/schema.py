"""Rule files: YAML data checked and turned into small frozen dataclasses (evaluation is in ``ruleset``).

Every mistake raises ``RuleError`` naming the file, the rule and the field, e.g.
``my_rules.yaml: rule 'arms_up', field 'condition.any[1].above': unknown keypoint 'left_hnd' ...``.
Rule files come from users: they are bounded (``MAX_*`` below) and may not use YAML anchors or aliases,
so a small file cannot expand into a huge one. The format is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pose_demo.checks import check_choice, check_number
from pose_demo.geometry import (
    POINT_NAMES,
    VIRTUAL_POINTS,
    point_indices,
)
from pose_demo.i18n import Message, UserError
from pose_demo.results import MIN_KEYPOINT_SCORE

# primitive -> number of points; symmetry takes two measures instead of points
PRIMITIVES = {
    "joint_angle": 3,
    "segment_angle": 2,
    "relative_position": 2,
    "distance_ratio": 2,
    "symmetry": 2,
}
# primitive -> (option name, allowed values, default)
OPTIONS: dict[str, tuple[str, tuple[str | None, ...], str | None]] = {
    "segment_angle": ("reference", ("horizontal", "vertical"), "horizontal"),
    "relative_position": ("axis", ("y", "x", "forward"), "y"),
    "distance_ratio": ("axis", (None, "x", "y"), None),
}
POSITIONS = ("above", "below")
COMPARISONS = ("greater_than", "less_than", "between", "outside")
COMBINATORS = ("all", "any", "at_least")
KINDS = ("measurement", "screening", "action")  # and "classifier" (CLASSIFIER_RULE_KEYS), read apart
VIEWS = ("front", "side", "any")
CONTEXTS = ("standing_still",)  # a rule's "when": the situations it is meant for
DIRECTIONS = ("both", "high", "low")
COMMON_RULE_KEYS = ("id", "title", "view", "when", "kind", "note")  # every kind of rule
RULE_KEYS = (
    *COMMON_RULE_KEYS,
    "measure",
    "thresholds",
    "condition",
    "debounce",
    "min_score",
)
FILE_KEYS = ("name", "min_score", "debounce", "rules")
# A classifier rule: a trained classifier (pose_demo.learn) flags one of its classes.
CLASSIFIER_RULE_KEYS = (*COMMON_RULE_KEYS, "model", "flag", "threshold", "debounce")
# model text of a rule file -> the classifier (pose_demo.learn.Classifier); raises ValueError saying why not
ClassifierSource = Callable[[str], Any]
_CONDITION_KEYS = (
    *COMBINATORS,
    "of",
    *POSITIONS,
    "margin",
    *PRIMITIVES,
    *(o for o, _, _ in OPTIONS.values()),
    *COMPARISONS,
)
_ID = re.compile(r"[a-z][a-z0-9_]*")
# Where.kind -> the message of a mistake in one item of a file
_ITEM_KEYS = {"rule": "error.rule.in_rule", "exercise": "error.rule.in_exercise"}

# Limits on a rule file (the built-in catalog: 9 KB, 27 rules, 43 measures, at most 8 in a rule, 2 levels).
MAX_FILE_BYTES = 256 * 1024  # checked on the bytes, before parsing
MAX_YAML_DEPTH = 64  # nested YAML collections (deeper ones would exhaust Python's stack)
MAX_RULES = 500
MAX_RULE_MEASURES = 100  # primitives and position tests in one rule (symmetry counts its two measures)
MAX_FILE_MEASURES = 1000  # ... in the whole file: evaluating a person stays under about 0.1 s
MAX_DEPTH = 8  # combinators (all / any / at_least) nested in one condition


class RuleError(UserError, ValueError):
    """A rule file that cannot be used; the message names the file, rule and field."""


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that rule files do not accept (anchors and aliases, deep nesting); ``message`` says why."""

    def __init__(self, message: Message, mark: yaml.Mark) -> None:
        super().__init__(problem=message.text(), problem_mark=mark)
        self.message = message


class _RuleFileLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without anchors and aliases (nothing expands) and with bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if event.anchor is not None:
            sigil = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise _Refused(
                Message("error.rule.yaml_anchor", {"anchor": f"{sigil}{event.anchor}"}), event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(Message("error.rule.yaml_depth", {"limit": MAX_YAML_DEPTH}), event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_error(source: str, e: yaml.YAMLError) -> RuleError:
    """The error with its line and column first."""
    mark = getattr(e, "problem_mark", None)
    if not isinstance(e, yaml.MarkedYAMLError) or mark is None:
        return RuleError("error.rule.yaml", file=source, reason=e)
    line, column = mark.line + 1, mark.column + 1
    if isinstance(e, _Refused):
        return RuleError("error.rule.yaml_refused", file=source, line=line, column=column, problem=e.message)
    context = f" ({e.context})" if e.context else ""
    return RuleError(
        "error.rule.yaml_at", file=source, line=line, column=column, problem=e.problem, context=context
    )


def read_rule_file(path: Path) -> Any:
    """The YAML data of a rule file, at most ``MAX_FILE_BYTES`` long and without anchors or aliases."""
    with path.open("rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        size = path.stat().st_size
        raise RuleError(
            "error.rule.file_too_big", file=path, size=size, limit=MAX_FILE_BYTES, kib=MAX_FILE_BYTES // 1024
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RuleError("error.rule.not_utf8", file=path, reason=e) from e
    try:
        return yaml.load(text, Loader=_RuleFileLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as e:
        raise _yaml_error(str(path), e) from e


@dataclass(frozen=True)
class Measure:
    """One primitive applied to named points (or, for ``symmetry``, to two measures)."""

    primitive: str
    points: tuple[str, ...] = ()
    option: str | None = None  # reference of segment_angle, axis of relative_position / distance_ratio
    parts: tuple[Measure, ...] = ()

    @property
    def unit(self) -> str:
        if self.primitive == "symmetry":
            return self.parts[0].unit
        return "deg" if self.primitive in ("joint_angle", "segment_angle") else "body"

    @property
    def keypoints(self) -> tuple[int, ...]:
        names = self.points + (("nose", "ear") if self.option == "forward" else ())
        indices = [i for n in names for i in point_indices(n)] + [i for p in self.parts for i in p.keypoints]
        return tuple(dict.fromkeys(indices))


@dataclass(frozen=True)
class Test:
    """A measure compared with bounds: ``greater_than`` / ``less_than`` use ``bounds[0]``."""

    measure: Measure
    op: str
    bounds: tuple[float, ...]


@dataclass(frozen=True)
class Combinator:
    """Holds when at least ``n`` of its items hold (``all``: n = len(items), ``any``: n = 1)."""

    mode: str
    n: int
    items: tuple[Condition, ...]


Condition = Test | Combinator


@dataclass(frozen=True)
class Thresholds:
    """Severity grades: ``both`` grades |value|, ``high`` large values, ``low`` small values."""

    mild: float
    severe: float
    direction: str = "both"


@dataclass(frozen=True)
class ClassifierRule:
    """A trained classifier used as a rule: its value is the probability of class ``flag``, triggered from
    ``threshold``. ``model``: the file as the rule file names it."""

    model: str
    flag: str
    threshold: float
    classifier: Any = field(compare=False, repr=False)  # pose_demo.learn.Classifier


@dataclass(frozen=True)
class Rule:
    id: str
    title: dict[str, str]
    view: str
    kind: str
    measure: Measure | None = None
    thresholds: Thresholds | None = None
    condition: Condition | None = None
    debounce: tuple[int, int] | None = None  # (n, m): holds in n of the last m frames
    min_score: float = MIN_KEYPOINT_SCORE
    note: Mapping[str, str] = field(default_factory=dict)  # by language (en, zh); empty: none
    when: str | None = None  # a context of CONTEXTS: otherwise the verdict is unknown (its value is kept)
    classifier: ClassifierRule | None = None  # kind "classifier"

    @property
    def unit(self) -> str:
        if self.measure is not None:
            return self.measure.unit
        return self.condition.measure.unit if isinstance(self.condition, Test) else ""

    @property
    def keypoints(self) -> tuple[int, ...]:
        if self.measure is not None:
            return self.measure.keypoints
        return tuple(dict.fromkeys(_condition_keypoints(self.condition)))

    @property
    def joint(self) -> tuple[int, int, int] | None:
        """(a, vertex, c) keypoint indices when the rule measures a joint angle between real keypoints."""
        m = self.measure
        if m is None or m.primitive != "joint_angle" or any(n in VIRTUAL_POINTS for n in m.points):
            return None
        a, vertex, c = m.keypoints
        return a, vertex, c


def _size(item: Measure | Condition) -> int:
    """The number of primitives and position tests in a measure or a condition."""
    if isinstance(item, Measure):
        return sum(_size(p) for p in item.parts) if item.primitive == "symmetry" else 1
    if isinstance(item, Test):
        return _size(item.measure)
    return sum(_size(i) for i in item.items)


def _condition_keypoints(condition: Condition | None) -> list[int]:
    if isinstance(condition, Test):
        return list(condition.measure.keypoints)
    return [i for item in condition.items for i in _condition_keypoints(item)] if condition else []


@dataclass(frozen=True)
class Where:
    """Where a value came from (the file, and the rule or exercise being read), to build error messages;
    its methods check a value and name the file, the item and the field of a mistake."""

    source: str
    item: str = ""  # the id of the rule (or exercise) being read
    kind: str = "rule"
    error_type: type[RuleError] = RuleError

    def error(self, field: str, key: str, /, **params: Any) -> RuleError:
        """The error of ``field``: the catalog message ``key`` with ``params``, after the file and item."""
        problem = Message(key, params)
        if not self.item:
            return self.error_type("error.rule.at_field", file=self.source, field=field, problem=problem)
        return self.error_type(
            _ITEM_KEYS[self.kind], file=self.source, item=self.item, field=field, problem=problem
        )

    def mapping(self, field: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(field, "error.rule.not_mapping", type=type(value).__name__)
        for key in value:
            if key not in allowed:
                raise self.error(field, "error.rule.unknown_key", name=key, allowed=", ".join(allowed))
        return value

    def number(self, field: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
        return check_number(
            field, value, low, high, error=lambda key, **params: self.error(field, key, **params)
        )

    def choice(self, field: str, value: Any, allowed: tuple[str | None, ...]) -> Any:
        return check_choice(
            field, value, allowed, error=lambda key, **params: self.error(field, key, **params)
        )


def _both(names: tuple[str, ...]) -> Message | str:
    """One field name, or two joined by "and" in the user's language."""
    return Message("error.rule.and", {"first": names[0], "second": names[1]}) if len(names) == 2 else names[0]


def _candidates(name: str) -> tuple[str, ...]:
    """The keypoints a point can be: itself, or any of those a "best" virtual point picks from."""
    how, parts = VIRTUAL_POINTS.get(name, ("", ()))
    return parts if how == "best" else (name,)


def _same_point(a: str, b: str) -> Message | None:
    """Why points a and b can be the same point, or None when they cannot."""
    if a == b:
        return Message("error.rule.point_twice", {"point": a})
    if not set(_candidates(a)) & set(_candidates(b)):
        return None
    best = a if a in VIRTUAL_POINTS else b
    picks = ", ".join(_candidates(best))
    return Message("error.rule.maybe_same_point", {"a": a, "b": b, "best": best, "picks": picks})


def _points(where: Where, field: str, value: Any, count: int) -> tuple[str, ...]:
    """``count`` known keypoint names, no two of which can be the same point."""
    if not isinstance(value, list) or len(value) != count:
        raise where.error(field, "error.rule.points_list", count=count, value=value)
    for name in value:
        if name not in POINT_NAMES:
            raise where.error(field, "error.rule.unknown_point", name=name, known=", ".join(POINT_NAMES))
    for i, a in enumerate(value):
        for b in value[i + 1 :]:
            if reason := _same_point(a, b):
                raise where.error(field, "error.rule.same_points", reason=reason, count=count)
    return tuple(value)


def parse_measure(where: Where, field: str, spec: Any) -> Measure:
    """A mapping with exactly one primitive key and, for some primitives, its option."""
    options = tuple(dict.fromkeys(o for o, _, _ in OPTIONS.values()))
    if not isinstance(spec, dict):
        raise where.error(field, "error.rule.measure_mapping", value=spec)
    for key in spec:
        if key not in PRIMITIVES and key not in options:
            raise where.error(
                field,
                "error.rule.unknown_primitive",
                name=key,
                primitives=", ".join(PRIMITIVES),
                options=", ".join(options),
            )
    found = [k for k in spec if k in PRIMITIVES]
    if len(found) != 1:
        raise where.error(field, "error.rule.one_primitive", primitives=", ".join(PRIMITIVES), found=found)
    primitive = found[0]
    args = spec[primitive]
    field = f"{field}.{primitive}"
    option_name, allowed, default = OPTIONS.get(primitive, ("", (), None))
    for name in options:
        if name in spec and name != option_name:
            raise where.error(field, "error.rule.no_option", primitive=primitive, option=name)
    option = (
        where.choice(f"{field}.{option_name}", spec.get(option_name, default), allowed) if allowed else None
    )
    if primitive != "symmetry":
        return Measure(primitive, _points(where, field, args, PRIMITIVES[primitive]), option)
    if not isinstance(args, list) or len(args) != 2:
        raise where.error(field, "error.rule.symmetry_list")
    parts = tuple(parse_measure(where, f"{field}[{i}]", a) for i, a in enumerate(args))
    if parts[0].unit != parts[1].unit:
        raise where.error(field, "error.rule.units_differ", a=parts[0].unit, b=parts[1].unit)
    if parts[0] == parts[1]:
        raise where.error(field, "error.rule.same_measure")
    return Measure(primitive, parts=parts)


def _condition(where: Where, field: str, spec: Any, depth: int = 0) -> Condition:
    """A combinator (all / any / at_least + of), a position test (above / below) or a compared primitive.

    ``depth``: the number of combinators this condition is in.
    """
    if not isinstance(spec, dict):
        raise where.error(field, "error.rule.condition_mapping", value=spec)
    for key in spec:
        if key not in _CONDITION_KEYS:
            raise where.error(
                field,
                "error.rule.condition_key",
                name=key,
                primitives=", ".join(PRIMITIVES),
                comparisons=", ".join(COMPARISONS),
            )
    modes = [k for k in spec if k in COMBINATORS]
    if modes:
        return _combinator(where, field, spec, modes, depth + 1)
    positions = [k for k in spec if k in POSITIONS]
    if positions:
        spec = where.mapping(field, spec, (positions[0], "margin"))
        a, b = _points(where, f"{field}.{positions[0]}", spec[positions[0]], 2)
        margin = where.number(f"{field}.margin", spec.get("margin", 0.0))
        pair = (a, b) if positions[0] == "above" else (b, a)
        return Test(Measure("relative_position", pair, "y"), "greater_than", (margin,))
    ops = [k for k in spec if k in COMPARISONS]
    if len(ops) != 1:
        raise where.error(field, "error.rule.one_comparison", comparisons=", ".join(COMPARISONS), found=ops)
    measure = parse_measure(where, field, {k: v for k, v in spec.items() if k != ops[0]})
    value = spec[ops[0]]
    if ops[0] in ("between", "outside"):
        if not isinstance(value, list) or len(value) != 2:
            raise where.error(f"{field}.{ops[0]}", "error.rule.low_high", value=value)
        bounds = tuple(where.number(f"{field}.{ops[0]}", v) for v in value)
        if bounds[0] > bounds[1]:
            raise where.error(f"{field}.{ops[0]}", "error.rule.low_above_high", low=bounds[0], high=bounds[1])
    else:
        bounds = (where.number(f"{field}.{ops[0]}", value),)
    return Test(measure, ops[0], bounds)


def _combinator(where: Where, field: str, spec: dict[str, Any], modes: list[str], depth: int) -> Combinator:
    if depth > MAX_DEPTH:
        raise where.error(field, "error.rule.too_deep", depth=depth, limit=MAX_DEPTH)
    mode = modes[0]
    if mode == "at_least":
        spec = where.mapping(field, spec, ("at_least", "of"))
        n, items, items_field = spec["at_least"], spec.get("of"), f"{field}.of"
    else:
        spec = where.mapping(field, spec, (mode,))
        n, items, items_field = None, spec[mode], f"{field}.{mode}"
    if not isinstance(items, list) or not items:
        raise where.error(items_field, "error.rule.no_conditions", mode=mode, value=items)
    if mode == "at_least" and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(items)):
        raise where.error(f"{field}.at_least", "error.rule.at_least", count=len(items), value=n)
    parsed = tuple(_condition(where, f"{items_field}[{i}]", item, depth) for i, item in enumerate(items))
    return Combinator(mode, {"all": len(parsed), "any": 1}.get(mode, n), parsed)


def _thresholds(where: Where, spec: Any) -> Thresholds:
    spec = where.mapping("thresholds", spec, ("mild", "severe", "direction"))
    for key in ("mild", "severe"):
        if key not in spec:
            raise where.error(f"thresholds.{key}", "error.rule.missing_threshold")
    mild, severe = (where.number(f"thresholds.{k}", spec[k]) for k in ("mild", "severe"))
    direction = where.choice("thresholds.direction", spec.get("direction", "both"), DIRECTIONS)
    if (severe < mild) if direction != "low" else (severe > mild):
        key = "error.rule.severe_at_most" if direction == "low" else "error.rule.severe_at_least"
        raise where.error("thresholds.severe", key, mild=mild, direction=direction)
    return Thresholds(mild, severe, direction)


def _debounce(where: Where, field: str, spec: Any) -> tuple[int, int]:
    spec = where.mapping(field, spec, ("n", "m"))
    n, m = spec.get("n"), spec.get("m")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, m)) or not 1 <= n <= m:
        raise where.error(field, "error.rule.debounce", n=n, m=m)
    return n, m


def _min_score(where: Where, spec: Any) -> float:
    value = where.number("min_score", spec)
    if not 0.0 <= value <= 1.0:
        raise where.error("min_score", "error.rule.min_score", value=value)
    return value


def _note(where: Where, note: Any) -> dict[str, str]:
    """A rule's note: text (English), or ``{en: ..., zh: ...}``; ``{}`` for none."""
    if isinstance(note, str):
        return {"en": note, "zh": note} if note else {}
    note = where.mapping("note", note, ("en", "zh"))
    if not all(isinstance(note.get(k, ""), str) for k in ("en", "zh")) or not note.get("en"):
        raise where.error("note", "error.rule.note_text")
    return {"en": note["en"], "zh": note.get("zh") or note["en"]}


def _classifier_rule(
    where: Where, spec: dict[str, Any], debounce: tuple[int, int] | None, classifiers: ClassifierSource | None
) -> Rule:
    """A rule of kind classifier: ``model`` (a classifier file), ``flag`` (one of its classes) and an
    optional ``threshold`` (default: the classifier's own)."""
    spec = where.mapping("rule", spec, CLASSIFIER_RULE_KEYS)
    if not isinstance(spec.get("id"), str) or not _ID.fullmatch(spec["id"]):
        raise where.error("id", "error.rule.bad_id", value=spec.get("id"))
    title = where.mapping("title", spec.get("title"), ("en", "zh"))
    if not all(isinstance(title.get(k, ""), str) for k in ("en", "zh")) or not title.get("en"):
        raise where.error("title", "error.rule.title")
    for key in ("model", "flag"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise where.error(key, "error.rule.classifier_missing")
    if classifiers is None:
        raise where.error("model", "error.rule.classifier_no_file")
    try:
        classifier = classifiers(spec["model"])
    except ValueError as e:
        raise where.error("model", "error.rule.classifier_model", problem=e) from None
    if spec["flag"] not in classifier.classes:
        raise where.error(
            "flag",
            "error.rule.not_a_class",
            flag=spec["flag"],
            model=spec["model"],
            classes=", ".join(classifier.classes),
        )
    threshold = classifier.threshold
    if "threshold" in spec:
        threshold = where.number("threshold", spec["threshold"], 0.0, 1.0)
    note = _note(where, spec.get("note", ""))
    return Rule(
        id=spec["id"],
        title={"en": title["en"], "zh": title.get("zh") or title["en"]},
        view=where.choice("view", spec.get("view", "any"), VIEWS),
        kind="classifier",
        debounce=_debounce(where, "debounce", spec["debounce"]) if "debounce" in spec else debounce,
        note=note,
        when=where.choice("when", spec["when"], CONTEXTS) if "when" in spec else None,
        classifier=ClassifierRule(spec["model"], spec["flag"], threshold, classifier),
    )


def _rule(
    source: str,
    index: int,
    spec: Any,
    min_score: float,
    debounce: tuple[int, int] | None,
    classifiers: ClassifierSource | None = None,
) -> Rule:
    rule_id = spec.get("id") if isinstance(spec, dict) else None
    where = Where(source, rule_id if isinstance(rule_id, str) else f"#{index + 1}")
    if isinstance(spec, dict) and spec.get("kind") == "classifier":
        return _classifier_rule(where, spec, debounce, classifiers)
    spec = where.mapping("rule", spec, RULE_KEYS)
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        raise where.error("id", "error.rule.bad_id", value=rule_id)
    if "title" not in spec:
        raise where.error("title", "error.rule.title_missing")
    title = where.mapping("title", spec["title"], ("en", "zh"))
    if not all(isinstance(title.get(k, ""), str) for k in ("en", "zh")) or not title.get("en"):
        raise where.error("title", "error.rule.title")
    kind = where.choice("kind", spec.get("kind"), KINDS)
    view = where.choice("view", spec.get("view", "any"), VIEWS)
    note = _note(where, spec.get("note", ""))
    needed = {"measurement": ("measure",), "action": ("condition",)}.get(kind) or (
        ("condition",) if "condition" in spec else ("measure", "thresholds")
    )
    for key in needed:
        if key not in spec:
            raise where.error(key, "error.rule.needs", kind=kind, needed=_both(needed))
    for key in ("measure", "thresholds", "condition"):
        if key in spec and key not in needed:
            raise where.error(key, "error.rule.not_used", kind=kind, needed=_both(needed))
    if kind == "measurement" and "debounce" in spec:
        raise where.error("debounce", "error.rule.no_debounce")
    if kind == "measurement" and "when" in spec:
        raise where.error("when", "error.rule.no_when")
    when = where.choice("when", spec["when"], CONTEXTS) if "when" in spec else None
    if "debounce" in spec:
        debounce = _debounce(where, "debounce", spec["debounce"])
    measure = parse_measure(where, "measure", spec["measure"]) if "measure" in spec else None
    condition = _condition(where, "condition", spec["condition"]) if "condition" in spec else None
    size = _size(measure or condition)
    if size > MAX_RULE_MEASURES:
        field = "measure" if measure else "condition"
        raise where.error(field, "error.rule.rule_measures", size=size, limit=MAX_RULE_MEASURES)
    return Rule(
        id=rule_id,
        title={"en": title["en"], "zh": title.get("zh") or title["en"]},
        view=view,
        kind=kind,
        measure=measure,
        thresholds=_thresholds(where, spec["thresholds"]) if "thresholds" in spec else None,
        condition=condition,
        debounce=None if kind == "measurement" else debounce,
        min_score=_min_score(where, spec["min_score"]) if "min_score" in spec else min_score,
        note=note,
        when=when,
    )


def parse_rules(
    data: Any, source: str, classifiers: ClassifierSource | None = None
) -> tuple[str | None, tuple[Rule, ...]]:
    """The name and rules of a loaded rule file (``source`` names it in error messages). ``classifiers``
    gives the classifier a ``model`` of a classifier rule names (None: classifier rules are refused)."""
    where = Where(source)
    data = where.mapping("file", data, FILE_KEYS)
    min_score = _min_score(where, data["min_score"]) if "min_score" in data else MIN_KEYPOINT_SCORE
    debounce = _debounce(where, "debounce", data["debounce"]) if "debounce" in data else None
    specs = data.get("rules")
    if not isinstance(specs, list) or not specs:
        raise where.error("rules", "error.rule.no_rules")
    if len(specs) > MAX_RULES:
        raise where.error("rules", "error.rule.too_many_rules", count=len(specs), limit=MAX_RULES)
    rules = tuple(_rule(source, i, spec, min_score, debounce, classifiers) for i, spec in enumerate(specs))
    size = sum(_size(r.measure or r.condition) for r in rules if r.classifier is None)
    if size > MAX_FILE_MEASURES:
        raise where.error("rules", "error.rule.file_measures", size=size, limit=MAX_FILE_MEASURES)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise Where(source, rule.id).error("id", "error.rule.duplicate_id")
        seen.add(rule.id)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise where.error("name", "error.rule.name_text", value=name)
    return name, rules

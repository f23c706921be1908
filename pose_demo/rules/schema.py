"""Rule files: YAML data checked and turned into small frozen dataclasses (evaluation is in ``ruleset``).

Every mistake raises ``RuleError`` naming the file, the rule and the field, e.g.
``my_rules.yaml: rule 'arms_up', field 'condition.any[1].above': unknown keypoint 'left_hnd' ...``.
Rule files come from users: they are bounded (``MAX_*`` below) and may not use YAML anchors or aliases,
so a small file cannot expand into a huge one. The format is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pose_demo.checks import check_choice, check_number
from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.rules.geometry import (
    POINT_NAMES,
    VIRTUAL_POINTS,
    point_indices,
)

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

# Limits on a rule file (the built-in catalog: 9 KB, 27 rules, 43 measures, at most 8 in a rule, 2 levels).
MAX_FILE_BYTES = 256 * 1024  # checked on the bytes, before parsing
MAX_YAML_DEPTH = 64  # nested YAML collections (deeper ones would exhaust Python's stack)
MAX_RULES = 500
MAX_RULE_MEASURES = 100  # primitives and position tests in one rule (symmetry counts its two measures)
MAX_FILE_MEASURES = 1000  # ... in the whole file: evaluating a person stays under about 0.1 s
MAX_DEPTH = 8  # combinators (all / any / at_least) nested in one condition


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file, rule and field."""


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that rule files do not accept (anchors and aliases, deep nesting)."""


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
                problem=f"YAML anchors and aliases ({sigil}{event.anchor}) are not allowed in rule files: "
                "write each condition out",
                problem_mark=event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(
                problem=f"YAML nested more than {MAX_YAML_DEPTH} deep (the limit)",
                problem_mark=event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_error(source: str, e: yaml.YAMLError) -> RuleError:
    """The error with its line and column first."""
    mark = getattr(e, "problem_mark", None)
    if not isinstance(e, yaml.MarkedYAMLError) or mark is None:
        return RuleError(f"{source}: not valid YAML: {e}")
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(e, _Refused):
        return RuleError(f"{source}: {where}: {e.problem}")
    context = f" ({e.context})" if e.context else ""
    return RuleError(f"{source}: not valid YAML: {where}: {e.problem}{context}")


def read_rule_file(path: Path) -> Any:
    """The YAML data of a rule file, at most ``MAX_FILE_BYTES`` long and without anchors or aliases."""
    with path.open("rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        size = path.stat().st_size
        limit = f"{MAX_FILE_BYTES} ({MAX_FILE_BYTES // 1024} KiB)"
        raise RuleError(f"{path}: the file has {size} bytes; the limit is {limit}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RuleError(f"{path}: cannot be read as UTF-8 text ({e})") from e
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
    note: str = ""
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

    def error(self, field: str, message: str) -> RuleError:
        item = f"{self.kind} {self.item!r}, " if self.item else ""
        return self.error_type(f"{self.source}: {item}field {field!r}: {message}")

    def mapping(self, field: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(field, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in allowed:
                raise self.error(field, f"unknown key {key!r} (allowed: {', '.join(allowed)})")
        return value

    def number(self, field: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
        return check_number(field, value, low, high, error=lambda message: self.error(field, message))

    def choice(self, field: str, value: Any, allowed: tuple[str | None, ...]) -> Any:
        return check_choice(field, value, allowed, error=lambda message: self.error(field, message))


def _candidates(name: str) -> tuple[str, ...]:
    """The keypoints a point can be: itself, or any of those a "best" virtual point picks from."""
    how, parts = VIRTUAL_POINTS.get(name, ("", ()))
    return parts if how == "best" else (name,)


def _same_point(a: str, b: str) -> str | None:
    """Why points a and b can be the same point, or None when they cannot."""
    if a == b:
        return f"{a!r} twice"
    if not set(_candidates(a)) & set(_candidates(b)):
        return None
    best = a if a in VIRTUAL_POINTS else b
    picks = ", ".join(_candidates(best))
    return f"{a!r} and {b!r} can be the same keypoint ({best!r} is the most confident of {picks})"


def _points(where: Where, field: str, value: Any, count: int) -> tuple[str, ...]:
    """``count`` known keypoint names, no two of which can be the same point."""
    if not isinstance(value, list) or len(value) != count:
        raise where.error(field, f"expected a list of {count} keypoint names, got {value!r}")
    for name in value:
        if name not in POINT_NAMES:
            raise where.error(field, f"unknown keypoint {name!r} (known: {', '.join(POINT_NAMES)})")
    for i, a in enumerate(value):
        for b in value[i + 1 :]:
            if reason := _same_point(a, b):
                raise where.error(field, f"{reason}: needs {count} different points (nothing to measure)")
    return tuple(value)


def parse_measure(where: Where, field: str, spec: Any) -> Measure:
    """A mapping with exactly one primitive key and, for some primitives, its option."""
    options = tuple(dict.fromkeys(o for o, _, _ in OPTIONS.values()))
    if not isinstance(spec, dict):
        raise where.error(field, f"expected a mapping such as {{joint_angle: [a, vertex, c]}}, got {spec!r}")
    for key in spec:
        if key not in PRIMITIVES and key not in options:
            raise where.error(
                field,
                f"unknown primitive {key!r} (primitives: {', '.join(PRIMITIVES)}; "
                f"options: {', '.join(options)})",
            )
    found = [k for k in spec if k in PRIMITIVES]
    if len(found) != 1:
        raise where.error(field, f"needs exactly one primitive of {', '.join(PRIMITIVES)}; found {found}")
    primitive = found[0]
    args = spec[primitive]
    field = f"{field}.{primitive}"
    option_name, allowed, default = OPTIONS.get(primitive, ("", (), None))
    for name in options:
        if name in spec and name != option_name:
            raise where.error(field, f"{primitive} takes no option {name!r}")
    option = (
        where.choice(f"{field}.{option_name}", spec.get(option_name, default), allowed) if allowed else None
    )
    if primitive != "symmetry":
        return Measure(primitive, _points(where, field, args, PRIMITIVES[primitive]), option)
    if not isinstance(args, list) or len(args) != 2:
        raise where.error(field, "expected a list of two measures [left, right]")
    parts = tuple(parse_measure(where, f"{field}[{i}]", a) for i, a in enumerate(args))
    if parts[0].unit != parts[1].unit:
        raise where.error(field, f"compares {parts[0].unit!r} with {parts[1].unit!r}")
    if parts[0] == parts[1]:
        raise where.error(field, "compares a measure with itself (always 0)")
    return Measure(primitive, parts=parts)


def _condition(where: Where, field: str, spec: Any, depth: int = 0) -> Condition:
    """A combinator (all / any / at_least + of), a position test (above / below) or a compared primitive.

    ``depth``: the number of combinators this condition is in.
    """
    if not isinstance(spec, dict):
        raise where.error(field, f"expected a condition mapping, got {spec!r}")
    for key in spec:
        if key not in _CONDITION_KEYS:
            raise where.error(
                field,
                f"unknown key {key!r}: a condition is a combinator (all, any, at_least with of), "
                f"a position test (above, below, with an optional margin) or a primitive "
                f"({', '.join(PRIMITIVES)}) with one comparison ({', '.join(COMPARISONS)})",
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
        raise where.error(field, f"needs exactly one comparison of {', '.join(COMPARISONS)}; found {ops}")
    measure = parse_measure(where, field, {k: v for k, v in spec.items() if k != ops[0]})
    value = spec[ops[0]]
    if ops[0] in ("between", "outside"):
        if not isinstance(value, list) or len(value) != 2:
            raise where.error(f"{field}.{ops[0]}", f"expected [low, high], got {value!r}")
        bounds = tuple(where.number(f"{field}.{ops[0]}", v) for v in value)
        if bounds[0] > bounds[1]:
            raise where.error(f"{field}.{ops[0]}", f"low {bounds[0]} is above high {bounds[1]}")
    else:
        bounds = (where.number(f"{field}.{ops[0]}", value),)
    return Test(measure, ops[0], bounds)


def _combinator(where: Where, field: str, spec: dict[str, Any], modes: list[str], depth: int) -> Combinator:
    if depth > MAX_DEPTH:
        raise where.error(field, f"nested {depth} deep; the limit is {MAX_DEPTH}")
    mode = modes[0]
    if mode == "at_least":
        spec = where.mapping(field, spec, ("at_least", "of"))
        n, items, items_field = spec["at_least"], spec.get("of"), f"{field}.of"
    else:
        spec = where.mapping(field, spec, (mode,))
        n, items, items_field = None, spec[mode], f"{field}.{mode}"
    if not isinstance(items, list) or not items:
        raise where.error(items_field, f"{mode} needs a non-empty list of conditions, got {items!r}")
    if mode == "at_least" and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(items)):
        raise where.error(f"{field}.at_least", f"expected a whole number from 1 to {len(items)}, got {n!r}")
    parsed = tuple(_condition(where, f"{items_field}[{i}]", item, depth) for i, item in enumerate(items))
    return Combinator(mode, {"all": len(parsed), "any": 1}.get(mode, n), parsed)


def _thresholds(where: Where, spec: Any) -> Thresholds:
    spec = where.mapping("thresholds", spec, ("mild", "severe", "direction"))
    for key in ("mild", "severe"):
        if key not in spec:
            raise where.error(f"thresholds.{key}", "missing threshold")
    mild, severe = (where.number(f"thresholds.{k}", spec[k]) for k in ("mild", "severe"))
    direction = where.choice("thresholds.direction", spec.get("direction", "both"), DIRECTIONS)
    if (severe < mild) if direction != "low" else (severe > mild):
        order = "at most" if direction == "low" else "at least"
        raise where.error("thresholds.severe", f"must be {order} mild ({mild}) for direction {direction!r}")
    return Thresholds(mild, severe, direction)


def _debounce(where: Where, field: str, spec: Any) -> tuple[int, int]:
    spec = where.mapping(field, spec, ("n", "m"))
    n, m = spec.get("n"), spec.get("m")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, m)) or not 1 <= n <= m:
        raise where.error(field, f"expected whole numbers 1 <= n <= m, got n={n!r}, m={m!r}")
    return n, m


def _min_score(where: Where, spec: Any) -> float:
    value = where.number("min_score", spec)
    if not 0.0 <= value <= 1.0:
        raise where.error("min_score", f"expected a score from 0 to 1, got {value}")
    return value


def _classifier_rule(
    where: Where, spec: dict[str, Any], debounce: tuple[int, int] | None, classifiers: ClassifierSource | None
) -> Rule:
    """A rule of kind classifier: ``model`` (a classifier file), ``flag`` (one of its classes) and an
    optional ``threshold`` (default: the classifier's own)."""
    spec = where.mapping("rule", spec, CLASSIFIER_RULE_KEYS)
    if not isinstance(spec.get("id"), str) or not _ID.fullmatch(spec["id"]):
        raise where.error("id", f"expected a lower_case_name, got {spec.get('id')!r}")
    title = where.mapping("title", spec.get("title"), ("en", "zh"))
    if not all(isinstance(title.get(k, ""), str) for k in ("en", "zh")) or not title.get("en"):
        raise where.error("title", "expected {en: English title, zh: Chinese title} (en is required)")
    for key in ("model", "flag"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise where.error(
                key, "missing: a classifier rule needs model (a classifier file) and flag (a class)"
            )
    if classifiers is None:
        raise where.error("model", "classifier rules can only be read from a rule file (RuleSet.load)")
    try:
        classifier = classifiers(spec["model"])
    except ValueError as e:
        raise where.error("model", str(e)) from None
    if spec["flag"] not in classifier.classes:
        raise where.error(
            "flag", f"{spec['flag']!r} is not a class of {spec['model']} ({', '.join(classifier.classes)})"
        )
    threshold = classifier.threshold
    if "threshold" in spec:
        threshold = where.number("threshold", spec["threshold"], 0.0, 1.0)
    note = spec.get("note", "")
    if not isinstance(note, str):
        raise where.error("note", "expected text")
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
        raise where.error("id", f"expected a lower_case_name, got {rule_id!r}")
    if "title" not in spec:
        raise where.error("title", "missing: expected {en: English title, zh: Chinese title}")
    title = where.mapping("title", spec["title"], ("en", "zh"))
    if not all(isinstance(title.get(k, ""), str) for k in ("en", "zh")) or not title.get("en"):
        raise where.error("title", "expected {en: English title, zh: Chinese title} (en is required)")
    kind = where.choice("kind", spec.get("kind"), KINDS)
    view = where.choice("view", spec.get("view", "any"), VIEWS)
    note = spec.get("note", "")
    if not isinstance(note, str):
        raise where.error("note", "expected text")
    needed = {"measurement": ("measure",), "action": ("condition",)}.get(kind) or (
        ("condition",) if "condition" in spec else ("measure", "thresholds")
    )
    for key in needed:
        if key not in spec:
            raise where.error(key, f"missing: a {kind} rule needs {' and '.join(needed)}")
    for key in ("measure", "thresholds", "condition"):
        if key in spec and key not in needed:
            raise where.error(key, f"not used by a {kind} rule with {' and '.join(needed)}")
    if kind == "measurement" and "debounce" in spec:
        raise where.error("debounce", "measurements are not debounced (only screening and action rules)")
    if kind == "measurement" and "when" in spec:
        raise where.error(
            "when", "measurements are always given; 'when' applies to screening and action rules"
        )
    when = where.choice("when", spec["when"], CONTEXTS) if "when" in spec else None
    if "debounce" in spec:
        debounce = _debounce(where, "debounce", spec["debounce"])
    measure = parse_measure(where, "measure", spec["measure"]) if "measure" in spec else None
    condition = _condition(where, "condition", spec["condition"]) if "condition" in spec else None
    size = _size(measure or condition)
    if size > MAX_RULE_MEASURES:
        field = "measure" if measure else "condition"
        raise where.error(field, f"{size} measures; the limit is {MAX_RULE_MEASURES} per rule")
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
        raise where.error("rules", "expected a non-empty list of rules")
    if len(specs) > MAX_RULES:
        raise where.error("rules", f"{len(specs)} rules; the limit is {MAX_RULES}")
    rules = tuple(_rule(source, i, spec, min_score, debounce, classifiers) for i, spec in enumerate(specs))
    size = sum(_size(r.measure or r.condition) for r in rules if r.classifier is None)
    if size > MAX_FILE_MEASURES:
        raise where.error("rules", f"{size} measures in all; the limit is {MAX_FILE_MEASURES} per file")
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise Where(source, rule.id).error("id", "duplicate rule id")
        seen.add(rule.id)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise where.error("name", f"expected text, got {name!r}")
    return name, rules

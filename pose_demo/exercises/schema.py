"""Exercise files: YAML data checked and turned into small frozen dataclasses (counting is in ``counting``).

Every mistake raises ``ExerciseError`` naming the file, the exercise and the field, e.g.
``my_gym.yaml: exercise 'squat': field 'signal.joint_angle': unknown keypoint 'left_kne' ...``.
Files are read like rule files (``rules.schema.read_rule_file``: bounded size, no YAML anchors or aliases)
and measures are written as in rule files (``rules.schema``'s parser: same primitives, same messages).
The format is documented in ``docs/exercises.md``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.rules.schema import (
    VIEWS,
    Measure,
    RuleError,
    Where,
    parse_measure,  # the rule files' measure parser: one syntax, one set of messages
    read_rule_file,
)

SIDES = ("min", "max", "mean")  # how a measure taken on both sides is combined
DIRECTIONS = ("increasing", "decreasing")  # how the signal moves from the start position to the turn
PHASES = ("eccentric", "concentric")
AT = ("turn", "start_end", "throughout")  # where a form check looks in each repetition
POSTURE_AT = ("throughout", "turn")  # a posture condition: the median over the repetition, or at its turn
COMPARISONS = ("greater_than", "less_than", "between")
EXERCISE_KEYS = (
    "id",
    "title",
    "signal",
    "work",
    "phases",
    "thresholds",
    "min_amplitude",
    "duration",
    "max_travel",
    "posture",
    "still",
    "checks",
)
CHECK_KEYS = ("id", "title", "at", "view", "measure", "sides", *COMPARISONS)
FILE_KEYS = ("name", "min_score", "exercises")
MAX_EXERCISES = 100
MAX_CHECKS = 20  # form checks and posture conditions per exercise
_ID = re.compile(r"[a-z][a-z0-9_]*")


class ExerciseError(RuleError):
    """An exercise file that cannot be used; the message names the file, exercise and field."""


@dataclass(frozen=True)
class Signal:
    """A measure per frame; with ``sides``, also measured mirrored (left <-> right) and combined.

    sides: None (as written), or min / max / mean of the sides known in a frame.
    """

    measure: Measure
    sides: str | None = None

    def __post_init__(self) -> None:
        if self.sides is not None and self.sides not in SIDES:
            raise ValueError(f"sides must be one of {', '.join(SIDES)}, not {self.sides!r}")

    @property
    def unit(self) -> str:
        return self.measure.unit


@dataclass(frozen=True)
class Comparison:
    """A signal compared with bounds (``greater_than`` / ``less_than``: ``bounds[0]``)."""

    signal: Signal
    op: str
    bounds: tuple[float, ...]

    def holds(self, value: float) -> bool:
        if self.op == "greater_than":
            return value > self.bounds[0]
        if self.op == "less_than":
            return value < self.bounds[0]
        return self.bounds[0] <= value <= self.bounds[1]


@dataclass(frozen=True)
class Posture:
    """A comparison that must hold for a repetition to count: on the median over the repetition
    (``throughout``) or over its turning pause (``turn``). Unknown does not reject."""

    comparison: Comparison
    at: str = "throughout"

    def __post_init__(self) -> None:
        if self.at not in POSTURE_AT:
            raise ValueError(f"at must be one of {', '.join(POSTURE_AT)}, not {self.at!r}")


@dataclass(frozen=True)
class Stillness:
    """A measure that must hardly move during a repetition: its spread (10th to 90th percentile) below
    ``max_range``, in its unit. A lateral raise keeps the feet still (a jumping jack does not), a push-up
    the trunk (a sit-up does not). Unknown does not reject."""

    signal: Signal
    max_range: float

    def __post_init__(self) -> None:
        if not self.max_range > 0:
            raise ValueError(f"max_range must be above 0, not {self.max_range}")


@dataclass(frozen=True)
class FormCheck:
    """A comparison judged in every repetition, ``at`` its turning point, its start and end, or throughout;
    only in the given ``view`` (front / side) unless ``any``."""

    id: str
    title: dict[str, str]
    at: str
    view: str
    comparison: Comparison


@dataclass(frozen=True)
class Thresholds:
    """Where a repetition starts (leaves ``start``) and turns (passes ``turn``), in the signal's unit;
    None for ``auto``: from the person's own range."""

    start: float
    turn: float


@dataclass(frozen=True)
class Exercise:
    """One exercise of a catalog: how to count it and what to check in each repetition."""

    id: str
    title: dict[str, str]
    signal: Signal
    work: str  # increasing / decreasing: the signal's direction from the start position to the turn
    phases: tuple[str, str]  # the tempo names of start -> turn and turn -> end
    thresholds: Thresholds | None  # None: auto
    min_amplitude: float  # in the signal's unit: smaller movements are not repetitions
    min_duration: float  # seconds per repetition
    max_duration: float
    max_travel: float  # torso lengths the hips may move sideways between start and end
    posture: tuple[Posture, ...] = ()  # must hold for a repetition to count
    still: tuple[Stillness, ...] = ()  # must hardly move in a repetition for it to count
    checks: tuple[FormCheck, ...] = ()
    min_score: float = MIN_KEYPOINT_SCORE


def _place(source: str, exercise: str = "") -> Where:
    """Where a value of an exercise file came from: errors name the file, the exercise and the field."""
    return Where(source, exercise, kind="exercise", error_type=ExerciseError)


def _title(place: Where, spec: Any) -> dict[str, str]:
    if spec is None:
        raise place.error("title", "error.rule.title_missing")
    title = place.mapping("title", spec, ("en", "zh"))
    if not all(isinstance(title.get(k, ""), str) for k in ("en", "zh")) or not title.get("en"):
        raise place.error("title", "error.rule.title")
    return {"en": title["en"], "zh": title.get("zh") or title["en"]}


def mirrored(name: str) -> str:
    """The keypoint on the other side: left_knee <-> right_knee; others stay."""
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(a):
            return b + name.removeprefix(a)
    return name


def _signal(place: Where, field: str, spec: Any) -> Signal:
    """``{joint_angle: [left_hip, left_knee, left_ankle], sides: max}``: a measure and how sides combine."""
    if not isinstance(spec, dict):
        raise place.error(field, "error.rule.measure_mapping", value=spec)
    sides = spec.get("sides")
    if sides is not None:
        place.choice(f"{field}.sides", sides, SIDES)
    measure = parse_measure(place, field, {k: v for k, v in spec.items() if k != "sides"})
    if measure.primitive == "symmetry" and sides is not None:
        raise place.error(f"{field}.sides", "error.exercise.symmetry_sides")
    if sides is not None and all(mirrored(p) == p for p in measure.points):
        raise place.error(f"{field}.sides", "error.exercise.nothing_to_mirror")
    return Signal(measure, sides)


def _measured(place: Where, field: str, spec: dict[str, Any]) -> Signal:
    """The ``measure`` of a check, posture or stillness entry, with its ``sides``."""
    if "measure" not in spec:
        raise place.error(f"{field}.measure", "error.exercise.measure_missing")
    measure = spec["measure"]
    signal_spec = (
        {**measure, "sides": spec["sides"]} if "sides" in spec and isinstance(measure, dict) else measure
    )
    return _signal(place, f"{field}.measure", signal_spec)


def _comparison(place: Where, field: str, spec: dict[str, Any]) -> Comparison:
    ops = [k for k in spec if k in COMPARISONS]
    if len(ops) != 1:
        raise place.error(field, "error.rule.one_comparison", comparisons=", ".join(COMPARISONS), found=ops)
    op = ops[0]
    signal = _measured(place, field, spec)
    value = spec[op]
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise place.error(f"{field}.between", "error.rule.low_high", value=value)
        bounds = tuple(place.number(f"{field}.between", v) for v in value)
        if bounds[0] > bounds[1]:
            raise place.error(
                f"{field}.between", "error.exercise.low_above_high", low=bounds[0], high=bounds[1]
            )
    else:
        bounds = (place.number(f"{field}.{op}", value),)
    return Comparison(signal, op, bounds)


def _check(place: Where, field: str, spec: Any) -> FormCheck:
    spec = place.mapping(field, spec, CHECK_KEYS)
    check_id = spec.get("id")
    if not isinstance(check_id, str) or not _ID.fullmatch(check_id):
        raise place.error(f"{field}.id", "error.rule.bad_id", value=check_id)
    return FormCheck(
        id=check_id,
        title=_title(place, spec.get("title")),
        at=place.choice(f"{field}.at", spec.get("at", "turn"), AT),
        view=place.choice(f"{field}.view", spec.get("view", "any"), VIEWS),
        comparison=_comparison(place, field, spec),
    )


def _posture(place: Where, field: str, spec: Any) -> Posture:
    spec = place.mapping(field, spec, ("measure", "sides", "at", *COMPARISONS))
    at = place.choice(f"{field}.at", spec.get("at", "throughout"), POSTURE_AT)
    return Posture(_comparison(place, field, spec), at)


def _still(place: Where, field: str, spec: Any) -> Stillness:
    spec = place.mapping(field, spec, ("measure", "sides", "max_range"))
    signal = _measured(place, field, spec)
    if "max_range" not in spec:
        raise place.error(f"{field}.max_range", "error.exercise.max_range_missing")
    max_range = place.number(f"{field}.max_range", spec["max_range"], 0.0)
    if max_range <= 0:
        raise place.error(f"{field}.max_range", "error.exercise.max_range_missing")
    return Stillness(signal, max_range)


def _list(place: Where, field: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise place.error(field, "error.exercise.not_list", value=value)
    if len(value) > MAX_CHECKS:
        raise place.error(field, "error.exercise.too_many_items", count=len(value), limit=MAX_CHECKS)
    return value


def _thresholds(place: Where, spec: Any, work: str) -> Thresholds | None:
    if spec == "auto":
        return None
    if not isinstance(spec, dict):
        raise place.error("thresholds", "error.exercise.thresholds", value=spec)
    spec = place.mapping("thresholds", spec, ("start", "turn"))
    for key in ("start", "turn"):
        if key not in spec:
            raise place.error(f"thresholds.{key}", "error.rule.missing_threshold")
    start, turn = (place.number(f"thresholds.{k}", spec[k]) for k in ("start", "turn"))
    if (turn <= start) if work == "increasing" else (turn >= start):
        key = "error.exercise.turn_above" if work == "increasing" else "error.exercise.turn_below"
        raise place.error("thresholds.turn", key, start=start, work=work)
    return Thresholds(start, turn)


def _exercise(source: str, index: int, spec: Any, min_score: float) -> Exercise:
    given_id = spec.get("id") if isinstance(spec, dict) else None
    place = _place(source, given_id if isinstance(given_id, str) else f"#{index + 1}")
    spec = place.mapping("exercise", spec, EXERCISE_KEYS)
    if not isinstance(given_id, str) or not _ID.fullmatch(given_id):
        raise place.error("id", "error.rule.bad_id", value=given_id)
    for key in ("signal", "work", "min_amplitude"):
        if key not in spec:
            raise place.error(key, "error.exercise.missing_key")
    work = place.choice("work", spec["work"], DIRECTIONS)
    phases = spec.get("phases", list(PHASES))
    if not isinstance(phases, list) or sorted(phases) != sorted(PHASES):
        raise place.error("phases", "error.exercise.phases", value=phases)
    duration = place.mapping("duration", spec.get("duration", {}), ("min", "max"))
    min_duration = place.number("duration.min", duration.get("min", 0.5), 0.0)
    max_duration = place.number("duration.max", duration.get("max", 10.0), 0.0)
    if max_duration <= min_duration:
        raise place.error("duration.max", "error.exercise.duration", min=min_duration)
    checks = tuple(
        _check(place, f"checks[{i}]", c) for i, c in enumerate(_list(place, "checks", spec.get("checks", [])))
    )
    seen: set[str] = set()
    for i, check in enumerate(checks):
        if check.id in seen:
            raise place.error(f"checks[{i}].id", "error.exercise.duplicate_check", id=check.id)
        seen.add(check.id)
    return Exercise(
        id=given_id,
        title=_title(place, spec.get("title")),
        signal=_signal(place, "signal", spec["signal"]),
        work=work,
        phases=(phases[0], phases[1]),
        thresholds=_thresholds(place, spec.get("thresholds", "auto"), work),
        min_amplitude=place.number("min_amplitude", spec["min_amplitude"], 0.0),
        min_duration=min_duration,
        max_duration=max_duration,
        max_travel=place.number("max_travel", spec.get("max_travel", 1.0), 0.0),
        posture=tuple(
            _posture(place, f"posture[{i}]", p)
            for i, p in enumerate(_list(place, "posture", spec.get("posture", [])))
        ),
        still=tuple(
            _still(place, f"still[{i}]", p)
            for i, p in enumerate(_list(place, "still", spec.get("still", [])))
        ),
        checks=checks,
        min_score=min_score,
    )


def parse_exercises(data: Any, source: str) -> tuple[str | None, tuple[Exercise, ...]]:
    """The name and exercises of a loaded exercise file (``source`` names it in error messages)."""
    place = _place(source)
    data = place.mapping("file", data, FILE_KEYS)
    min_score = place.number("min_score", data.get("min_score", MIN_KEYPOINT_SCORE), 0.0, 1.0)
    specs = data.get("exercises")
    if not isinstance(specs, list) or not specs:
        raise place.error("exercises", "error.exercise.no_exercises")
    if len(specs) > MAX_EXERCISES:
        raise place.error("exercises", "error.exercise.too_many", count=len(specs), limit=MAX_EXERCISES)
    exercises = tuple(_exercise(source, i, spec, min_score) for i, spec in enumerate(specs))
    seen: set[str] = set()
    for exercise in exercises:
        if exercise.id in seen or exercise.id == "auto":
            why = "error.exercise.auto_reserved" if exercise.id == "auto" else "error.exercise.duplicate_id"
            raise _place(source, exercise.id).error("id", why)
        seen.add(exercise.id)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise place.error("name", "error.rule.name_text", value=name)
    return name, exercises


CATALOG_DIR = Path(__file__).parent / "catalog"
MOVEMENTS_FILE = Path(__file__).parent / "movements.yaml"  # what ``auto`` counts when no exercise fits


def catalog_names() -> list[str]:
    return sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class ExerciseCatalog:
    """The exercises of a file, or of the built-in catalog (``ExerciseCatalog.load("default")``)."""

    name: str
    exercises: tuple[Exercise, ...]

    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str] = "default") -> ExerciseCatalog:
        """An exercise file by path, or a built-in catalog by name (see ``catalog_names()``)."""
        path = Path(name_or_path)
        if not path.is_file():
            path = CATALOG_DIR / f"{name_or_path}.yaml"
            if not path.is_file():
                known = ", ".join(catalog_names())
                raise ExerciseError("error.exercise.no_file", name=name_or_path, known=known)
        try:
            data = read_rule_file(path)
        except RuleError as e:
            raise ExerciseError(e.message.key, **e.message.params) from None
        name, exercises = parse_exercises(data, str(path))
        return cls(name or path.stem, exercises)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.exercises]

    def get(self, exercise_id: str) -> Exercise:
        """The exercise called ``exercise_id``; ExerciseError naming the known ones if there is none."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise ExerciseError(
            "error.exercise.unknown", id=exercise_id, catalog=self.name, known=", ".join(self.ids)
        )


@functools.lru_cache(maxsize=len(catalog_names()) or 1)
def _builtin(name: str) -> ExerciseCatalog:
    return ExerciseCatalog.load(name)


@functools.lru_cache(maxsize=1)
def movements() -> tuple[Exercise, ...]:
    """The movements of one body part (knees, hips, elbows, arms, trunk) that ``auto`` counts when the
    person does none of the catalog's exercises."""
    return ExerciseCatalog.load(MOVEMENTS_FILE).exercises


def load_catalog(name_or_path: str | os.PathLike[str] = "default") -> ExerciseCatalog:
    """``ExerciseCatalog.load``, read once per process for the built-in catalogs (user files every time,
    so that an edited file is read again)."""
    name = str(name_or_path)
    return (
        _builtin(name) if name in catalog_names() and not Path(name).is_file() else ExerciseCatalog.load(name)
    )

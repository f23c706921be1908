"""Rule sets: load a rule file (or the built-in catalog), evaluate it on a person, get verdicts."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.geometry import (
    body_scale,
    distance_ratio,
    estimate_view,
    facing,
    joint_angle,
    point,
    relative_position,
    segment_angle,
    symmetry,
    upright,
)
from pose_demo.results import Person, Verdict
from pose_demo.rules.schema import (
    VIEWS,
    ClassifierSource,
    Condition,
    Measure,
    Rule,
    RuleError,
    Test,
    Thresholds,
    parse_rules,
    read_rule_file,
)

CATALOG_DIR = Path(__file__).parent / "catalog"


def _measure(m: Measure, keypoints: np.ndarray, scale: np.ndarray, min_score: float) -> float:
    """The measured value, NaN when unknown."""
    if m.primitive == "symmetry":
        left, right = (_measure(p, keypoints, scale, min_score) for p in m.parts)
        return float(symmetry(left, right))
    pts = [point(keypoints, name) for name in m.points]
    if m.primitive == "joint_angle":
        return float(joint_angle(*pts, min_score=min_score))
    if m.primitive == "segment_angle":
        return float(segment_angle(*pts, reference=m.option, min_score=min_score))
    if m.primitive == "distance_ratio":
        return float(distance_ratio(*pts, scale, axis=m.option, min_score=min_score))
    if m.option == "forward":
        return float(relative_position(*pts, scale, "x", min_score) * facing(keypoints, min_score))
    return float(relative_position(*pts, scale, m.option, min_score))


def _compare(op: str, value: float, bounds: tuple[float, ...]) -> bool:
    if op == "greater_than":
        return value > bounds[0]
    if op == "less_than":
        return value < bounds[0]
    inside = bounds[0] <= value <= bounds[1]
    return inside if op == "between" else not inside


def _holds(
    c: Condition, keypoints: np.ndarray, scale: np.ndarray, min_score: float
) -> tuple[bool | None, float]:
    """Three-valued truth (None: unknown) and the value: the measure, or the count of items that hold."""
    if isinstance(c, Test):
        value = _measure(c.measure, keypoints, scale, min_score)
        return (None if np.isnan(value) else _compare(c.op, value, c.bounds)), value
    truths = [_holds(item, keypoints, scale, min_score)[0] for item in c.items]
    held, unknown = truths.count(True), truths.count(None)
    if held >= c.n:
        return True, float(held)
    if held + unknown < c.n:
        return False, float(held)
    return None, np.nan


def _value(rule: Rule, keypoints: np.ndarray, scale: np.ndarray) -> float:
    """The rule's value (NaN when unknown): its measure, its condition's value, or a class probability."""
    if rule.classifier is not None:
        return rule.classifier.classifier.probability(keypoints, rule.classifier.flag)
    if rule.condition is not None:
        return _holds(rule.condition, keypoints, scale, rule.min_score)[1]
    return _measure(rule.measure, keypoints, scale, rule.min_score)


def _grade(value: float, t: Thresholds) -> str:
    signed = {"both": abs(value), "high": value, "low": -value}[t.direction]
    mild, severe = (-t.mild, -t.severe) if t.direction == "low" else (t.mild, t.severe)
    return "severe" if signed >= severe else "mild" if signed >= mild else "ok"


def photo_contexts(keypoints: np.ndarray) -> frozenset[str]:
    """The contexts (a rule's ``when``) that hold for a person seen in one picture: ``standing_still`` when
    upright (see ``geometry.upright``); a single picture shows no motion."""
    return frozenset({"standing_still"}) if bool(upright(keypoints)) else frozenset()


def evaluate_rule(
    rule: Rule, keypoints: np.ndarray, view: str | None = None, contexts: frozenset[str] | None = None
) -> Verdict:
    """The verdict of one rule on one person's (17, 3) keypoints.

    A rule made for another ``view`` than the given one (front / side / unknown) is unknown; None or
    "any" evaluates every rule. A rule whose context (``when``) is not among ``contexts`` keeps its value
    but is unknown and not triggered; ``contexts=None`` judges them from this picture (``photo_contexts``).
    """
    scale = body_scale(keypoints, rule.min_score)
    unmet = None
    if view not in (None, "any") and rule.view not in ("any", view):
        truth, value, level, unmet = None, np.nan, "unknown", rule.view
    elif rule.when is not None and rule.when not in (
        photo_contexts(keypoints) if contexts is None else contexts
    ):
        value = _value(rule, keypoints, scale)
        truth, level, unmet = None, "unknown", rule.when
    elif rule.classifier is not None:
        value = _value(rule, keypoints, scale)
        truth = None if np.isnan(value) else bool(value >= rule.classifier.threshold)
        level = "unknown" if truth is None else "ok"
    elif rule.condition is not None:
        truth, value = _holds(rule.condition, keypoints, scale, rule.min_score)
        level = "unknown" if truth is None else "ok"
    else:
        value = _measure(rule.measure, keypoints, scale, rule.min_score)
        level = "unknown" if np.isnan(value) else _grade(value, rule.thresholds) if rule.thresholds else "ok"
        truth = level in ("mild", "severe")
    return Verdict(
        id=rule.id,
        title=rule.title,
        kind=rule.kind,
        value=None if np.isnan(value) else value,
        unit=rule.unit,
        level=level,
        triggered=truth is True,
        keypoints=rule.keypoints,
        joint=rule.joint,
        unmet=unmet,
    )


def classifier_files(folder: Path) -> ClassifierSource:
    """Classifier files named relative to ``folder`` (a rule file's), each size-checked and loaded as data
    (``pose_demo.classifier.model_file``)."""

    def load(name: str) -> Any:
        from pose_demo.classifier.model_file import load_classifier  # here: XGBoost is loaded only when used

        return load_classifier(folder / name, name)

    return load


def catalog_names() -> list[str]:
    return sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class RuleSet:
    """An ordered set of rules, from a rule file or the built-in catalog (``RuleSet.load("default")``)."""

    name: str
    rules: tuple[Rule, ...]

    @classmethod
    def load(
        cls, name_or_path: str | os.PathLike[str], classifiers: ClassifierSource | None = None
    ) -> RuleSet:
        """A rule file by path, or a built-in catalog by name (see ``catalog_names()``).

        ``classifiers``: where the ``model`` of a classifier rule is found (default: a file beside the rule
        file, ``classifier_files``); the app passes only the classifiers of the session."""
        path = Path(name_or_path)
        if not path.is_file():
            path = CATALOG_DIR / f"{name_or_path}.yaml"
            if not path.is_file():
                known = ", ".join(catalog_names())
                raise RuleError("error.rule.no_file", name=name_or_path, known=known)
        name, rules = parse_rules(
            read_rule_file(path), str(path), classifiers or classifier_files(path.parent)
        )
        return cls(name or path.stem, rules)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def select(self, ids: Iterable[str] | None = None, view: str | None = None) -> RuleSet:
        """The rules named in ``ids`` (in that order), and/or those valid for ``view`` (front or side)."""
        rules = self.rules
        if ids is not None:
            ids = list(ids)
            by_id = {r.id: r for r in self.rules}
            unknown = [i for i in ids if i not in by_id]
            if unknown:
                raise RuleError("error.rule.unknown_ids", name=self.name, ids=unknown, known=", ".join(by_id))
            rules = tuple(by_id[i] for i in ids)
        if view is not None:
            if view not in VIEWS:
                raise RuleError("error.rule.bad_view", views=", ".join(VIEWS), view=view)
            rules = tuple(r for r in rules if view == "any" or r.view in (view, "any"))
        return RuleSet(self.name, rules)

    def evaluate(
        self, person: Person, view: str | None = None, contexts: frozenset[str] | None = None
    ) -> list[Verdict]:
        """Verdicts in rule order. ``view`` (front / side / any) is estimated per person when not given,
        so that, say, shoulder_level is unknown rather than alarming on a person seen side-on or half
        hidden. ``contexts`` (for rules with ``when``) are judged from this picture when not given."""
        seen = view or estimate_view(person.keypoints)
        if contexts is None and any(rule.when is not None for rule in self.rules):
            contexts = photo_contexts(person.keypoints)
        return [evaluate_rule(rule, person.keypoints, seen, contexts) for rule in self.rules]

    def table(self) -> list[dict[str, str]]:
        """One row per rule: id, kind, view, unit and titles (for ``rules list``)."""
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "view": r.view,
                "unit": r.unit or "-",
                "en": r.title["en"],
                "zh": r.title["zh"],
            }
            for r in self.rules
        ]


def catalog_table(name_or_path: str | os.PathLike[str] = "default") -> str:
    """The rules of a catalog as an aligned text table."""
    rows = RuleSet.load(name_or_path).table()
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)

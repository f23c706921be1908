"""Posture rules as data: geometry primitives, YAML rule files, verdicts, per-track debounce."""

from pose_demo.rules.ruleset import RuleSet, Verdict, catalog_names, catalog_table
from pose_demo.rules.schema import RuleError
from pose_demo.rules.tracker import RuleTracker

__all__ = ["RuleError", "RuleSet", "RuleTracker", "Verdict", "catalog_names", "catalog_table"]

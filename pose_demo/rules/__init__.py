"""Posture rules as data: geometry primitives, YAML rule files, verdicts, per-track debounce."""

from pose_demo.rules.ruleset import RuleSet, catalog_names, catalog_table
from pose_demo.rules.schema import RuleError
from pose_demo.rules.tracker import RuleTracker

__all__ = ["RuleError", "RuleSet", "RuleTracker", "catalog_names", "catalog_table"]

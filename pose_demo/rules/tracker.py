"""Debounced rule verdicts for streams, kept per track."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from pose_demo.results import Person
from pose_demo.rules.ruleset import RuleSet, Verdict

_SEVERITY_LEVELS = ("ok", "mild", "severe")


class RuleTracker:
    """Evaluates a rule set per tracked person; a screening or action rule holds (and keeps its grade)
    only once it held in at least ``n`` of the last ``m`` frames of that track (the rule's ``debounce``).

    Persons without a ``track_id`` and rules without a debounce get the plain per-frame verdict.
    Call ``forget`` with the ids of tracks that ended to drop their history.
    """

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._by_id = {r.id: r for r in rules.rules}
        self._history: dict[tuple[int, str], deque[int]] = {}

    def evaluate(self, person: Person) -> list[Verdict]:
        verdicts = self.rules.evaluate(person)
        if person.track_id is None:
            return verdicts
        return [self._debounced(person.track_id, v) for v in verdicts]

    def forget(self, track_ids: Iterable[int]) -> None:
        gone = set(track_ids)
        for key in [k for k in self._history if k[0] in gone]:
            del self._history[key]

    def _debounced(self, track_id: int, verdict: Verdict) -> Verdict:
        rule = self._by_id[verdict.id]
        if rule.debounce is None:
            return verdict
        n, m = rule.debounce
        history = self._history.setdefault((track_id, verdict.id), deque(maxlen=m))
        history.append(2 if verdict.level == "severe" else int(verdict.triggered))
        severity = max((s for s in (1, 2) if sum(h >= s for h in history) >= n), default=0)
        level = verdict.level
        if rule.thresholds is not None and not (severity == 0 and level == "unknown"):
            level = _SEVERITY_LEVELS[severity]
        return replace(verdict, triggered=severity > 0, level=level)

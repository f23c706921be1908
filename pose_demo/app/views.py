"""What several tabs show besides the pictures: the per-person verdict table (the Image and Webcam tabs, the
live channel) and its cells, table headers in the user's language, counts with their noun."""

from __future__ import annotations

from collections.abc import Sequence

import gradio as gr
import pandas as pd

from pose_demo.app.language import Localised, ui
from pose_demo.i18n import title_in, translate
from pose_demo.report.session import format_range
from pose_demo.results import CheckResult, FrameResult, LiveCount, Person, Verdict

PERSON_COLUMNS = ("person", "track")  # then one column per rule (catalog keys ui.column.*)
UNMET = ("front", "side", "standing_still")  # the views and contexts a rule may need (ui.verdict.unmet.*)


def columns(names: Sequence[str], language: str) -> list[str]:
    """Table headers in ``language`` (Gradio does not translate a table's headers)."""
    return [translate(f"ui.column.{name}", language) for name in names]


def unit_text(unit: str, language: str) -> str:
    """A rule's unit in words: degrees, or body-scale lengths (torso lengths)."""
    return translate(f"ui.unit.{unit}", language) if unit in ("deg", "body") else unit


def verdict_cell(verdict: Verdict, language: str = "en") -> str:
    """A verdict in a few words: "141.2 deg", "4.1 deg, mild", "yes" (an action that holds), "not seen"; a
    rule out of its view or context says which ("needs front view", "not standing still (12.0 deg)").

    In streams a debounced grade can outlive its value for a frame or two ("mild", value unknown).
    """

    def t(key: str, **params: object) -> str:
        return translate(f"ui.verdict.{key}", language, **params)

    unit = unit_text(verdict.unit, language)
    if verdict.level == "unknown":
        if verdict.unmet is None:
            return t("not_seen")
        why = t(f"unmet.{verdict.unmet}") if verdict.unmet in UNMET else t("unmet.other", what=verdict.unmet)
        if verdict.value is None or not verdict.unit:
            return why
        return t("unmet_value", why=why, value=f"{verdict.value:.1f}", unit=unit)
    if not verdict.unit:  # an action or a combined condition: whether it holds
        return t("yes") if verdict.triggered else t("no")
    parts = [] if verdict.value is None else [f"{verdict.value:.1f} {unit}"]
    parts += [t(verdict.level)] if verdict.level in ("mild", "severe") else []
    return t("separator").join(parts) or t("not_seen")


def verdict_table(result: FrameResult, language: str = "en", first: int = 1) -> pd.DataFrame:
    """One row per person: its number (from ``first``, as labelled on the picture), track id, the
    repetitions so far when an exercise is counted ("3 squat") and the last one's metrics (see
    ``last_rep_cell``), then one column per rule, titled by the rule (see ``verdict_cell``)."""
    titles = [title_in(v.title, language) for v in result.persons[0].rules] if result.persons else []
    counting = any(p.reps is not None for p in result.persons)
    rows = [
        [
            number,
            "" if person.track_id is None else person.track_id,
            *([_reps_cell(person, language), last_rep_cell(person.reps, language)] if counting else []),
            *(verdict_cell(v, language) for v in person.rules),
        ]
        for number, person in enumerate(result.persons, start=first)
    ]
    reps_columns = ("reps", "last_rep") if counting else ()
    return pd.DataFrame(rows, columns=[*columns((*PERSON_COLUMNS, *reps_columns), language), *titles])


def _reps_cell(person: Person, language: str) -> str:
    reps = person.reps
    if reps is None:
        return ""
    return translate("ui.reps.count", language, count=reps.count, exercise=reps.name(language))


def checks_cell(checks: Sequence[CheckResult], language: str) -> str:
    """A repetition's form checks in a few words: "ok", the ones that failed ("failed: Depth"), and the
    ones that could not be measured ("not measurable here: Elbows well bent"): never "ok" for those. A
    check made for another view (a front-view check of a side-view squat) does not apply: not listed."""
    separator = translate("ui.list_separator", language)
    parts = [
        translate(key, language, checks=separator.join(names))
        for key, level in (("ui.reps.checks_failed", "fail"), ("ui.reps.checks_unknown", "unknown"))
        if (names := [title_in(c.title, language) for c in checks if c.level == level and c.reason != "view"])
    ]
    return translate("ui.reps.checks_part_separator", language).join(parts) or translate(
        "ui.reps.checks_ok", language
    )


def last_rep_cell(count: LiveCount | None, language: str = "en") -> str:
    """The last repetition counted in a few words: "2.1 s, 68 to 165 deg, ok" or "..., failed: Depth"."""
    rep = None if count is None else count.last
    if count is None or rep is None:
        return ""
    return translate(
        "ui.reps.last",
        language,
        duration=f"{rep.duration:.1f}",
        range=format_range(*rep.range, count.unit, language),
        checks=checks_cell(rep.checks, language),
    )


def empty_verdicts(language: str) -> pd.DataFrame:
    """The per-person verdict table before any result: its headers only."""
    return verdict_table(FrameResult([], (0, 0)), language)


def verdict_dataframe(label_key: str, elem_id: str, localised: Localised) -> gr.Dataframe:
    """A tab's per-person verdict table, its headers in the page's language once loaded."""
    table = gr.Dataframe(
        headers=list(PERSON_COLUMNS), label=ui(label_key), interactive=False, elem_id=elem_id
    )
    localised.append((table, empty_verdicts))
    return table

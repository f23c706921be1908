"""The settings shared by the app's tabs and its API: choices, defaults, and checks of what a client sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pose_demo.analysis import AnalysisOptions
from pose_demo.checks import check_choice, check_number
from pose_demo.classifier.model import Classifier, named_classifiers
from pose_demo.focus import FOCUS_MODES
from pose_demo.i18n import Message, UserError, translate
from pose_demo.models.budget import AUTO_KEYPOINTS
from pose_demo.models.presets import DEFAULT_PRESET, PRESETS, resolve_preset
from pose_demo.models.registry import DEFAULT_DETECTOR, INT8_SUFFIX
from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.rules import RuleError, RuleSet
from pose_demo.rules.schema import Rule
from pose_demo.tracking import SMOOTHING_KINDS
from pose_demo.visualization.draw import DrawOptions

# value -> the catalog key of its label in the UI (pose_demo/i18n; the values are what API clients send)
ACCURATE_DETECTOR = "picodet_s_320_lcnet_pedestrian"
DETECTORS = {
    "picodet_s_192_lcnet_pedestrian": "ui.choice.detector.fast",
    ACCURATE_DETECTOR: "ui.choice.detector.accurate",
    ACCURATE_DETECTOR + INT8_SUFFIX: "ui.choice.detector.int8",
}
KEYPOINT_MODELS = {
    AUTO_KEYPOINTS: "ui.choice.keypoints.auto",  # the default: chosen by the job and its time (models.budget)
    "tinypose_128x96": "ui.choice.keypoints.fast",
    "tinypose_256x192": "ui.choice.keypoints.accurate",
    "tinypose_128x96" + INT8_SUFFIX: "ui.choice.keypoints.int8",
}
# Speed presets (pose_demo/models/presets.py): they set the two models above.
PRESET_LABELS = {preset: f"ui.choice.preset.{preset}" for preset in PRESETS}
SMOOTHING = {kind: f"ui.choice.smoothing.{kind}" for kind in SMOOTHING_KINDS}
FOCUS = {mode: f"ui.choice.focus.{mode}" for mode in FOCUS_MODES}
SHOW = ("boxes", "scores", "track ids", "angles", "rule labels")
DEFAULT_SHOW = ("boxes", "track ids", "angles", "rule labels")
# Joint angles drawn as arcs, and the two screening rules that read well on any photo.
DEFAULT_RULES = (
    "left_knee_angle",
    "right_knee_angle",
    "left_elbow_angle",
    "right_elbow_angle",
    "trunk_lean",
    "shoulder_level",
    "hand_over_head",
)
# The analysis options set by controls of the same name (the rules come from ``rules`` / ``rule_file``;
# the exercise catalog is the built-in one: clients send no file paths).
ANALYSIS_CONTROLS = tuple(
    n for n in AnalysisOptions.__dataclass_fields__ if n not in ("rules", "exercise_catalog")
)
DRAWING = ("kp_threshold", "thickness", "show")  # the settings that only change how results are drawn
THICKNESS_RANGE = (0.25, 4.0)
MAX_DURATION_RANGE = (1.0, 600.0)  # seconds of video
FRAME_STRIDE_RANGE = (1, 30)


class SettingsError(UserError, ValueError):
    """A setting a client sent is not one of the allowed values; the message says which are."""


@dataclass(frozen=True)
class SessionClassifiers:
    """The classifiers of one session (trained or uploaded in its Teach tab): by name, for the rule files it
    uploads (``model: NAME``), and the classifier rules switched on, judged after the rules chosen. Held in
    a ``gr.State``, never sent by a client."""

    classifiers: Mapping[str, Classifier] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()

    def add_to(self, rules: RuleSet | None) -> RuleSet | None:
        """``rules`` followed by the session's classifier rules (a rule of the same id is not repeated)."""
        if not self.rules:
            return rules
        base = rules or RuleSet("session", ())
        return RuleSet(base.name, base.rules + tuple(r for r in self.rules if r.id not in base.ids))


def _subset(name: Message, values: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    values = [] if values is None else list(values) if isinstance(values, list | tuple) else [values]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise SettingsError(
            "error.settings.unknown_values", name=name, values=unknown, allowed=", ".join(allowed)
        )
    return tuple(values)


@dataclass(frozen=True)
class Settings:
    """Every setting of the settings panel, checked. Each tab reads the ones it needs.

    ``analysis`` holds the analysis options set by controls named like its fields (``ANALYSIS_CONTROLS``);
    its rules are chosen apart: ``rules`` are ids of the built-in catalog, and a ``rule_file`` (path of an
    uploaded YAML), when given, replaces them with all of its own rules (see ``analysis_options``).
    A ``preset`` sent sets the detector and keypoint model that were not sent (``resolve_preset``); the
    keypoint model ``auto`` is chosen by each job (``pose_demo.models.budget``).
    """

    detector: str = DEFAULT_DETECTOR
    keypoint_model: str = AUTO_KEYPOINTS
    preset: str = DEFAULT_PRESET
    analysis: AnalysisOptions = AnalysisOptions(det_threshold=0.5)
    rules: tuple[str, ...] = DEFAULT_RULES
    rule_file: str | None = None
    kp_threshold: float = MIN_KEYPOINT_SCORE
    thickness: float = 1.0
    show: tuple[str, ...] = DEFAULT_SHOW
    max_duration: float = 60.0
    frame_stride: int = 1
    # The session's classifiers: set by ``PoseApp.settings`` from the session's state, never by a client.
    classifiers: SessionClassifiers = field(default=SessionClassifiers(), compare=False, repr=False)

    @classmethod
    def parse(cls, catalog: RuleSet, **values: Any) -> Settings:
        """Settings from the values a tab or an API client sent (missing ones take their defaults).

        Raises SettingsError naming the setting and its allowed values.
        """
        own = set(cls.__dataclass_fields__) - {"analysis", "classifiers"}
        unknown = sorted(set(values) - own - set(ANALYSIS_CONTROLS))
        if unknown:
            raise SettingsError("error.settings.unknown", names=unknown)
        d = cls()
        if "preset" in values:  # the preset's models, unless the client named them
            choice = resolve_preset(
                check_choice(Message("error.option.name.preset"), values["preset"], PRESETS, SettingsError)
            )
            values.setdefault("detector", choice.detector)
            values.setdefault("keypoint_model", choice.keypoints)
        if "exercise" in values:  # the exercise menu's "Off" is an empty value
            values["exercise"] = values["exercise"] or None
        if "person" in values:  # 0, or the number box emptied: nobody chosen
            values["person"] = values["person"] or None
        try:
            analysis = replace(d.analysis, **{k: v for k, v in values.items() if k in ANALYSIS_CONTROLS})
        except UserError as e:
            raise SettingsError(e.message.key, **e.message.params) from e
        s = replace(d, **{k: v for k, v in values.items() if k in own})
        return replace(
            s,
            detector=check_choice(
                Message("error.option.name.detector"), s.detector, list(DETECTORS), SettingsError
            ),
            keypoint_model=check_choice(
                Message("error.option.name.keypoint_model"),
                s.keypoint_model,
                list(KEYPOINT_MODELS),
                SettingsError,
            ),
            analysis=analysis,
            rules=_subset(Message("error.settings.rules"), s.rules, catalog.ids),
            rule_file=s.rule_file or None,
            kp_threshold=check_number(
                Message("error.option.name.keypoint_threshold"), s.kp_threshold, 0.0, 1.0, error=SettingsError
            ),
            thickness=check_number(
                Message("error.option.name.line_thickness"),
                s.thickness,
                *THICKNESS_RANGE,
                error=SettingsError,
            ),
            show=_subset(Message("error.settings.drawing_options"), s.show, SHOW),
            max_duration=check_number(
                Message("error.option.name.maximum_duration"),
                s.max_duration,
                *MAX_DURATION_RANGE,
                error=SettingsError,
            ),
            frame_stride=int(
                check_number(
                    Message("error.option.name.frame_stride"),
                    s.frame_stride,
                    *FRAME_STRIDE_RANGE,
                    whole=True,
                    error=SettingsError,
                )
            ),
        )

    @property
    def models(self) -> tuple[str, str]:
        return self.detector, self.keypoint_model

    def analysis_options(self, catalog: RuleSet) -> AnalysisOptions:
        """The analysis options with the rules chosen (loading the rule file, if any)."""
        return replace(self.analysis, rules=self.rule_set(catalog))

    def draw_options(self, language: str = "en") -> DrawOptions:
        """How to draw, with the labels on the picture in ``language``."""
        return DrawOptions(
            language=language,
            keypoint_threshold=self.kp_threshold,
            thickness=self.thickness,
            show_boxes="boxes" in self.show,
            show_labels="scores" in self.show,
            show_track_ids="track ids" in self.show,
            show_angles="angles" in self.show,
            show_rule_labels="rule labels" in self.show,
        )

    def rule_set(self, catalog: RuleSet) -> RuleSet | None:
        """The rules to evaluate: all of the uploaded file's, else the chosen built-in ones, then the
        session's classifier rules (None: none)."""
        if self.rule_file:
            rules = load_rule_file(self.rule_file, self.classifiers.classifiers)
        else:
            rules = catalog.select(self.rules) if self.rules else None
        return self.classifiers.add_to(rules)


def preset_models(preset: str, model_dir: str | None = None, language: str = "en") -> tuple[str, str, str]:
    """The detector and keypoint model of ``preset`` for the settings panel, and a line (in ``language``)
    saying which INT8 variants are missing (empty when none is)."""
    choice = resolve_preset(
        check_choice(Message("error.option.name.preset"), preset, PRESETS, SettingsError), model_dir=model_dir
    )
    missing = tuple(
        kind
        for kind, given in (("detector", choice.detector), ("keypoints", choice.keypoints))
        if preset == "fast" and not given.endswith(INT8_SUFFIX)
    )
    notice = translate(f"ui.preset.no_int8.{'_'.join(missing)}", language) if missing else ""
    return choice.detector, choice.keypoints, notice


def load_rule_file(path: str, classifiers: Mapping[str, Classifier] | None = None) -> RuleSet:
    """An uploaded rule file; errors name the file as uploaded, not its temporary path. Its classifier
    rules may use the session's ``classifiers`` (by name) and nothing else: no file on the server."""
    try:
        return RuleSet.load(path, named_classifiers(classifiers or {}))
    except RuleError as e:  # the file's name as uploaded, in place of its temporary path
        raise RuleError(e.message.key, **{**e.message.params, "file": Path(path).name}) from e
    except (OSError, UnicodeDecodeError) as e:
        raise RuleError("error.rule.unreadable", file=Path(path).name, reason=e) from e

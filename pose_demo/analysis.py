"""What to find in a picture, and finding it: ``AnalysisOptions`` and ``analyse_image``.

``AnalysisOptions`` is the one set of analysis options: the library, the command line and the app each
build it once and pass it whole (``PoseStream`` and ``process_video`` take it too). A new option is a
field here (checked in ``__post_init__``), read where it acts, plus its app control and CLI flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from pose_demo.checks import check_choice, check_number
from pose_demo.enhance import enhance_dark
from pose_demo.exercises.schema import load_catalog
from pose_demo.focus import FOCUS_MODES, focus_persons
from pose_demo.i18n import Message
from pose_demo.predictor import UniModel
from pose_demo.results import FrameResult
from pose_demo.rules import RuleSet
from pose_demo.tracking import SMOOTHING_KINDS


@dataclass(frozen=True)
class AnalysisOptions:
    """How pictures are analysed, from pixels to verdicts. Checked on construction (ValueError).

    det_threshold: the person detection threshold, 0..1; None: the model's own.
    focus: "everyone", or keep only the main person, the "largest" or most "central" one.
    enhance: detect and find keypoints on a brightened copy (``enhance_dark``), for low light.
    rules: a rule set evaluated on every person (None: no verdicts).
    smoothing, strength: the keypoint filter per track and its 0..1 strength (frames in time only).
    det_interval: run the detector on every k-th frame only, following the tracks in between (frames in
        time only).
    exercise: count repetitions per track: an exercise id of ``exercise_catalog``, or "auto" (per track,
        the clearest repeated movement); None: no counting (frames in time only; see ``pose_demo.exercises``).
    exercise_catalog: the exercises: a built-in catalog's name or a YAML file (see docs/exercises.md).
    bone_repair: per track, a limb joint whose bone suddenly changes length (a wrist jumping to the back for
        a frame) is put back in line (``pose_demo.tracking.bones``; frames in time only).
    person: follow this one person only, in place of ``focus``: in a picture, its number as labelled
        (1 for the first found); in frames in time, its track id and the tracks that continue it (nobody
        once it is gone). None: as ``focus`` says.
    flip_main: the flip test for the main person (the largest, or the most central with ``focus``
        "central"): its crop also runs mirrored and the two are averaged (+1.4 COCO AP with ground-truth
        boxes, README), at twice that person's keypoint cost.
    """

    det_threshold: float | None = None
    focus: str = "everyone"
    enhance: bool = False
    rules: RuleSet | None = None
    smoothing: str = "oneeuro"
    strength: float = 0.5
    det_interval: int = 1
    exercise: str | None = None
    exercise_catalog: str = "default"
    bone_repair: bool = True
    person: int | None = None
    flip_main: bool = False

    def __post_init__(self) -> None:
        if self.det_threshold is not None:
            check_number(Message("error.option.name.detection_threshold"), self.det_threshold, 0.0, 1.0)
        check_choice(Message("error.option.name.focus"), self.focus, FOCUS_MODES)
        check_choice(Message("error.option.name.smoothing"), self.smoothing, SMOOTHING_KINDS)
        check_number(Message("error.option.name.smoothing_strength"), self.strength, 0.0, 1.0)
        check_number(
            Message("error.option.name.detection_interval"), self.det_interval, 1, math.inf, whole=True
        )
        if self.person is not None:  # a whole number (a page may send 3.0): kept as an int
            check_number(Message("error.option.name.person"), self.person, 1, math.inf, whole=True)
            object.__setattr__(self, "person", int(self.person))
        if self.exercise is not None:
            check_choice(
                Message("error.option.name.exercise"),
                self.exercise,
                ["auto", *load_catalog(self.exercise_catalog).ids],
            )

    @property
    def flip(self) -> bool | str:
        """``UniModel.predict``'s ``flip``: the focus mode that picks the main person, or False."""
        return (self.focus if self.focus != "everyone" else "largest") if self.flip_main else False


def analyse_image(
    model: UniModel, image_bgr: np.ndarray, options: AnalysisOptions = AnalysisOptions()
) -> FrameResult:
    """The persons in one picture: (enhance) -> detect + keypoints -> (focus) -> rule verdicts.

    Smoothing and the detection interval concern frames in time: see ``PoseStream``.
    """
    if options.enhance:
        image_bgr = enhance_dark(image_bgr)
    result = model.predict(image_bgr, options.det_threshold, options.flip)
    if options.person is not None:  # the person numbered so, if there is one
        persons = result.persons[options.person - 1 : options.person]
    else:
        persons = focus_persons(result.persons, result.image_size, options.focus)
    if options.rules is not None:
        persons = [replace(p, rules=options.rules.evaluate(p)) for p in persons]
    return FrameResult(persons, result.image_size)

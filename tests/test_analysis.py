"""One analysis path: AnalysisOptions checked on construction, analyse_image (enhance, focus, rules), typed
results checked on construction."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pose_demo import AnalysisOptions, Box, Person, RuleSet, UniModel, analyse_image, load_image
from pose_demo.enhance import enhance_dark
from pose_demo.focus import focus_persons
from tests.conftest import IMAGES, REPO

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"  # 3 persons
DARK = IMAGES / "dark_exlpose_0212_vid000020_exp400_000052.png"  # 1 person, too dark as it is


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"det_threshold": 1.5}, "The detection threshold must be a number from 0.0 to 1.0, not 1.5."),
        (
            {"focus": "tallest"},
            "The focus 'tallest' is not available: choose one of everyone, largest, central.",
        ),
        ({"smoothing": "median"}, "The smoothing 'median' is not available: choose one of oneeuro"),
        ({"strength": -0.1}, "The smoothing strength must be a number from 0.0 to 1.0, not -0.1."),
        ({"det_interval": 0}, "The detection interval must be a whole number of at least 1, not 0."),
        ({"det_interval": 1.5}, "The detection interval must be a whole number of at least 1, not 1.5."),
    ],
)
def test_analysis_options_refuse_bad_values(options: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        AnalysisOptions(**options)
    assert str(error.value).startswith(message)


def test_analyse_image_applies_every_option(fast_model: UniModel) -> None:
    image = load_image(WALKERS)
    plain = analyse_image(fast_model, image)
    assert len(plain) == 3 and all(not p.rules for p in plain.persons)
    raw = fast_model.predict(image)
    assert [p.box for p in plain.persons] == [p.box for p in raw.persons]  # no option: the models' result

    largest = analyse_image(fast_model, image, AnalysisOptions(focus="largest"))
    assert [p.box for p in largest.persons] == [
        p.box for p in focus_persons(raw.persons, raw.image_size, "largest")
    ]

    rules = RuleSet.load("default")
    judged = analyse_image(fast_model, image, AnalysisOptions(rules=rules))
    assert [[v.id for v in p.rules] for p in judged.persons] == [rules.ids] * 3
    assert judged.persons[0].rules == rules.evaluate(raw.persons[0])

    assert len(analyse_image(fast_model, image, AnalysisOptions(det_threshold=0.99))) == 0

    dark = load_image(DARK)
    assert len(analyse_image(fast_model, dark)) == 0
    (found,) = analyse_image(fast_model, dark, AnalysisOptions(enhance=True)).persons
    assert found.box == fast_model.predict(enhance_dark(dark)).persons[0].box


def test_person_keypoints_are_checked_on_construction() -> None:
    box = Box(0, 0, 10, 10)
    Person(box, 0.9, np.zeros((17, 3), np.float32))
    for shape in [(17, 2), (3, 17), (16, 3), (17,)]:
        with pytest.raises(ValueError, match=r"keypoints must be a \(17, 3\) array of x, y, score, not"):
            Person(box, 0.9, np.zeros(shape, np.float32))


def test_readme_library_example_runs(tmp_path: Path) -> None:
    """The README's library snippet, as a user would paste it, next to a photo of three walkers."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("## Library", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    shutil.copy(WALKERS, tmp_path / "photo.jpg")
    proc = subprocess.run(
        [sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    printed = ast.literal_eval(proc.stdout.strip())
    assert len(printed["persons"]) == 1
    assert [r["id"] for r in printed["persons"][0]["rules"]] == RuleSet.load("default").ids
    assert load_image(tmp_path / "annotated.jpg").shape == load_image(WALKERS).shape


def test_every_analysis_option_reaches_the_cli_and_the_app_by_name() -> None:
    """An option is spelt once: a field of AnalysisOptions, read by name by the CLI and the app's settings."""
    from pose_demo.app.settings import ANALYSIS_CONTROLS, Settings, SettingsError
    from pose_demo.cli import build_parser
    from pose_demo.cli.common import analysis_from_args

    fields = [name for name in AnalysisOptions.__dataclass_fields__ if name != "rules"]
    # The app sets every one but the exercise catalog: clients send no file paths.
    assert list(ANALYSIS_CONTROLS) == [name for name in fields if name != "exercise_catalog"]
    flags = ["--det-threshold", "0.4", "--focus", "central", "--enhance", "--smoothing", "ema", "--strength"]
    flags += ["0.7", "--det-interval", "3", "--rules", "default", "--exercise", "squat"]
    args = build_parser().parse_args(["video", "x.mp4", *flags, "--exercise-catalog", "default"])
    options = analysis_from_args(args)
    assert options == AnalysisOptions(0.4, "central", True, RuleSet.load("default"), "ema", 0.7, 3, "squat")
    catalog = RuleSet.load("default")
    values = {"det_threshold": 0.4, "focus": "central", "enhance": True, "smoothing": "ema", "strength": 0.7}
    settings = Settings.parse(catalog, **values, det_interval=3, rules=["trunk_lean"], exercise="auto")
    assert settings.analysis_options(catalog) == AnalysisOptions(
        0.4, "central", True, catalog.select(["trunk_lean"]), "ema", 0.7, 3, "auto"
    )
    assert Settings.parse(catalog, exercise="").analysis.exercise is None  # the menu's "Off"
    with pytest.raises(SettingsError, match="Unknown settings"):
        Settings.parse(catalog, exercise_catalog="/etc/passwd")

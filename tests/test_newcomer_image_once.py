"""Issue 26, item 4: one analysis per photo. An upload analyses it (``/predict_image``, unchanged); the
"Find poses" button runs again only when the photo or the settings changed since, or there is no result."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from playwright.sync_api import Playwright, expect

from pose_demo.app import image_tab as image_module
from pose_demo.app.core import PoseApp
from pose_demo.app.image_tab import ImageTab
from pose_demo.app.layout import build_demo
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.uploads import UploadFolders
from pose_demo.bench.served import served_app
from pose_demo.rules import RuleSet
from tests.conftest import DATA_DIR, IMAGES, MODEL_DIR
from tests.test_browser import TIMEOUT_MS, VIEWPORT, launch, playwright  # noqa: F401 (fixture)

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outputs")


@pytest.fixture(scope="module")
def pose_app(outputs: Path) -> PoseApp:
    uploads = UploadFolders.of(DATA_DIR)
    return PoseApp(LoadedModels(MODEL_DIR), OutputFolders(outputs), RuleSet.load("default"), uploads=uploads)


def skipped(values: tuple[Any, ...]) -> bool:
    return all(v == gr.skip() for v in values)


def test_the_button_does_not_analyse_a_photo_shown_analysed(
    pose_app: PoseApp, outputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    analyse = image_module.analyse_image

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return analyse(*args, **kwargs)

    monkeypatch.setattr(image_module, "analyse_image", counted)
    tab = ImageTab(pose_app)
    photo = {"path": str(WALKERS), "orig_name": WALKERS.name}
    settings = {"det_threshold": 0.5, "rules": ["shoulder_tilt"]}

    # the upload: cleared, analysed, its details made once
    *_, button = cleared = tab.clear_image()
    assert cleared[2] is None and button.interactive is False  # no second run while this one runs
    _, result, analysis = tab.predict_image(photo, **settings)
    *_, json_path, analysis, button = tab.new_details(analysis)
    assert button.interactive is True
    assert runs == [1] and len(result["persons"]) == 3 and analysis.details == json_path
    made = sorted(outputs.rglob("*"))

    # the button, nothing changed: nothing runs, nothing is written, the outputs stay
    assert tab.is_current(photo, analysis, **settings)
    assert skipped(tab.clear_stale(photo, analysis, **settings))
    assert skipped(tab.predict_stale(photo, analysis, **settings))
    *details, button = tab.new_details(analysis)
    assert skipped(tuple(details)) and button.interactive is True
    assert runs == [1] and sorted(outputs.rglob("*")) == made

    # a setting changed: the button analyses again, once
    changed = {**settings, "det_threshold": 0.3}
    cleared = tab.clear_stale(photo, analysis, **changed)
    assert cleared[2] is None and not skipped(cleared)
    _, _, again = tab.predict_stale(photo, None, **changed)
    assert runs == [1, 1] and again.details is None
    assert not tab.is_current(photo, again, **settings) and tab.is_current(photo, again, **changed)

    # another photo, or no result yet (a failed analysis): the button analyses
    other = {"path": str(STANDING), "orig_name": STANDING.name}
    assert not tab.is_current(other, again, **changed)
    assert not tab.is_current(photo, None, **changed)
    assert not tab.is_current(None, again, **changed)


def test_wiring_one_analysis_per_event(pose_app: PoseApp) -> None:
    """The upload starts the analysis (the API's /predict_image); the button starts its own chain, which
    checks first; nothing else starts an analysis of the photo."""
    demo = build_demo(pose_app, [], [])
    ids = {getattr(b, "elem_id", None): k for k, b in demo.blocks.items()}
    run, photo = ids["image-run"], ids["image-input"]
    fns = list(demo.fns.values())

    def started_by(block: int, event: str) -> list[str]:
        return [f.fn.__name__ for f in fns if (block, event) in f.targets]

    assert started_by(run, "click") == ["clear_stale"]
    assert started_by(photo, "upload") == ["clear_image"]
    assert started_by(photo, "change") == []
    (api,) = [f for f in fns if f.api_name == "predict_image"]
    assert api.fn.__name__ == "predict_image" and api.api_visibility != "private"
    first_of_upload = next(f for f in fns if (photo, "upload") in f.targets)
    assert api.trigger_after == first_of_upload._id
    after_button = [
        f for f in fns if f.trigger_after == next(g._id for g in fns if (run, "click") in g.targets)
    ]
    assert [f.fn.__name__ for f in after_button] == ["predict_stale"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app as a user starts it; its output folders under its own temporary folder, to be counted."""
    workdir = tmp_path_factory.mktemp("app")
    temp = workdir / "tmp"
    temp.mkdir()
    env = {
        "POSE_DEMO_MODEL_DIR": str(MODEL_DIR),
        "POSE_DEMO_EXAMPLES_DIR": str(DATA_DIR),
        "TMPDIR": str(temp),
    }
    with served_app(workdir, env) as url:
        yield url, temp


def test_in_the_browser_upload_then_button_gives_one_analysis(
    playwright: Playwright,  # noqa: F811
    served: tuple[str, Path],
) -> None:
    url, temp = served
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.locator("#image-input input[type=file]").set_input_files(WALKERS)  # an upload analyses
        page.locator("#image-summary", has_text="3 persons found").wait_for()
        page.locator("#image-json a").first.wait_for()
        assert len(list(temp.rglob("*_pose.jpg"))) == 1 and len(list(temp.rglob("*_poses.json"))) == 1
        page.locator("#image-run").click()  # nothing changed: nothing runs again
        page.wait_for_timeout(4000)
        assert "3 persons found" in page.locator("#image-summary").inner_text()
        assert page.locator("#image-output img").count() == 1
        assert len(list(temp.rglob("*_pose.jpg"))) == 1 and len(list(temp.rglob("*_poses.json"))) == 1
        page.locator("#settings").get_by_text("Settings").first.click()
        page.get_by_label("Enhance dark images").check()  # a setting changed: the button analyses again
        page.locator("#image-run").click()
        deadline = time.monotonic() + 60
        while len(list(temp.rglob("*_poses.json"))) < 2 and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        page.locator("#image-summary", has_text="3 persons found").wait_for()
        assert len(list(temp.rglob("*_pose.jpg"))) == 2 and len(list(temp.rglob("*_poses.json"))) == 2
        # the button pressed while an upload's analysis runs: disabled, it starts no second run
        page.locator("#image-input button[aria-label='Remove Image']").click()
        page.locator("#image-input input[type=file]").set_input_files(STANDING)
        expect(page.locator("#image-run")).to_be_disabled()
        page.locator("#image-run").click(force=True, no_wait_after=True)
        page.locator("#image-summary", has_text="1 person found").wait_for()
        page.wait_for_timeout(3000)
        assert page.locator("#image-run").is_enabled()
        assert len(list(temp.rglob("*_pose.jpg"))) == 3 and len(list(temp.rglob("*_poses.json"))) == 3
    finally:
        browser.close()

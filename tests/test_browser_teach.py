"""The Teach tab in a real browser (issue 13): two classes from time ranges of the squat clip, train, the
report shown, then the Video tab judges a short clip with the taught rule. Saves ``test-artifacts/teach.jpg``
(the report, for the README) and ``teach.png`` (the full page)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.conftest import VIDEOS
from tests.test_browser import (  # noqa: F401 (fixtures, found by pytest by name)
    ARTIFACTS,
    app_url,
    column,
    ffmpeg,
    page,
    playwright,
    rows,
    screenshots,
)

SQUAT = VIDEOS / "squat_side_view.mp4"
BOTTOMS = json.loads((VIDEOS / "reps.json").read_text())["clips"]["squat_side_view.mp4"]["times"]


@pytest.fixture(scope="module")
def teach_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The time ranges of the first two squats (deep around each bottom, standing before and between
    them), a 3 s clip around the third bottom for the Video tab and its bottom frame for the Image tab."""
    folder = tmp_path_factory.mktemp("teach")
    clip, photo = folder / "squat_3s.mp4", folder / "squat_bottom.jpg"
    b = BOTTOMS
    moments = [(b[0], "deep"), (b[1], "deep"), (b[0] - 1.5, "standing"), ((b[0] + b[1]) / 2, "standing")]
    ffmpeg("-ss", f"{b[2] - 1.5:.2f}", "-t", "3", "-i", str(SQUAT), "-vf", "scale=480:-2", "-an", str(clip))
    ffmpeg("-ss", f"{b[2]:.2f}", "-i", str(SQUAT), "-frames:v", "1", "-vf", "scale=480:-2", str(photo))
    rows = [[f"{t - 0.3:.2f}", f"{t + 0.3:.2f}", label] for t, label in moments]
    return {"rows": rows, "clip": clip, "photo": photo}


def test_teach_tab_trains_and_the_video_tab_uses_it(page: Page, teach_media: dict[str, Any]) -> None:  # noqa: F811
    page.get_by_role("tab", name="Teach").click()
    page.locator("#teach-class-1").get_by_role("textbox").fill("deep")
    page.locator("#teach-class-2").get_by_role("textbox").fill("standing")
    page.locator("#teach-video input[type=file]").set_input_files(SQUAT)
    page.locator("#teach-video video").wait_for()
    cells = page.locator("#teach-ranges [role=gridcell]")
    for i, value in enumerate(cell for row in teach_media["rows"] for cell in row):  # typed, as a user does
        cells.nth(i).dblclick()
        editor = page.locator("#teach-ranges textarea:focus, #teach-ranges input:focus")
        editor.fill(value)  # waits for the cell's editor (a busy machine opens it late)
        editor.press("Enter")
    assert rows(page, "teach-ranges") == 5  # the last row filled in: an empty one came for the next
    labels = [cell.split("\n")[0] for cell in column(page, "teach-ranges", 2)]  # the selected one has a menu
    assert labels == ["deep", "deep", "standing", "standing", ""]
    page.locator("#teach-train").click()
    report = page.locator("#teach-report", has_text="Cross-validated accuracy")
    report.wait_for()
    text = report.inner_text()
    assert "Examples: deep:" in text and "What it looks at most" in text
    assert rows(page, "teach-classes") == 2
    page.locator("#teach-figure img").wait_for()
    page.locator("#teach-preview img").first.wait_for()
    assert page.locator("#teach-preview img").count() >= 4  # a few frames of each class
    href = page.locator("#teach-model a").first.get_attribute("href")
    assert href.endswith("/posture.json")
    model = page.request.get(href).json()
    assert model["format"] == "pose-demo-classifier" and model["classes"] == ["deep", "standing"]
    screenshots(page, "teach")
    page.evaluate("document.querySelector('#teach-report').scrollIntoView(); window.scrollBy(0, -50)")
    page.screenshot(path=ARTIFACTS / "teach.jpg", type="jpeg", quality=70)  # the report, for the README

    page.locator("#teach-use").click()
    page.locator("#teach-status", has_text="Taught: deep").wait_for()

    page.get_by_role("tab", name="Image").click()  # the taught rule's verdict in the verdict table
    page.locator("#image-input input[type=file]").set_input_files(teach_media["photo"])
    page.locator("#image-summary", has_text="1 person found").wait_for()
    assert column(page, "image-verdicts", 2 + 7)[0].split("\n")[0] == "yes"  # after the 7 rules chosen
    assert "Taught: deep" in page.locator("#image-verdicts").inner_text()

    page.get_by_role("tab", name="Video").click()
    page.locator("#video-input input[type=file]").set_input_files(teach_media["clip"])
    page.locator("#video-summary strong").first.wait_for()
    href = page.locator("#video-json a").first.get_attribute("href")
    frames = page.request.get(href).json()["frames"]
    verdicts = [v for f in frames for p in f["persons"] for v in p["rules"] if v["id"] == "taught_deep"]
    assert len(verdicts) >= len(frames) - 3  # the squatting man, judged in (almost) every frame
    assert any(v["triggered"] for v in verdicts)  # at the bottom
    assert not all(v["triggered"] for v in verdicts)  # not 1.5 s before it
    csv_href = page.locator("#video-files a").first.get_attribute("href")
    header = page.request.get(csv_href).text().splitlines()[0].split(",")
    assert "taught_deep_p" in header
    # ... and the taught rule's verdicts over the clip show in the Video tab's table, per track
    table = page.locator("#video-verdicts")
    table.get_by_text("Taught: deep").wait_for()
    held = [c for c in table.locator("[role=gridcell]").all_inner_texts() if "% of frames" in c]
    some = [c for c in held if c.startswith("yes in ") and not c.startswith(("yes in 0 %", "yes in 100 %"))]
    assert some, held  # the bottom of the squat, not the standing before it

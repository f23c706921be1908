"""Issue 26 (items 3, 6, 7, 10) as a coach meets it in Chromium, in English and in Chinese: the exercise
menu on the Video and Webcam tabs (one choice), the time-range table that grows, a person followed by a
click on the Image or Video result, and what the page announces to screen readers, in its language.

Screenshots of the changed tabs are saved in ``test-artifacts/second_pass_<lang>_<tab>.png``
(``assets/screenshots/`` is refreshed from them by hand). The webcam's last frame and its session kept
are tested with the fake camera in ``tests/test_browser_reps.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Playwright, expect

from pose_demo.i18n import translate
from tests.conftest import IMAGES, VIDEOS
from tests.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    VIEWPORT,
    app_url,
    launch,
    playwright,
    rows,
)

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"
# Every text put in one of the page's live regions (what a screen reader announces), in order.
ANNOUNCED = """
window.announced = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    const node = change.target.nodeType === Node.TEXT_NODE ? change.target.parentElement : change.target;
    const region = node && node.closest && node.closest('[aria-live]');
    if (region && region.textContent.trim()) window.announced.push(region.textContent.trim());
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture(params=["en", "zh-CN"])
def page(request: pytest.FixtureRequest, playwright: Playwright, app_url: str) -> Iterator[Page]:  # noqa: F811
    lang = request.param
    browser = launch(playwright, *([f"--lang={lang}"] if lang != "en" else []))
    try:
        page = browser.new_page(viewport=VIEWPORT, locale=lang)
        page.set_default_timeout(TIMEOUT_MS)
        page.add_init_script(ANNOUNCED)
        page.goto(app_url)
        page.get_by_text(translate("ui.title", lang).lstrip("# ")).wait_for()
        page.lang = lang  # type: ignore[attr-defined]
        yield page
    finally:
        browser.close()


def t(page: Page, key: str, **params: Any) -> str:
    return translate(key, page.lang, **params)  # type: ignore[attr-defined]


def shot(page: Page, tab: str, element: Locator | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    if element is not None:
        element.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"second_pass_{page.lang}_{tab}.png")  # type: ignore[attr-defined]


def click_at(page: Page, image: Locator, x: float, y: float) -> None:
    """A click on the pixel (x, y) of a picture shown scaled to fit its element (object-fit: contain)."""
    box = image.bounding_box()
    assert box is not None
    width, height = image.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    scale = min(box["width"] / width, box["height"] / height)
    left = (box["width"] - width * scale) / 2
    top = (box["height"] - height * scale) / 2
    image.click(position={"x": left + x * scale, "y": top + y * scale})


def downloaded(page: Page, link: Locator) -> Any:
    """The JSON file a download link points at."""
    href = link.get_attribute("href")
    assert href is not None
    return page.request.get(href).json()


def alone(boxes: list[list[float]]) -> int:
    """The index of a box whose centre no other box holds (a click there picks that person)."""
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        if not any(a <= cx <= c and b <= cy <= d for j, (a, b, c, d) in enumerate(boxes) if j != k):
            return k
    raise AssertionError("every centre is inside another box")


def choose(page: Page, menu: str, option: str) -> None:
    page.locator(f"#{menu} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_exercise_menu_ranges_and_following_a_person(page: Page) -> None:
    squat = "Squat" if page.lang == "en" else "深蹲"  # type: ignore[attr-defined]

    # Item 7, the Image tab: a click on a person follows them; a click beside them shows everyone again.
    page.locator("#image-input input[type=file]").set_input_files(WALKERS)
    summary = page.locator("#image-summary")
    expect(summary).to_contain_text(t(page, "ui.count.person.other", n=3))
    boxes = [p["box"] for p in downloaded(page, page.locator("#image-json a").first)["persons"]]
    k = alone(boxes)
    x1, y1, x2, y2 = boxes[k]
    click_at(page, page.locator("#image-output img"), (x1 + x2) / 2, (y1 + y2) / 2)
    expect(summary).to_contain_text(t(page, "ui.count.person.one", n=1))
    expect(page.locator("#image-verdicts [role=gridcell][aria-colindex='1']").first).to_have_text(str(k + 1))
    shot(page, "image", page.locator("#image-output"))
    settings = page.locator("#settings").get_by_text(t(page, "ui.settings")).first
    settings.click()
    expect(page.locator("#person input")).to_have_value(str(k + 1))
    shot(page, "settings", page.locator("#person"))
    click_at(page, page.locator("#image-output img"), 2, 2)
    expect(summary).to_contain_text(t(page, "ui.count.person.other", n=3))
    expect(page.locator("#person input")).to_have_value("0")
    settings.click()  # closed again

    # Item 3: the exercise is chosen on the Video tab; the Webcam tab's menu shows the same choice.
    page.get_by_role("tab", name=t(page, "ui.tab.video")).click()
    choose(page, "video-exercise", squat)
    page.get_by_role("tab", name=t(page, "ui.tab.webcam")).click()
    expect(page.locator("#webcam-exercise input")).to_have_value(squat)
    shot(page, "webcam")
    choose(page, "webcam-exercise", t(page, "ui.choice.exercise.off"))
    page.get_by_role("tab", name=t(page, "ui.tab.video")).click()
    expect(page.locator("#video-exercise input")).to_have_value(t(page, "ui.choice.exercise.off"))

    # Item 7, the Video tab: a click on a person in the frame to choose from follows their track.
    page.locator("#video-input input[type=file]").set_input_files(STREET)
    pick = page.locator("#video-pick img")
    pick.wait_for()
    frames = downloaded(page, page.locator("#video-json a").first)["frames"]
    persons = max(frames, key=lambda f: len(f["persons"]))["persons"]  # the first with the most
    k = alone([p["box"] for p in persons])
    x1, y1, x2, y2 = persons[k]["box"]
    click_at(page, pick, (x1 + x2) / 2, (y1 + y2) / 2)
    track = str(persons[k]["track_id"])
    expect(page.locator("#person input")).to_have_value(track)
    page.wait_for_function(  # the plot's track too ("#3: 0.8 s, ...", "#3：0.8 秒，...")
        "(id) => /^#(\\d+)/.exec(document.querySelector('#video-track input').value)?.[1] === id", arg=track
    )
    shot(page, "video", pick)

    # Item 10: what the page announced to screen readers is in its language, none of Gradio's keys.
    page.wait_for_function("(done) => window.announced.includes(done)", arg=t(page, "common.complete"))
    announced = page.evaluate("() => window.announced")
    assert not [text for text in announced if "common." in text], announced
    assert t(page, "common.runs") in page.locator("footer").inner_text()  # Gradio's footer, translated too

    # Item 6: the time-range table grows as its last row is filled, and with the "Add a range" button.
    page.get_by_role("tab", name=t(page, "ui.tab.teach")).click()
    assert rows(page, "teach-ranges") == 4
    page.locator("#teach-ranges [role=gridcell][aria-colindex='1']").nth(3).dblclick()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#teach-ranges [role=grid]').getAttribute('aria-rowcount') === '6'"
    )
    page.locator("#teach-add-range").click()
    page.wait_for_function(
        "() => document.querySelector('#teach-ranges [role=grid]').getAttribute('aria-rowcount') === '7'"
    )
    assert rows(page, "teach-ranges") == 6
    shot(page, "teach", page.locator("#teach-add-range"))

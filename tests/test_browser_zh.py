"""The app in Chinese: Chromium started with ``--lang=zh-CN`` gets every tab in Chinese (Gradio's ``gr.I18n``
for the page, the server's catalog for what the handlers write), errors included; and no text of the page
is left out of the catalog (the config of the built app is checked for untranslated strings).

Screenshots of each tab in Chinese are saved in ``test-artifacts/zh_<tab>.jpg`` (``assets/screenshots/`` is
refreshed from them by hand).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright

from pose_demo.exercises.schema import load_catalog
from pose_demo.i18n import catalog, translate
from pose_demo.rules import RuleSet
from tests.conftest import IMAGES
from tests.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    VIEWPORT,
    app_url,
    launch,
    playwright,
)

TABS = ("image", "video", "webcam", "compare", "teach")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def zh_page(playwright: Playwright, app_url: str) -> Iterator[Page]:  # noqa: F811
    browser = launch(playwright, "--lang=zh-CN")
    try:
        page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url)
        page.get_by_text(translate("ui.title", "zh-CN").lstrip("# ")).wait_for()
        yield page
    finally:
        browser.close()


def english_texts() -> list[str]:
    """The app's English texts that should never show on the Chinese page: whole texts without parameters,
    of more than one word, that are not part of a Chinese text (model names like "PicoDet 192" are)."""
    chinese = " ".join(catalog("zh-CN").values())
    return [
        text
        for key, text in catalog("en").items()
        if key.startswith("ui.")
        and "{" not in text
        and len(re.findall(r"[A-Za-z]+", text)) >= 2
        and text not in chinese
    ]


def visible_english(page: Page) -> list[str]:
    body = page.locator("body").inner_text()
    return [text for text in english_texts() if text in body]


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_is_in_chinese(zh_page: Page, tab: str) -> None:
    page = zh_page
    page.get_by_role("tab", name=translate(f"ui.tab.{tab}", "zh-CN")).click()
    page.wait_for_timeout(500)
    body = page.locator("body").inner_text()
    assert len(CJK.findall(body)) > 100, body[:500]
    assert not visible_english(page)
    assert "Click to Access Webcam" not in body  # Gradio's webcam prompt, English in its page: ours
    # Gradio's own strings follow the browser too (its upload prompt, its footer)
    assert "通过 API 使用" in body
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=ARTIFACTS / f"zh_{tab}.jpg", type="jpeg", quality=70)


def test_settings_and_results_are_in_chinese(zh_page: Page, tmp_path: Path) -> None:
    """The settings' choices, a result's summary, table headers and legend, and a user error."""
    page = zh_page
    page.get_by_role("tab", name=translate("ui.tab.image", "zh-CN")).click()
    page.locator("#settings").get_by_text(translate("ui.settings", "zh-CN")).first.click()
    page.locator("#settings").get_by_text(translate("ui.choice.focus.largest", "zh-CN")).wait_for()
    settings = page.locator("#settings").inner_text()
    assert "膝关节" in settings or "膝" in settings  # the rules chosen, by their Chinese titles
    assert not visible_english(page)
    page.locator("#image-input input[type=file]").set_input_files(
        IMAGES / "front_ochuman_000817_three_people_walking.jpg"
    )
    summary = page.locator("#image-summary", has_text="找到")
    summary.wait_for()
    assert "3 人" in summary.inner_text()
    headers = page.locator("#image-verdicts [role=columnheader]").all_inner_texts()
    assert translate("ui.column.person", "zh-CN") in " ".join(headers)
    assert translate("ui.legend.title", "zh-CN")[:8].strip("*") in page.locator("#image-legend").inner_text()
    assert not visible_english(page)
    page.screenshot(path=ARTIFACTS / "zh_image_result.jpg", type="jpeg", quality=70)
    # a file that is not an image: the library's message, in Chinese
    fake = tmp_path / "notes.jpg"
    fake.write_text("these are my training notes, not a photo")
    page.locator("#image-input input[type=file]").set_input_files(fake)
    # (the toast's title row is Gradio's own "Error", from the message type, which it does not translate)
    error = page.locator("[data-testid=toast-text]", has_text="图")
    error.first.wait_for()
    message = error.first.inner_text()
    english = next(v for v in catalog("en").values() if v.startswith("This file is not an image"))
    key = next(k for k, v in catalog("en").items() if v == english)
    assert translate(key, "zh-CN") in message, message
    assert not re.search(r"[A-Za-z]{4,}", message.replace("JPEG", "").replace("PNG", "").replace("WebP", ""))


def _texts(value: Any) -> Iterator[Any]:
    if isinstance(value, str | dict):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def untranslated(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(component, property, text) of every text of the page that does not come from the catalog."""
    found = []
    for component in config["components"]:
        props = component.get("props", {})
        kind = component.get("type", "")
        fields = ["label", "info", "placeholder"]
        if kind in ("markdown", "button", "tabitem", "accordion"):
            fields.append("value")
        texts = [(f, props.get(f)) for f in fields]
        texts += [("choices", label) for label, _ in props.get("choices") or []]
        for field, text in texts:
            for item in _texts(text):
                if isinstance(item, dict) and item.get("__type__") == "translation_metadata":
                    continue
                if isinstance(item, str) and (item.startswith("__i18n__") or not re.search("[A-Za-z]", item)):
                    continue
                found.append((kind, field, str(item)))
    return found


def test_no_text_of_the_page_bypasses_the_catalog(zh_page: Page, app_url: str) -> None:  # noqa: F811
    """Every label, help text, button, Markdown text and choice of the served page is a catalog key, except
    the rule and exercise choices, whose titles come bilingual from their own catalogs (set in the
    browser's language when the page loads)."""
    config = zh_page.request.get(app_url.rstrip("/") + "/config").json()
    titled = {f"{r.title['en']} ({r.id})" for r in RuleSet.load("default").rules}
    titled |= {e.title["en"] for e in load_catalog().exercises}
    found = [t for t in untranslated(config) if t[2] not in titled]
    assert not found
    assert untranslated({"components": [{"type": "button", "props": {"value": "Go"}}]})  # the check works

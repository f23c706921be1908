"""The app's texts in the user's language.

Fixed texts (labels, help, buttons, tab names, choices) are ``ui(key)``: Gradio's own ``gr.I18n``
translates them in the browser, following its language. Texts the handlers make (summaries, tables,
progress, errors) are translated on the server with ``language(request)``, the language the browser
asks for (its ``Accept-Language`` header, which follows the same setting). Both come from the one
catalog per language in ``pose_demo/i18n/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from pose_demo.i18n import catalog, language_from_header, translate

# Gradio's locales that get our Chinese texts (Gradio itself has both Simplified and Traditional).
CHINESE_LOCALES = ("zh-CN", "zh", "zh-TW", "zh-HK")
# Components whose first value depends on the language and that Gradio's i18n does not translate (a
# table's headers): (component, language -> its value), set when a page loads (``build_demo``).
Localised = list[tuple[gr.components.Component, Callable[[str], Any]]]


def ui(key: str) -> I18nData:
    """A fixed text of the page, translated in the browser; the key must be in the catalog."""
    if key not in catalog("en"):
        raise KeyError(f"{key!r} is not in pose_demo/i18n/en.yaml")
    return I18nData(key)


def translations() -> gr.I18n:
    """Every catalog text, for ``launch(i18n=...)``: Chinese for every Chinese browser locale."""
    chinese = catalog("zh-CN")
    return gr.I18n(en=catalog("en"), **dict.fromkeys(CHINESE_LOCALES, chinese))


def language(request: gr.Request | None) -> str:
    """The catalog language of the browser that sent ``request`` (English for API clients that ask for
    none of ours)."""
    headers = getattr(request, "headers", None)
    return language_from_header(headers.get("accept-language") if headers is not None else None)


def tr(request: gr.Request | None, key: str, **params: Any) -> str:
    """``key`` in the language of ``request``'s browser."""
    return translate(key, language(request), **params)


def localise_examples(
    examples: gr.Examples, labels: Callable[[str], list[str]], localised: Localised
) -> None:
    """Gradio does not translate example labels: each page gets ``labels(language)`` when it loads. The
    samples go with them as Gradio keeps them (files as its cached copies: it refuses to serve the originals
    from elsewhere)."""
    samples = [
        [value["path"] if isinstance(value, dict) else value for value in sample]
        for sample in examples.dataset.samples
    ]
    localised.append((examples.dataset, lambda lang: gr.Dataset(samples=samples, sample_labels=labels(lang))))


def error(message: str, lang: str) -> gr.Error:
    """A message for the user's screen, under a title in their language (no traceback in the log)."""
    return gr.Error(message, title=translate("ui.error.title", lang), print_exception=False)

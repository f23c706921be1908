"""The Image tab: a photo analysed (``/predict_image``), its persons' verdicts and the legend of the rules in
force, and the result drawn again with other drawing options without running the models (Redraw).

Its layout (``image_tab``), handlers (``ImageTab``) and views (the summary, the legend) live here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.app.core import RESULT_STATE_TTL_S, PoseApp, user_errors
from pose_demo.app.examples import Example, example_gallery
from pose_demo.app.language import Localised, error, language, ui
from pose_demo.app.settings import ACCURATE_DETECTOR, DETECTORS, DRAWING, Settings
from pose_demo.app.uploads import Upload, upload_name, upload_path
from pose_demo.app.views import empty_verdicts, unit_text, verdict_dataframe, verdict_table
from pose_demo.enhance import enhance_dark
from pose_demo.focus import person_at
from pose_demo.i18n import plural, title_in, translate
from pose_demo.image_input import load_image
from pose_demo.models.budget import ModelChoice, photo_keypoints
from pose_demo.results import FrameResult
from pose_demo.rules import RuleSet
from pose_demo.rules.schema import Rule
from pose_demo.visualization.draw import draw_result

# Per-event concurrency on a 2-vCPU machine: inference uses both cores, more parallel runs only queue.
IMAGE_CONCURRENCY = 2
# The settings panel's controls that a photo ignores: it is neither smoothed nor counted.
NOT_FOR_PHOTOS = ("smoothing", "strength", "exercise")
PREDICT_IMAGE_API = (
    "Finds everyone in a photo. Returns the annotated image and the result as JSON: image width and "
    "height, and per person its box [x1, y1, x2, y2] in pixels, its score (the mean confidence of its 17 "
    "keypoints, 0..1, which can be below the detection threshold), its keypoints (17 x [x, y, "
    "confidence], COCO order) and the verdicts of the rules chosen. Every setting is optional."
)


@dataclass(frozen=True)
class ImageAnalysis:
    """The last prediction of a session's Image tab, kept to redraw without running the models again.

    No pixels are kept: a session holds its result and where its photo is (the upload, decoded again to
    redraw), so that a burst of large photos from many sessions does not stay in memory.
    """

    source: Path  # the uploaded photo
    result: FrameResult
    name: str  # the upload's name, for the download
    models: tuple[str, str]  # the detector and keypoint model that found it
    keypoints: ModelChoice  # which keypoint model ran and why
    options: AnalysisOptions  # the analysis options, with the rules in force
    asked: str = ""  # what was asked for: the upload and the settings (``request_key``)
    details: str | None = None  # its JSON file, once its summary, table and legend were made

    @property
    def first(self) -> int:
        """The number of the first person shown: the one followed (``options.person``), else 1."""
        return self.options.person or 1

    def shown(self) -> np.ndarray:
        """The photo as shown: brightened when "enhance" was chosen, as the models saw it."""
        image = load_image(self.source)
        return enhance_dark(image) if self.options.enhance else image


def number_persons(result: FrameResult, first: int = 1) -> FrameResult:
    """Persons without a track id (photos) numbered as in the verdict table (from ``first``: the number of
    the one person followed), so that labels show it."""
    numbered = [
        p if p.track_id is not None else replace(p, track_id=k) for k, p in enumerate(result.persons, first)
    ]
    return FrameResult(numbered, result.image_size)


def image_summary(
    persons: int, models: tuple[str, str], options: AnalysisOptions, language: str = "en"
) -> str:
    """How many persons were found, or, when nobody was, the settings worth trying (Markdown)."""
    if persons:
        return translate("ui.image.found", language, persons=plural("ui.count.person", persons, language))
    tips = []
    if models[0] != ACCURATE_DETECTOR:
        detector = translate(DETECTORS[ACCURATE_DETECTOR], language)
        tips.append(translate("ui.image.tip.detector", language, detector=detector))
    threshold = options.det_threshold
    if threshold is None or threshold > 0.2:
        now = "" if threshold is None else translate("ui.image.tip.now", language, value=f"{threshold:g}")
        tips.append(translate("ui.image.tip.threshold", language, now=now))
    if not options.enhance:
        tips.append(translate("ui.image.tip.enhance", language))
    separator = translate("ui.list_separator", language)
    advice = translate("ui.image.tip.try", language, tips=separator.join(tips)) if tips else ""
    return translate("ui.image.nobody", language) + advice


def _grades(rule: Rule, language: str) -> str:
    t = rule.thresholds
    if t is None:
        return ""
    unit = "°" if rule.unit == "deg" else f" {unit_text(rule.unit, language)}" if rule.unit else ""
    key = "ui.legend.grades_low" if t.direction == "low" else "ui.legend.grades_high"
    sign = "±" if t.direction == "both" else ""
    return translate(key, language, mild=f"{sign}{t.mild:g}{unit}", severe=f"{sign}{t.severe:g}{unit}")


def rules_legend(rules: RuleSet | None, language: str = "en") -> str:
    """Markdown: what each rule in force measures or checks, its grades, the view it needs."""
    if rules is None or not rules.rules:
        return translate("ui.legend.none", language)
    lines = []
    for rule in rules.rules:
        view = translate(f"ui.legend.view.{rule.view}", language) if rule.view != "any" else ""
        graded = _grades(rule, language) if rule.kind == "screening" else ""
        what = graded or translate(f"ui.legend.kind.{rule.kind}", language)
        note = f" {title_in(rule.note, language)}" if rule.note else ""
        title = title_in(rule.title, language)
        lines.append(translate("ui.legend.line", language, title=title, view=view, what=what, note=note))
    return translate("ui.legend.title", language) + "\n" + "\n".join(lines)


def request_key(image: Upload, settings: dict[str, Any]) -> str:
    """What an analysis was asked for: the upload's file and every setting, as the page sent them (two
    equal keys: the same photo with the same settings, nothing to run again)."""
    path = image.get("path") if isinstance(image, dict) else image
    try:
        return json.dumps([str(path), settings], sort_keys=True, default=repr)
    except (TypeError, ValueError):  # not what a page sends: never taken for the same request
        return ""


class ImageTab:
    """The tab's handlers, given the app."""

    def __init__(self, app: PoseApp) -> None:
        self.app = app

    def save_analysis(
        self, analysis: ImageAnalysis, settings: Settings, lang: str, shown: np.ndarray | None = None
    ) -> str:
        """The analysed image (``shown``, else decoded again) drawn with the settings' drawing options
        (labels in ``lang``), as a JPEG."""
        result = number_persons(analysis.result, analysis.first)  # photos have no track ids: by number
        image = analysis.shown() if shown is None else shown
        return self.app.save_image(draw_result(image, result, settings.draw_options(lang)), analysis.name)

    def predict_image(
        self,
        image: Upload,
        request: gr.Request | None = None,
        *,
        rule_file: Upload = None,
        **settings: Any,
    ) -> tuple[str, dict[str, Any], ImageAnalysis]:
        """Find the people in an image.

        Returns the annotated image and the result in the CLI's JSON schema: ``{"image": {"width",
        "height"}, "persons": [{"box", "score", "keypoints": 17 x [x, y, score], "rules"}]}``.
        """
        lang = language(request)
        with user_errors("image", lang):
            s = self.app.settings(rule_file=rule_file, lang=lang, **settings)
            what = translate("ui.upload.image", lang)
            path = upload_path(image, what, self.app.uploads, lang)
            source = load_image(path)
            options = s.analysis_options(self.app.catalog)
            keypoints = photo_keypoints(s.keypoint_model)
            model = self.app.models.get(s.detector, keypoints.keypoints)
            result = analyse_image(model, source, options)
            shown = enhance_dark(source) if options.enhance else source
            asked = request_key(image, {"rule_file": rule_file, **settings})
            analysis = ImageAnalysis(path, result, upload_name(image), model.names, keypoints, options, asked)
            return self.save_analysis(analysis, s, lang, shown), result.to_dict(), analysis

    @staticmethod
    def is_current(
        image: Upload, analysis: ImageAnalysis | None, rule_file: Upload = None, **settings: Any
    ) -> bool:
        """Whether ``analysis`` is of this photo with these settings (the button then has nothing to do)."""
        return (
            bool(image)
            and analysis is not None
            and bool(analysis.asked)
            and analysis.asked == request_key(image, {"rule_file": rule_file, **settings})
        )

    def clear_stale(
        self,
        image: Upload,
        analysis: ImageAnalysis | None,
        request: gr.Request | None = None,
        **settings: Any,
    ) -> tuple[Any, ...]:
        """The button's first step: the outputs emptied (``clear_image``), unless they already show this
        photo analysed with these settings: then they stay, and the next steps do nothing either."""
        if self.is_current(image, analysis, **settings):
            return tuple(gr.skip() for _ in range(8))
        return self.clear_image(request)

    def predict_stale(
        self,
        image: Upload,
        analysis: ImageAnalysis | None,
        request: gr.Request | None = None,
        **settings: Any,
    ) -> tuple[Any, ...]:
        """The button's analysis: ``predict_image`` when the photo or the settings changed since the last
        one (or there is none, or it failed), else nothing."""
        if self.is_current(image, analysis, **settings):
            return gr.skip(), gr.skip(), gr.skip()
        return self.predict_image(image, request, **settings)

    @staticmethod
    def pick_person(analysis: ImageAnalysis | None, evt: gr.SelectData) -> Any:
        """A click on the result: the number of the person clicked, to follow them (the setting
        ``person``); while one is followed, a click beside them shows everyone again. Nothing changes
        on a click on nobody, or on the one followed."""
        if analysis is None:
            return gr.skip()
        x, y = evt.index
        clicked = person_at(analysis.result.persons, x, y)
        if analysis.options.person is not None:
            return gr.skip() if clicked is not None else 0
        return gr.skip() if clicked is None else clicked + 1

    def clear_image(
        self, request: gr.Request | None = None
    ) -> tuple[None, None, None, str, pd.DataFrame, str, None, gr.Button]:
        """Empty outputs for the Image tab, shown while a new analysis runs (so that an error never leaves
        the previous results on screen): picture, JSON, analysis, summary, table, legend, download; and the
        button, disabled until the analysis is done (``new_details``), so that it cannot start another."""
        return None, None, None, "", empty_verdicts(language(request)), "", None, gr.Button(interactive=False)

    def image_details(
        self, analysis: ImageAnalysis | None, request: gr.Request | None = None
    ) -> tuple[str, pd.DataFrame, str, str | None]:
        """Summary (how many persons, or what to try when nobody was found), verdict table and its legend,
        and the JSON file of the last analysis; nothing before the first one."""
        lang = language(request)
        if analysis is None:
            return "", empty_verdicts(lang), "", None
        path = self.app.outputs.new() / f"{analysis.name}_poses.json"
        path.write_text(json.dumps(analysis.result.to_dict(), indent=1), encoding="utf-8")
        found = image_summary(len(analysis.result), analysis.models, analysis.options, lang)
        summary = f"{found}\n\n{analysis.keypoints.message(lang)}"
        legend = rules_legend(analysis.options.rules, lang) if analysis.result.persons else ""
        return summary, verdict_table(analysis.result, lang, analysis.first), legend, str(path)

    def new_details(
        self, analysis: ImageAnalysis | None, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """``image_details`` once per analysis (kept with it): nothing when they were made already (the
        button pressed on a photo shown analysed), so one photo gives one JSON file. The button is enabled
        again, whether the analysis succeeded or failed."""
        enabled = gr.Button(interactive=True)
        if analysis is not None and analysis.details is not None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), enabled
        summary, table, legend, path = self.image_details(analysis, request)
        done = None if analysis is None else replace(analysis, details=path)
        return summary, table, legend, path, done, enabled

    def redraw(
        self, analysis: ImageAnalysis | None, request: gr.Request | None = None, **settings: Any
    ) -> str:
        """The last analysis drawn again with the current drawing options (no model runs)."""
        lang = language(request)
        if analysis is None or not analysis.source.is_file():  # never analysed, or the upload is gone
            raise error(translate("ui.error.nothing_to_redraw", lang), lang)
        with user_errors("redraw", lang):
            return self.save_analysis(analysis, self.app.settings(**settings), lang)


def image_tab(
    app: PoseApp,
    settings: dict[str, gr.components.Component],
    examples: list[tuple[Example, Path]],
    localised: Localised,
) -> None:
    """The tab's components and events (inside a ``gr.Tab``); ``examples``: the gallery's photos."""
    tab = ImageTab(app)
    with gr.Row():
        with gr.Column():
            image = gr.Image(
                type="filepath",
                sources=["upload", "clipboard"],
                label=ui("ui.image.photo"),
                elem_id="image-input",
            )
            with gr.Row():
                analyse = gr.Button(ui("ui.image.run"), variant="primary", elem_id="image-run")
                redraw = gr.Button(ui("ui.image.redraw"), elem_id="image-redraw")
            gallery = example_gallery(image, examples, localised)
        with gr.Column():
            annotated = gr.Image(label=ui("ui.result"), interactive=False, elem_id="image-output")
            summary = gr.Markdown(elem_id="image-summary")
    table = verdict_dataframe("ui.image.verdicts", "image-verdicts", localised)
    legend = gr.Markdown(elem_id="image-legend")
    with gr.Row():
        keypoints = gr.JSON(label=ui("ui.image.keypoints"), open=False)
        download = gr.File(label=ui("ui.image.download"), interactive=False, elem_id="image-json")
    analysis = gr.State(time_to_live=RESULT_STATE_TTL_S)
    predict = {
        "fn": tab.predict_image,
        "inputs": [image],
        "inputs_kwargs": {name: c for name, c in settings.items() if name not in NOT_FOR_PHOTOS},
        "outputs": [annotated, keypoints, analysis],
        "preprocess": False,
        "concurrency_limit": IMAGE_CONCURRENCY,
        "concurrency_id": "image",
    }
    details = {
        "fn": tab.new_details,
        "inputs": [analysis],
        "outputs": [summary, table, legend, download, analysis, analyse],
    }
    cleared = [annotated, keypoints, analysis, summary, table, legend, download, analyse]
    # An upload or a click on an example: the old results go, then the new ones come (one analysis each).
    image.upload(tab.clear_image, outputs=cleared, queue=False, api_visibility="private").then(
        **predict, api_name="predict_image", api_description=PREDICT_IMAGE_API
    ).then(**details, api_visibility="private")
    # The button: the same, only when the photo or the settings changed since the last analysis (or it
    # failed); pressed on a photo already analysed with these settings, nothing runs again.
    stale = {"inputs": [image, analysis], "inputs_kwargs": predict["inputs_kwargs"], "preprocess": False}
    private: dict[str, Any] = {"api_visibility": "private"}
    clear_stale = {"fn": tab.clear_stale, "outputs": cleared, "queue": False, **private, **stale}
    predict_stale = {"fn": tab.predict_stale, "outputs": predict["outputs"], **private, **stale}
    predict_stale |= {"concurrency_limit": IMAGE_CONCURRENCY, "concurrency_id": "image"}
    analyse.click(**clear_stale).then(**predict_stale).then(**details, **private)
    # A click on a person in the result follows them (the setting ``person``), then as the button does.
    annotated.select(tab.pick_person, inputs=[analysis], outputs=[settings["person"]], **private).then(
        **clear_stale
    ).then(**predict_stale).then(**details, **private)
    if gallery is not None:
        gallery.load_input_event.then(
            tab.clear_image, outputs=cleared, queue=False, api_visibility="private"
        ).then(**predict, api_visibility="private").then(**details, api_visibility="private")
    redraw.click(
        tab.redraw,
        inputs=[analysis],
        inputs_kwargs={k: settings[k] for k in DRAWING},
        outputs=[annotated],
        api_visibility="private",
    )
